// Package pgmigrate applies a package's embedded SQL migrations to
// PostgreSQL: the catalog's and the register mirror's, each with its own
// record of versions, so that both can share a database.
package pgmigrate

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Set is one package's migrations.
type Set struct {
	// Name says whose migrations they are, in errors ("catalog").
	Name string
	// Files holds the migrations, *.sql under Dir, applied in name order.
	Files fs.FS
	Dir   string
	// Schema, when set, is created first and holds the record of versions
	// (Schema.schema_migrations); else it is public.schema_migrations.
	Schema string
	// LockKey names the advisory lock that serialises the set's
	// migrations between processes starting at once; give each set its
	// own, so that two sets never wait on each other.
	LockKey int64
}

// Apply applies, in name order and in one transaction, every migration of
// s not yet recorded. Applying them again is a no-op.
func Apply(ctx context.Context, pool *pgxpool.Pool, s Set) error {
	names, err := fs.Glob(s.Files, s.Dir+"/*.sql")
	if err != nil {
		return fmt.Errorf("list %s migrations: %w", s.Name, err)
	}
	sort.Strings(names)
	table := "schema_migrations"
	create := ""
	if s.Schema != "" {
		table = s.Schema + ".schema_migrations"
		create = "CREATE SCHEMA IF NOT EXISTS " + s.Schema + ";\n"
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Take the lock before even creating the table: concurrent
		// CREATE TABLE IF NOT EXISTS can still collide.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.LockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, create+`CREATE TABLE IF NOT EXISTS `+table+` (
			version    text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create %s: %w", table, err)
		}
		for _, name := range names {
			version := strings.TrimPrefix(name, s.Dir+"/")
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE version = $1)`,
				version).Scan(&done); err != nil {
				return fmt.Errorf("check %s: %w", version, err)
			}
			if done {
				continue
			}
			sql, err := fs.ReadFile(s.Files, name)
			if err != nil {
				return fmt.Errorf("read %s: %w", version, err)
			}
			// Exec without arguments uses the simple protocol, which
			// allows several statements in one string.
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("apply %s: %w", version, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (version) VALUES ($1)`, version); err != nil {
				return fmt.Errorf("record %s: %w", version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.Name, err)
	}
	return nil
}
