package catalog

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sohoa/sohoa/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies, in name order and in one transaction, every embedded
// migration not yet recorded in schema_migrations. Applying them again is
// a no-op.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, pgmigrate.Set{Name: "catalog", Files: migrations, Dir: "migrations",
		LockKey: 0x736f686f61}) // "sohoa"
}
