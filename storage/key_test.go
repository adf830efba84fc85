package storage

import (
	"errors"
	"strings"
	"testing"
)

const hashA = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"derived/ocr-v3/abc.json", true},
		{"a", true},
		{"A_b-c.9/x", true},
		{"originals/ab/" + hashA, true},
		{"", false},
		{"/abs", false},
		{"a//b", false},
		{"a/", false},
		{"a/../b", false},
		{"..", false},
		{"./a", false},
		{"a/.hidden", false},
		{"a\\b", false},
		{"a b", false},
		{"số", false},
		{"a/-x", false},
		{strings.Repeat("a", 201), false},
		{"originals/ab/" + strings.ToUpper(hashA), false},
		{"originals/cd/" + hashA, false},
		{"originals/ab/" + hashA + "/x", false},
		{"originals/readme", false},
	}
	for _, tt := range tests {
		err := CheckKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadKey) {
			t.Errorf("CheckKey(%q) = %v, not ErrBadKey", tt.key, err)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a/", "originals/", "originals/a", "derived/x."} {
		if err := CheckPrefix(p); err != nil {
			t.Errorf("CheckPrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"/", "a//", "../", "a/../", "a b"} {
		if err := CheckPrefix(p); !errors.Is(err, ErrBadKey) {
			t.Errorf("CheckPrefix(%q) = %v, want ErrBadKey", p, err)
		}
	}
}
