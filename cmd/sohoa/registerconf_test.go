package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/registertest"
)

// A mirror whose database is not there when sohoa starts answers
// "unavailable" (so dossiers wait, pending), and is opened once it is
// there, without a restart.
func TestLazyMirrorOpensWhenBack(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDB(t)
	i := strings.LastIndex(dsn, "/")
	j := strings.IndexAny(dsn[i:], "?")
	name := dsn[i+1:]
	if j >= 0 {
		name = dsn[i+1 : i+j]
	}
	later := name + "_later"
	lm := &lazyMirror{url: strings.Replace(dsn, "/"+name, "/"+later, 1), every: time.Millisecond}
	defer lm.Close()

	if _, err := lm.Lookup(ctx, registertest.Ask("001085012345")); !errors.Is(err, register.ErrUnavailable) {
		t.Fatalf("mirror not there yet: %v, want ErrUnavailable", err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+later); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lm.Close()
		if _, err := admin.Exec(context.Background(), "DROP DATABASE "+later+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
		admin.Close(context.Background())
	})
	time.Sleep(5 * time.Millisecond)
	c, err := lm.Lookup(ctx, registertest.Ask("001085012345"))
	if err != nil || c != nil {
		t.Fatalf("mirror back (and empty): %v, %v; want not found", c, err)
	}
}
