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

func TestOriginalKey(t *testing.T) {
	k, err := OriginalKey(strings.ToUpper(hashA))
	if err != nil || k != "originals/ab/"+hashA {
		t.Fatalf("OriginalKey = %q, %v", k, err)
	}
	if h, err := OriginalHash(k); err != nil || h != hashA {
		t.Fatalf("OriginalHash = %q, %v", h, err)
	}
	for _, bad := range []string{"", "ab", hashA + "0", "zz" + hashA[2:], "../" + hashA[3:]} {
		if _, err := OriginalKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("OriginalKey(%q) = %v, want ErrBadKey", bad, err)
		}
	}
}

func TestStagingKey(t *testing.T) {
	h := strings.Repeat("ab", 32)
	k, err := StagingKey("UBND-XA-01-250101-0001", strings.ToUpper(h))
	if err != nil || k != "staging/UBND-XA-01-250101-0001/"+h {
		t.Fatalf("StagingKey = %q, %v", k, err)
	}
	if CheckKey(k) != nil || IsOriginal(k) {
		t.Errorf("staging key %q: CheckKey %v, IsOriginal %v; want a valid derived key", k, CheckKey(k), IsOriginal(k))
	}
	scope, sum, err := ParseStagingKey(k)
	if err != nil || scope != "UBND-XA-01-250101-0001" || sum != h {
		t.Errorf("ParseStagingKey(%q) = %q, %q, %v", k, scope, sum, err)
	}
	for _, bad := range []struct{ scope, sum string }{{"", h}, {"../x", h}, {"a/b", h}, {".x", h}, {"X", "abc"}} {
		if k, err := StagingKey(bad.scope, bad.sum); !errors.Is(err, ErrBadKey) {
			t.Errorf("StagingKey(%q, %q) = %q, %v; want ErrBadKey", bad.scope, bad.sum, k, err)
		}
	}
	for _, bad := range []string{"staging/x", "staging/x/" + h + "/y", "staging//" + h, "derived/x/" + h, "staging/x/" + strings.ToUpper(h)} {
		if _, _, err := ParseStagingKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseStagingKey(%q) = %v; want ErrBadKey", bad, err)
		}
	}
}
