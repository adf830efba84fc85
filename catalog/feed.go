package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// feedLock is the advisory lock key that numbers the ready feed.
const feedLock = 0x736f686f6166 // "sohoaf": not migrate's key

// addToFeed puts the dossier into the ready feed, in the transaction that
// signs it. The lock is held to commit, so numbers commit in order.
func addToFeed(ctx context.Context, tx pgx.Tx, dossierID int64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO ready_feed (dossier_id) VALUES ($1) ON CONFLICT DO NOTHING`, dossierID)
	return err
}

// Ready is one dossier in the ready feed.
type Ready struct {
	Seq     int64
	Dossier Dossier
	At      time.Time
}

// ReadyAfter returns up to limit dossiers that became ready after cursor
// position after (0: from the start), still awaiting pickup (signed, not
// delivered), in the order they became ready; office "" means every
// office. Paging by the last Seq returned never skips or repeats one,
// however many become ready meanwhile.
func (c *Catalog) ReadyAfter(ctx context.Context, after int64, limit int, office string) ([]Ready, error) {
	return c.ReadyFor(ctx, after, limit, ReadyFilter{Office: office})
}

// ReadyFilter narrows the ready feed; its zero value keeps every dossier.
type ReadyFilter struct {
	Office string
	// Citizen keeps the dossiers that name this personal identification
	// (or old identity card) number: the one the station recorded, or one
	// the documents gave.
	Citizen string
}

// ReadyFor is ReadyAfter with a filter.
func (c *Catalog) ReadyFor(ctx context.Context, after int64, limit int, f ReadyFilter) ([]Ready, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT f.seq, f.at, `+dossierColumns+`
		FROM ready_feed f JOIN dossiers d ON d.id = f.dossier_id
		WHERE f.seq > $1 AND d.status = 'signed' AND ($3 = '' OR d.office = $3)
			AND ($4 = '' OR d.citizen_id = $4
				OR EXISTS (SELECT 1 FROM dossier_citizens z WHERE z.dossier_id = d.id AND z.number = $4))
		ORDER BY f.seq LIMIT $2`, after, limit, f.Office, f.Citizen)
	if err != nil {
		return nil, fmt.Errorf("ready dossiers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Ready, error) {
		var x Ready
		d := &x.Dossier
		err := r.Scan(&x.Seq, &x.At, &d.Code, &d.Procedure, &d.Office, &d.Queue, &d.Status, &d.CreatedAt, &d.UpdatedAt,
			&d.SubmittedAt, &d.AssembledKey, &d.PDFKey, &d.PDFSHA256, &d.CitizenID, &d.ReceiptNo)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("ready dossiers: %w", err)
	}
	return out, nil
}

// Counts returns how many dossiers are in each status and how many pages
// are in each (stage, status): what /metrics reports as work in progress.
func (c *Catalog) Counts(ctx context.Context) (dossiers map[string]int, pages map[[2]string]int, err error) {
	dossiers, pages = map[string]int{}, map[[2]string]int{}
	rows, err := c.pool.Query(ctx, `SELECT status, count(*) FROM dossiers GROUP BY status`)
	if err != nil {
		return nil, nil, fmt.Errorf("count dossiers: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, nil, err
		}
		dossiers[s] = n
	}
	rows, err = c.pool.Query(ctx, `SELECT stage, status, count(*) FROM pages WHERE NOT removed GROUP BY stage, status`)
	if err != nil {
		return nil, nil, fmt.Errorf("count pages: %w", err)
	}
	for rows.Next() {
		var st, s string
		var n int
		if err := rows.Scan(&st, &s, &n); err != nil {
			return nil, nil, err
		}
		pages[[2]string{st, s}] = n
	}
	return dossiers, pages, rows.Err()
}

// SearchFilter narrows Search; empty fields match every dossier.
type SearchFilter struct {
	Office string
	// Citizen keeps the dossiers that name this number: the one the
	// station recorded, or one their documents gave.
	Citizen string
	// From and To bound the creation time: From ≤ created < To.
	From, To time.Time
	Limit    int // at most this many; 100 when 0
}

// Search returns the dossiers f matches, whatever their status, the most
// recently created first: what an auditor looks a citizen's dossiers up by.
func (c *Catalog) Search(ctx context.Context, f SearchFilter) ([]Dossier, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var from, to any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	rows, err := c.pool.Query(ctx, `
		SELECT `+dossierColumns+` FROM dossiers d
		WHERE ($1 = '' OR d.office = $1)
			AND ($2 = '' OR d.citizen_id = $2
				OR EXISTS (SELECT 1 FROM dossier_citizens z WHERE z.dossier_id = d.id AND z.number = $2))
			AND ($3::timestamptz IS NULL OR d.created_at >= $3)
			AND ($4::timestamptz IS NULL OR d.created_at < $4)
		ORDER BY d.created_at DESC, d.id DESC LIMIT $5`, f.Office, f.Citizen, from, to, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("search dossiers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Dossier, error) { return scanDossier(r) })
	if err != nil {
		return nil, fmt.Errorf("search dossiers: %w", err)
	}
	return out, nil
}
