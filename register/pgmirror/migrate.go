package pgmirror

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

// migrateLockKey serialises the mirror's migrations between processes; it
// differs from the catalog's so that the two never wait on each other.
const migrateLockKey int64 = 0x736f686f6172 // "sohoar"

// Migrate creates the register schema and applies, in name order and in
// one transaction, every embedded migration not yet recorded in
// register.schema_migrations. Applying them again is a no-op. The mirror
// keeps its own schema and its own record of versions so that it can live
// in the catalog's database, or in one of its own, without touching the
// catalog's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list register mirror migrations: %w", err)
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS register;
			CREATE TABLE IF NOT EXISTS register.schema_migrations (
				version    text PRIMARY KEY,
				applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create register.schema_migrations: %w", err)
		}
		for _, name := range names {
			version := name[len("migrations/"):]
			var done bool
			if err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM register.schema_migrations WHERE version = $1)`,
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
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("apply %s: %w", version, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO register.schema_migrations (version) VALUES ($1)`, version); err != nil {
				return fmt.Errorf("record %s: %w", version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate register mirror: %w", err)
	}
	return nil
}
