package sign

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestTSAErrorKeepsSecrets: a TSA URL's password and query token stay out
// of the error when the authority cannot be reached (issue 9: the HTTP
// client's error quoted the URL, token and all).
func TestTSAErrorKeepsSecrets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := &Signer{TSAURL: "http://tsauser:pa55word@" + addr + "/tsa?token=t0ken-s3cret"}
	_, err = s.fetchTimestamp(context.Background(), []byte("signature value"))
	if !errors.Is(err, ErrTimestamp) {
		t.Fatalf("err = %v, want ErrTimestamp", err)
	}
	for _, secret := range []string{"pa55word", "t0ken-s3cret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error names %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the authority %s", err, addr)
	}
}
