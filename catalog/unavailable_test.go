package catalog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnavailable: a database nobody answers for is Unavailable, and so
// are the server's own "shutting down" and "starting up"; a refusal of
// the request itself (a unique violation) or another error is not.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = Open(context.Background(), "postgres://postgres@"+addr+"/none?sslmode=disable&connect_timeout=2")
	if err == nil || !Unavailable(err) {
		t.Errorf("open with no server: %v, Unavailable %v; want true", err, Unavailable(err))
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("move: %w", &pgconn.PgError{Code: "57P01"}), true}, // admin_shutdown
		{fmt.Errorf("move: %w", &pgconn.PgError{Code: "57P03"}), true}, // cannot_connect_now
		{fmt.Errorf("move: %w", &pgconn.PgError{Code: "08006"}), true}, // connection_failure
		{fmt.Errorf("add page: %w", &pgconn.PgError{Code: "23505"}), false},
		{ErrNotFound, false},
		{errors.New("something else"), false},
	} {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
