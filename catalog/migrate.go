package catalog

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockKey names the advisory lock that serialises migrations, so
// that two processes starting at once do not both apply the same version.
const migrateLockKey int64 = 0x736f686f61 // "sohoa"

// Migrate applies, in name order and in one transaction, every embedded
// migration not yet recorded in schema_migrations. Applying them again is
// a no-op.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Take the lock before even creating schema_migrations: concurrent
		// CREATE TABLE IF NOT EXISTS can still collide.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, name := range names {
			version := name[len("migrations/"):]
			var done bool
			if err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
				version).Scan(&done); err != nil {
				return fmt.Errorf("check %s: %w", version, err)
			}
			if done {
				continue
			}
			sql, err := migrations.ReadFile(name)
			if err != nil {
				return fmt.Errorf("read %s: %w", version, err)
			}
			// Exec without arguments uses the simple protocol, which
			// allows several statements in one string.
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("apply %s: %w", version, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
				return fmt.Errorf("record %s: %w", version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate catalog: %w", err)
	}
	return nil
}
