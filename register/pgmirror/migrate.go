package pgmirror

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sohoa/sohoa/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the register schema and applies, in name order and in
// one transaction, every embedded migration not yet recorded in
// register.schema_migrations. Applying them again is a no-op. The mirror
// keeps its own schema and its own record of versions so that it can live
// in the catalog's database, or in one of its own, without touching the
// catalog's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, pgmigrate.Set{Name: "register mirror", Files: migrations, Dir: "migrations",
		Schema: "register", LockKey: 0x736f686f6172}) // "sohoar"
}
