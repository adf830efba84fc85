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
	// ResultKey is where the stage that processed the page stored its
	// result.
	ResultKey string
	UpdatedAt time.Time
}

// PageMove is one status change of a page and what it produced.
type PageMove struct {
	Stage    string // the stage making the move
	From, To PageStatus
	Error    string // why it failed, when To is PageFailed
	// ResultKey is set on the page with the move when not empty.
	ResultKey string
	Detail    map[string]any // recorded in the event beside stage and error
}

const pageColumns = `p.position, p.original_key, p.sha256, p.size, p.stage, p.status, p.error, p.result_key, p.updated_at`

func scanPage(r pgx.Row) (Page, error) {
	var p Page
	err := r.Scan(&p.Position, &p.OriginalKey, &p.SHA256, &p.Size, &p.Stage, &p.Status, &p.Error, &p.ResultKey, &p.UpdatedAt)
	return p, err
}

// AddPage records an uploaded page of the dossier; the first one moves it
// from Created to Uploading. A page with the same hash (a station
// uploading the same scan twice) or the same position gives ErrExists; an
// unknown dossier ErrNotFound; a dossier already submitted ErrIllegalMove.
func (c *Catalog) AddPage(ctx context.Context, code string, p Page, actor string) (Page, error) {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var dossierID int64
		var status Status
		err := tx.QueryRow(ctx, `SELECT id, status FROM dossiers WHERE code = $1 FOR UPDATE`, code).Scan(&dossierID, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch status {
		case Uploading:
		case Created: // the first page starts the upload
			if _, err := tx.Exec(ctx, `UPDATE dossiers SET status = $2, updated_at = now() WHERE id = $1`,
				dossierID, Uploading); err != nil {
				return err
			}
			if err := insertEvent(ctx, tx, dossierID, nil, actor, string(Created), string(Uploading), nil); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: dossier is %s; pages are added only before it is submitted", ErrIllegalMove, status)
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
		SELECT `+pageColumns+`
		FROM pages p JOIN dossiers d ON d.id = p.dossier_id
		WHERE d.code = $1
		ORDER BY p.position`, code)
	if err != nil {
		return nil, fmt.Errorf("pages of dossier %s: %w", code, err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Page, error) { return scanPage(r) })
	if err != nil {
		return nil, fmt.Errorf("pages of dossier %s: %w", code, err)
	}
	return ps, nil
}

// Page returns the dossier's page at position, or ErrNotFound.
func (c *Catalog) Page(ctx context.Context, code string, position int) (Page, error) {
	p, err := scanPage(c.pool.QueryRow(ctx, `
		SELECT `+pageColumns+`
		FROM pages p JOIN dossiers d ON d.id = p.dossier_id
		WHERE d.code = $1 AND p.position = $2`, code, position))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Page{}, fmt.Errorf("page %d of dossier %s: %w", position, code, err)
	}
	return p, nil
}

// MovePage records that stage moved the page at position from "from" to
// "to", with errText when it failed. Like Move, it refuses with
// ErrIllegalMove, changing nothing, a move not in the table or from a
// status the page is no longer in.
func (c *Catalog) MovePage(ctx context.Context, code string, position int, stage string, from, to PageStatus, errText, actor string) error {
	return c.MovePageWith(ctx, code, position, PageMove{Stage: stage, From: from, To: to, Error: errText}, actor)
}

// MovePageWith is MovePage that also records the stage's result key and
// more detail, in the same transaction.
func (c *Catalog) MovePageWith(ctx context.Context, code string, position int, m PageMove, actor string) error {
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
		if cur != m.From || !allowed(pageMoves, m.From, m.To) {
			return fmt.Errorf("%w: page is %s, asked %s → %s", ErrIllegalMove, cur, m.From, m.To)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE pages SET status = $2, stage = $3, error = $4,
				result_key = coalesce(nullif($5, ''), result_key), updated_at = now()
			WHERE id = $1`,
			pageID, m.To, m.Stage, m.Error, m.ResultKey); err != nil {
			return err
		}
		// The dossier changed too: the reconciler looks for dossiers that
		// have not.
		if _, err := tx.Exec(ctx, `UPDATE dossiers SET updated_at = now() WHERE id = $1`, dossierID); err != nil {
			return err
		}
		detail := map[string]any{"stage": m.Stage}
		for k, v := range m.Detail {
			detail[k] = v
		}
		if m.Error != "" {
			detail["error"] = m.Error
		}
		if m.ResultKey != "" {
			detail["result"] = m.ResultKey
		}
		return insertEvent(ctx, tx, dossierID, &pageID, actor, string(m.From), string(m.To), detail)
	})
	if err != nil {
		return fmt.Errorf("move page %d of dossier %s to %s: %w", position, code, m.To, err)
	}
	return nil
}
