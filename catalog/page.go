package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Page is one scanned page of a dossier.
type Page struct {
	Position    int    // 1-based order in the dossier
	OriginalKey string // storage key of the original scan
	SHA256      string // lower-case hex of the original scan
	Size        int64  // bytes of the original scan
	Stage       string // stage that last set Status ("upload" at first)
	Status      PageStatus
	Error       string // why the stage failed, when Status is PageFailed
	UpdatedAt   time.Time
}

// AddPage records an uploaded page of the dossier. A page with the same
// hash (a station uploading the same scan twice) or the same position
// gives ErrExists; an unknown dossier gives ErrNotFound.
func (c *Catalog) AddPage(ctx context.Context, code string, p Page, actor string) (Page, error) {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var dossierID int64
		err := tx.QueryRow(ctx, `SELECT id FROM dossiers WHERE code = $1`, code).Scan(&dossierID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var pageID int64
		err = tx.QueryRow(ctx, `
			INSERT INTO pages (dossier_id, position, original_key, sha256, size) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING
			RETURNING id, stage, status, error, updated_at`,
			dossierID, p.Position, p.OriginalKey, p.SHA256, p.Size).
			Scan(&pageID, &p.Stage, &p.Status, &p.Error, &p.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, dossierID, &pageID, actor, "", string(p.Status),
			map[string]any{"key": p.OriginalKey, "sha256": p.SHA256, "size": p.Size})
	})
	if err != nil {
		return Page{}, fmt.Errorf("add page %d to dossier %s: %w", p.Position, code, err)
	}
	return p, nil
}

// Pages returns the dossier's pages in position order. An unknown dossier
// gives ErrNotFound.
func (c *Catalog) Pages(ctx context.Context, code string) ([]Page, error) {
	if _, err := c.Get(ctx, code); err != nil {
		return nil, err
	}
	rows, err := c.pool.Query(ctx, `
		SELECT p.position, p.original_key, p.sha256, p.size, p.stage, p.status, p.error, p.updated_at
		FROM pages p JOIN dossiers d ON d.id = p.dossier_id
		WHERE d.code = $1
		ORDER BY p.position`, code)
	if err != nil {
		return nil, fmt.Errorf("pages of dossier %s: %w", code, err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Page, error) {
		var p Page
		err := r.Scan(&p.Position, &p.OriginalKey, &p.SHA256, &p.Size, &p.Stage, &p.Status, &p.Error, &p.UpdatedAt)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("pages of dossier %s: %w", code, err)
	}
	return ps, nil
}

// MovePage records that stage moved the page at position from "from" to
// "to", with errText when it failed. Like Move, it refuses with
// ErrIllegalMove, changing nothing, a move not in the table or from a
// status the page is no longer in.
func (c *Catalog) MovePage(ctx context.Context, code string, position int, stage string, from, to PageStatus, errText, actor string) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var dossierID, pageID int64
		var cur PageStatus
		err := tx.QueryRow(ctx, `
			SELECT p.dossier_id, p.id, p.status
			FROM pages p JOIN dossiers d ON d.id = p.dossier_id
			WHERE d.code = $1 AND p.position = $2
			FOR UPDATE OF p`, code, position).Scan(&dossierID, &pageID, &cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != from || !allowed(pageMoves, from, to) {
			return fmt.Errorf("%w: page is %s, asked %s → %s", ErrIllegalMove, cur, from, to)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE pages SET status = $2, stage = $3, error = $4, updated_at = now() WHERE id = $1`,
			pageID, to, stage, errText); err != nil {
			return err
		}
		detail := map[string]any{"stage": stage}
		if errText != "" {
			detail["error"] = errText
		}
		return insertEvent(ctx, tx, dossierID, &pageID, actor, string(from), string(to), detail)
	})
	if err != nil {
		return fmt.Errorf("move page %d of dossier %s to %s: %w", position, code, to, err)
	}
	return nil
}
