package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Page is one scanned page of a dossier.
type Page struct {
	Position    int    // 1-based order in the dossier
	OriginalKey string // storage key of the original scan
	SHA256      string // lower-case hex of the original scan
	Size        int64  // bytes of the original scan
	// Frames is how many pages the scan file holds (TIFF frames, PDF
	// pages); at least 1.
	Frames int
	Stage  string // stage that last set Status ("upload" at first)
	Status PageStatus
	Error  string // why the stage failed, when Status is PageFailed
	// ResultKey is where the stage that processed the page stored its
	// result.
	ResultKey string
	// Warnings are what the operator should hear about the page (blank,
	// low resolution, low OCR confidence): what the file tells as it
	// arrives, replaced by the page stage's when it is processed.
	Warnings  []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PageMove is one status change of a page and what it produced.
type PageMove struct {
	Stage    string // the stage making the move
	From, To PageStatus
	Error    string // why it failed, when To is PageFailed
	// ResultKey is set on the page with the move when not empty.
	ResultKey string
	Warnings  []string       // set on the page when not nil
	Detail    map[string]any // recorded in the event beside stage and error
}

const pageColumns = `p.position, p.original_key, p.sha256, p.size, p.frames, p.stage, p.status, p.error, p.result_key,
	p.warnings, p.created_at, p.updated_at`

func scanPage(r pgx.Row) (Page, error) {
	var p Page
	err := r.Scan(&p.Position, &p.OriginalKey, &p.SHA256, &p.Size, &p.Frames, &p.Stage, &p.Status, &p.Error, &p.ResultKey,
		&p.Warnings, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// AddPage records an uploaded page of the dossier; the first one moves it
// from Created to Uploading. A page with the same hash (a station
// uploading the same scan twice) or the same position gives ErrExists; an
// unknown dossier ErrNotFound; a dossier already submitted ErrIllegalMove;
// one whose pages would then hold more frames than w.MaxFrames allows
// ErrTooManyFrames.
func (c *Catalog) AddPage(ctx context.Context, code string, p Page, actor string) (Page, error) {
	return c.AddPageWith(ctx, code, p, actor, PageWrite{})
}

// PageWrite is what AddPageWith and ReplacePageWith check and do beyond
// recording the page.
type PageWrite struct {
	// MaxFrames bounds the frames of the dossier's current pages
	// together, this one's included; 0 sets no bound.
	MaxFrames int
	// Keep, when set, runs once every check has passed, inside the
	// transaction that records the page and under the dossier's lock; an
	// error from it records nothing. The API stores the page's original
	// there, so that a page the catalog refuses (its position taken, the
	// dossier full or submitted) leaves no write-once original behind.
	Keep func() error
}

// AddPageWith is AddPage with w's bound and w.Keep run before the page is
// recorded. The same page confirmed again at the same position gives
// ErrExists before any bound is checked or Keep is run.
func (c *Catalog) AddPageWith(ctx context.Context, code string, p Page, actor string, w PageWrite) (Page, error) {
	p.Frames = max(p.Frames, 1)
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
		var same bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pages WHERE dossier_id = $1 AND NOT removed AND position = $2 AND sha256 = $3)`,
			dossierID, p.Position, p.SHA256).Scan(&same); err != nil {
			return err
		}
		if same { // a confirm repeated after a lost answer
			return ErrExists
		}
		if err := checkFrames(ctx, tx, dossierID, 0, p.Frames, w.MaxFrames); err != nil {
			return err
		}
		var pageID int64
		err = tx.QueryRow(ctx, `
			INSERT INTO pages (dossier_id, position, original_key, sha256, size, frames, warnings)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '[]'::jsonb))
			ON CONFLICT DO NOTHING
			RETURNING id, stage, status, error, updated_at`,
			dossierID, p.Position, p.OriginalKey, p.SHA256, p.Size, p.Frames, warningsArg(p.Warnings)).
			Scan(&pageID, &p.Stage, &p.Status, &p.Error, &p.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		if w.Keep != nil {
			if err := w.Keep(); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, dossierID, &pageID, actor, "", string(p.Status),
			map[string]any{"key": p.OriginalKey, "sha256": p.SHA256, "size": p.Size, "frames": p.Frames})
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
		WHERE d.code = $1 AND NOT p.removed
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
		WHERE d.code = $1 AND p.position = $2 AND NOT p.removed`, code, position))
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
		// The dossier first, as every other writer of its pages locks it.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM dossiers WHERE code = $1 FOR NO KEY UPDATE`, code); err != nil {
			return err
		}
		var dossierID, pageID int64
		var cur PageStatus
		err := tx.QueryRow(ctx, `
			SELECT p.dossier_id, p.id, p.status
			FROM pages p JOIN dossiers d ON d.id = p.dossier_id
			WHERE d.code = $1 AND p.position = $2 AND NOT p.removed
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
				result_key = coalesce(nullif($5, ''), result_key),
				warnings = coalesce($6, warnings), updated_at = now()
			WHERE id = $1`,
			pageID, m.To, m.Stage, m.Error, m.ResultKey, warningsArg(m.Warnings)); err != nil {
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

func warningsArg(w []string) any {
	if w == nil {
		return nil
	}
	return w
}

// lockUploading locks the dossier for a change to its pages, which only
// a dossier still being uploaded allows.
func lockUploading(ctx context.Context, tx pgx.Tx, code string) (int64, error) {
	var id int64
	var status Status
	err := tx.QueryRow(ctx, `SELECT id, status FROM dossiers WHERE code = $1 FOR UPDATE`, code).Scan(&id, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if status != Uploading {
		return 0, fmt.Errorf("%w: dossier is %s; pages change only while it is uploading", ErrIllegalMove, status)
	}
	return id, nil
}

// ReplacePage puts a re-scan in place of the page at position, before the
// dossier is submitted. The replaced original stays in storage (it is
// write-once) and in the event log.
func (c *Catalog) ReplacePage(ctx context.Context, code string, position int, p Page, actor string) error {
	return c.ReplacePageWith(ctx, code, position, p, actor, PageWrite{})
}

// ReplacePageWith is ReplacePage with w's bound and w.Keep run before the
// replacement is recorded.
func (c *Catalog) ReplacePageWith(ctx context.Context, code string, position int, p Page, actor string, w PageWrite) error {
	p.Frames = max(p.Frames, 1)
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		id, err := lockUploading(ctx, tx, code)
		if err != nil {
			return err
		}
		var pageID int64
		var old string
		err = tx.QueryRow(ctx, `SELECT id, sha256 FROM pages WHERE dossier_id = $1 AND position = $2 AND NOT removed FOR UPDATE`,
			id, position).Scan(&pageID, &old)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := checkFrames(ctx, tx, id, pageID, p.Frames, w.MaxFrames); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE pages SET original_key = $2, sha256 = $3, size = $4, frames = $5,
				warnings = coalesce($6, '[]'::jsonb), updated_at = now() WHERE id = $1`,
			pageID, p.OriginalKey, p.SHA256, p.Size, p.Frames, warningsArg(p.Warnings))
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: that scan is already another page of the dossier", ErrExists)
		}
		if err != nil {
			return err
		}
		if w.Keep != nil {
			if err := w.Keep(); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, id, &pageID, actor, string(PageUploaded), string(PageUploaded),
			map[string]any{"replaced": old, "key": p.OriginalKey, "sha256": p.SHA256, "size": p.Size, "frames": p.Frames})
	})
	if err != nil {
		return fmt.Errorf("replace page %d of dossier %s: %w", position, code, err)
	}
	return nil
}

// DeletePage takes the page at position out of the dossier before it is
// submitted; the pages after it move up one.
func (c *Catalog) DeletePage(ctx context.Context, code string, position int, actor string) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		id, err := lockUploading(ctx, tx, code)
		if err != nil {
			return err
		}
		var sum string
		var pageID int64
		err = tx.QueryRow(ctx, `
			UPDATE pages SET removed = true, updated_at = now()
			WHERE dossier_id = $1 AND position = $2 AND NOT removed RETURNING id, sha256`,
			id, position).Scan(&pageID, &sum)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, id); err != nil {
			return err
		}
		return insertEvent(ctx, tx, id, &pageID, actor, string(Uploading), string(Uploading),
			map[string]any{"deleted_page": position, "sha256": sum})
	})
	if err != nil {
		return fmt.Errorf("delete page %d of dossier %s: %w", position, code, err)
	}
	return nil
}

// ReorderPages puts the pages in the order given: order lists every
// current position once, the one to be first first.
func (c *Catalog) ReorderPages(ctx context.Context, code string, order []int, actor string) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		id, err := lockUploading(ctx, tx, code)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT position FROM pages WHERE dossier_id = $1 AND NOT removed ORDER BY position`, id)
		if err != nil {
			return err
		}
		current, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		// order must name each current page once, by its position now
		// (which need not run 1 to n: a station may leave gaps).
		have := map[int]bool{}
		for _, p := range current {
			have[p] = true
		}
		for _, p := range order {
			if !have[p] {
				return fmt.Errorf("%w: order must list each of the positions %v once", ErrBadOrder, current)
			}
			delete(have, p)
		}
		if len(order) != len(current) {
			return fmt.Errorf("%w: order must list each of the positions %v once", ErrBadOrder, current)
		}
		// Two steps, so that no two pages hold one position in between.
		if _, err := tx.Exec(ctx, `UPDATE pages SET position = position + 1000000 WHERE dossier_id = $1 AND NOT removed`, id); err != nil {
			return err
		}
		for newPos, old := range order {
			tag, err := tx.Exec(ctx, `UPDATE pages SET position = $3, updated_at = now() WHERE dossier_id = $1 AND position = $2 AND NOT removed`,
				id, old+1000000, newPos+1)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("reorder: page at %d moved %d rows", old, tag.RowsAffected())
			}
		}
		return insertEvent(ctx, tx, id, nil, actor, string(Uploading), string(Uploading), map[string]any{"order": order})
	})
	if err != nil {
		return fmt.Errorf("reorder pages of dossier %s: %w", code, err)
	}
	return nil
}

// ErrBadOrder: a page order that is not a permutation of the pages.
var ErrBadOrder = errors.New("invalid page order")

func renumber(ctx context.Context, tx pgx.Tx, dossierID int64) error {
	_, err := tx.Exec(ctx, `
		UPDATE pages p SET position = r.n + 1000000 FROM (
			SELECT id, row_number() OVER (ORDER BY position) AS n FROM pages WHERE dossier_id = $1 AND NOT removed
		) r WHERE p.id = r.id`, dossierID)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE pages SET position = position - 1000000 WHERE dossier_id = $1 AND NOT removed`, dossierID)
	return err
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// OriginalOffices returns the offices whose dossiers hold (or held) the
// original with SHA-256 sum.
func (c *Catalog) OriginalOffices(ctx context.Context, sum string) ([]string, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT DISTINCT d.office FROM pages p JOIN dossiers d ON d.id = p.dossier_id
		WHERE p.sha256 = $1 ORDER BY d.office`, sum)
	if err != nil {
		return nil, fmt.Errorf("offices of original %s: %w", sum, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// checkFrames refuses a page of frames frames when, with the dossier's
// other current pages (not the one being replaced, skip), it would pass
// limit, so that a dossier cannot grow past what a desk scans by many
// files each under the per-file limit. The caller holds the dossier's row
// lock, so two pages added at once cannot both slip under it.
func checkFrames(ctx context.Context, tx pgx.Tx, dossierID, skip int64, frames, limit int) error {
	if limit <= 0 {
		return nil
	}
	var held int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(frames), 0) FROM pages WHERE dossier_id = $1 AND NOT removed AND id <> $2`,
		dossierID, skip).Scan(&held); err != nil {
		return err
	}
	if held+int64(frames) > int64(limit) {
		return fmt.Errorf("%w: the dossier holds %d pages, this file %d more, limit %d", ErrTooManyFrames, held, frames, limit)
	}
	return nil
}
