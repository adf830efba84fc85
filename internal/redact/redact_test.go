package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"redis://:s3cr3tpass@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://:s3cr3tpass@127.0.0.1:notaport/0", "redis://xxxxx@127.0.0.1:notaport/0"},
		{"redis://u:s3cr3tpass@[::1/0?x=s3cr3tpass", "redis://xxxxx@[::1/0?xxxxx"},
		{"postgres://sohoa:s3cr3tpass@db/sohoa?sslmode=disable", "postgres://sohoa:xxxxx@db/sohoa?sslmode=xxxxx"},
		{"postgres://sohoa@db/sohoa?password=s3cr3tpass", "postgres://sohoa@db/sohoa?password=xxxxx"},
		{"host=db user=sohoa password=s3cr3tpass dbname=sohoa", "host=db user=sohoa password=xxxxx dbname=sohoa"},
		{"host=db password = 's3cr3t pass' dbname=sohoa", "host=db password = xxxxx dbname=sohoa"},
		{"host=db password='it''s s3cr3t' dbname=sohoa", "host=db password=xxxxx dbname=sohoa"},
		{"https://hooks.example/in?token=s3cr3tpass&v=2", "https://hooks.example/in?token=xxxxx&v=xxxxx"},
		{"https://u:s3cr3tpass@hooks.example/in", "https://u:xxxxx@hooks.example/in"},
		{"127.0.0.1:9000", "127.0.0.1:9000"},
		{"ak:s3cr3tpass@127.0.0.1:9000", "xxxxx@127.0.0.1:9000"},
		{"", ""},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestError: whatever a library does with a setting (quotes it whole,
// strips only the password, names only the query), its secrets do not
// get through, and the error chain is kept.
func TestError(t *testing.T) {
	sentinel := errors.New("sentinel")
	for _, tc := range []struct {
		setting string
		err     error
		says    string
	}{
		{"redis://:s3cr3tpass@127.0.0.1:notaport/0",
			fmt.Errorf(`could not parse redis uri: parse "redis://:s3cr3tpass@127.0.0.1:notaport/0": invalid port: %w`, sentinel), "notaport"},
		{"https://u:pa%2Fss@hooks.example/in?token=s3cr3tpass",
			fmt.Errorf(`Post "https://u:***@hooks.example/in?token=s3cr3tpass": dial tcp: refused: %w`, sentinel), "hooks.example"},
		{"https://u:pa%2Fss@hooks.example/in?token=s3cr3tpass",
			fmt.Errorf(`auth pa/ss and pa%%2Fss refused: %w`, sentinel), "refused"},
		{"host=db password='s3cr3t pass'", fmt.Errorf("password s3cr3t pass wrong: %w", sentinel), "wrong"},
		{"ak:s3cr3tpass@127.0.0.1:9000", fmt.Errorf("endpoint ak:s3cr3tpass@127.0.0.1:9000: %w", sentinel), "127.0.0.1:9000"},
	} {
		got := Error(tc.err, "redis://127.0.0.1/0", tc.setting)
		for _, secret := range []string{"s3cr3t", "pa/ss", "pa%2Fss"} {
			if strings.Contains(got.Error(), secret) {
				t.Errorf("%q: %q still holds %q", tc.setting, got, secret)
			}
		}
		if !strings.Contains(got.Error(), tc.says) {
			t.Errorf("%q: %q no longer says %q", tc.setting, got, tc.says)
		}
		if !errors.Is(got, sentinel) {
			t.Errorf("%q: %v no longer wraps the sentinel", tc.setting, got)
		}
	}
	plain := errors.New("connection refused")
	if got := Error(plain, "redis://:s3cr3tpass@h/0"); got != plain {
		t.Errorf("an error without secrets was wrapped: %v", got)
	}
	if Error(nil, "x") != nil {
		t.Error("Error(nil) is not nil")
	}
}
