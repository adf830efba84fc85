// Package pgmirror is the population register as a table in PostgreSQL: a
// copy a province loads from the export it receives ('sohoa register load
// FILE.csv'), for desks that may not, or cannot, reach the integration
// platform's SOAP service. It answers Verify and Lookup by the same rules
// as the service (register.Matches) from its own schema, "register", beside
// the catalog's tables or in a database of its own.
package pgmirror

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sohoa/sohoa/register"
)

// Mirror is the register mirror in one PostgreSQL database. It is safe for
// concurrent use.
type Mirror struct {
	pool *pgxpool.Pool
}

var _ register.Register = (*Mirror)(nil)

// Open connects to the database at dsn, creates or upgrades the register
// schema, and returns the mirror. Close it when done.
func Open(ctx context.Context, dsn string) (*Mirror, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open register mirror: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Mirror{pool: pool}, nil
}

// Close releases the mirror's connections.
func (m *Mirror) Close() { m.pool.Close() }

// selectList reads a row in column order; legacy_id is NULL when absent.
var selectList = strings.Replace(strings.Join(columnNames, ", "), "legacy_id", "coalesce(legacy_id, '')", 1)

// Lookup returns the citizen req identifies, nil when none does (see
// register.Register). A database error is register.ErrUnavailable: the
// dossier waits for the mirror like it would for the service.
func (m *Mirror) Lookup(ctx context.Context, req register.Request) (*register.Citizen, error) {
	if err := req.Check(false); err != nil {
		return nil, fmt.Errorf("register mirror lookup: %w", err)
	}
	c, err := m.find(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("register mirror lookup, request %s: %w: %w", req.RequestID, register.ErrUnavailable, err)
	}
	if !register.Matches(req, c) {
		return nil, nil
	}
	return c, nil
}

// Verify reports whether a citizen with req's number, name and date of
// birth is in the mirror.
func (m *Mirror) Verify(ctx context.Context, req register.Request) (bool, error) {
	if err := req.Check(true); err != nil {
		return false, fmt.Errorf("register mirror verify: %w", err)
	}
	c, err := m.find(ctx, req)
	if err != nil {
		return false, fmt.Errorf("register mirror verify, request %s: %w: %w", req.RequestID, register.ErrUnavailable, err)
	}
	return register.Matches(req, c), nil
}

// find reads the row of req's number (the 12-digit one when both are
// given; Matches then checks the other), or nil.
func (m *Mirror) find(ctx context.Context, req register.Request) (*register.Citizen, error) {
	key, where := req.ID, "id"
	if key == "" {
		key, where = req.LegacyID, "legacy_id"
	}
	rec := make([]string, len(columns))
	var gender int16
	dest := make([]any, len(columns))
	for i, col := range columns {
		if col.name == "gender" {
			dest[i] = &gender
		} else {
			dest[i] = &rec[i]
		}
	}
	err := m.pool.QueryRow(ctx, `SELECT `+selectList+` FROM register.citizens WHERE `+where+` = $1`, key).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c register.Citizen
	for i, col := range columns {
		switch col.name {
		case "id":
			c.ID = rec[i]
		case "gender":
			c.Gender = register.Gender(gender)
		case "birth":
			// The table's CHECK and the loader's parse guarantee the form.
			if c.Birth, err = register.ParseDate(rec[i]); err != nil {
				return nil, fmt.Errorf("citizen %s: %w", c.ID, err)
			}
		default:
			*col.text(&c) = rec[i]
		}
	}
	return &c, nil
}
