package testenv

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultPostgres is the server PostgresDB uses when SOHOA_TEST_POSTGRES is
// not set: a stock local install, where the postgres role may connect over
// TCP from 127.0.0.1.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresDB creates a fresh, empty database for one test on the server
// named by SOHOA_TEST_POSTGRES (a URL or keyword/value DSN; the local
// default otherwise), drops it when the test ends, and returns its DSN.
//
// A database per test, rather than one per package, lets tests run in
// parallel and each start from an empty schema, so that what one test
// leaves behind cannot make another pass. The drop uses WITH (FORCE) so
// that connections a failed test leaked cannot keep the database alive.
// Without a reachable server the test fails: the catalog is PostgreSQL
// code, and a catalog test that quietly does not run is no test.
func PostgresDB(t testing.TB) string {
	t.Helper()
	dsn, ok := os.LookupEnv("SOHOA_TEST_POSTGRES")
	if !ok {
		dsn = defaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("no PostgreSQL at %s (set SOHOA_TEST_POSTGRES to a server where this role may create databases): %v", dsn, err)
	}
	defer admin.Close(context.Background())
	// Random rather than derived from the test name: the same test run
	// twice at once (go test -count, two checkouts) must not collide.
	name := "sohoa_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s on %s: %v", name, dsn, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, dsn, name)
}

// withDatabase returns dsn, a URL or a keyword/value string, naming
// database name instead of the one it named.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		// In keyword/value form a later keyword overrides an earlier one.
		return dsn + " dbname=" + name
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse SOHOA_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
