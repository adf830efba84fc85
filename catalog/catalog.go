// Package catalog is the record of every dossier and page in PostgreSQL:
// what was received, where each dossier stands in the flow (created →
// uploading → submitted → processing → assembled → signed → delivered) and
// an append-only log of every state change, so that workers on many
// machines agree on what has been done and an auditor can see who did it.
//
// The schema is created by versioned migrations (migrations/*.sql) that
// Open applies at start. Statuses only move forward along the tables in
// status.go; each move is checked and logged in the same transaction that
// makes it, under a row lock, so two workers cannot both make it. The log
// is a hash chain per dossier (audit.go), so that an event edited, deleted
// or inserted behind the catalog's back is found by VerifyTrail.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sentinel errors that callers act on.
var (
	// ErrNotFound: no dossier (or page) with that code (or position).
	ErrNotFound = errors.New("not found")
	// ErrExists: a dossier with that code, or a page with that hash or
	// position in the dossier, is already recorded.
	ErrExists = errors.New("already exists")
	// ErrIllegalMove: the status change is not in the table of allowed
	// moves from the current status (which another worker may just have
	// changed).
	ErrIllegalMove = errors.New("illegal status move")
	// ErrTooManyFrames: the dossier's pages would hold more frames than
	// its limit (PageWrite.MaxFrames).
	ErrTooManyFrames = errors.New("too many pages in the dossier")
	// ErrQuota: the office's unconfirmed uploads would pass its quota.
	ErrQuota = errors.New("upload quota exceeded")
)

// Unavailable reports whether err says the database could not be reached
// or went away in the middle of the call: down, restarting, recovering,
// or the network to it cut. That is a failure of the moment, not of the
// request: the service answers it 503 with a Retry-After, where any other
// error of the catalog is its own fault (500); a worker's task is retried
// either way. (A timeout counts: the database did not answer in time.)
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01 to 57P03: the server is
		// shutting down or not yet taking connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return false
}

// Catalog is the PostgreSQL-backed record of dossiers, pages and events.
// It is safe for concurrent use.
type Catalog struct {
	pool *pgxpool.Pool
}

// Open connects to the database at dsn, applies any migrations not yet
// applied and returns the catalog. Close it when done.
func Open(ctx context.Context, dsn string) (*Catalog, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Catalog{pool: pool}, nil
}

// Close releases the catalog's connections.
func (c *Catalog) Close() { c.pool.Close() }

// inTx runs fn in a transaction, committing when it returns nil.
func (c *Catalog) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, c.pool, fn)
}
