package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dossier is one citizen's application as the catalog records it.
type Dossier struct {
	Code      string // mã hồ sơ, given to the citizen
	Procedure string // administrative procedure (TTHC) code
	Office    string // receiving office
	// Queue is the work queue its pages go to: QueueDesk for a citizen
	// waiting at the counter, QueueBulk for back-file digitization.
	Queue     string
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	// SubmittedAt is set by the move to Submitted; the PDF is dated by it.
	SubmittedAt time.Time
	// Where the assemble and sign stages left the dossier PDF.
	AssembledKey string
	PDFKey       string
	PDFSHA256    string
}

// Queues. Desk work is someone waiting; bulk is the archive's back files.
const (
	QueueDesk = "desk"
	QueueBulk = "bulk"
)

// DossierMove is one status change of a dossier and what it produced.
type DossierMove struct {
	From, To Status
	Detail   map[string]any // recorded in the event
	// Set on the dossier with the move when not empty.
	AssembledKey string
	PDFKey       string
	PDFSHA256    string
}

const dossierColumns = `code, procedure, office, queue, status, created_at, updated_at,
	coalesce(submitted_at, 'epoch'), assembled_key, pdf_key, pdf_sha256`

func scanDossier(r pgx.Row) (Dossier, error) {
	var d Dossier
	err := r.Scan(&d.Code, &d.Procedure, &d.Office, &d.Queue, &d.Status, &d.CreatedAt, &d.UpdatedAt,
		&d.SubmittedAt, &d.AssembledKey, &d.PDFKey, &d.PDFSHA256)
	if d.SubmittedAt.Unix() == 0 {
		d.SubmittedAt = time.Time{}
	}
	return d, err
}

// Event is one recorded state change of a dossier or one of its pages.
type Event struct {
	Dossier string
	Page    int    // page position; 0 for a dossier event
	Actor   string // who made the change: station, worker, operator
	From    string // "" when the dossier or page was created
	To      string
	Detail  map[string]any
	At      time.Time
}

// CreateDossier records a new dossier in status Created. A dossier with
// the same code gives ErrExists.
func (c *Catalog) CreateDossier(ctx context.Context, d Dossier, actor string) (Dossier, error) {
	if d.Queue == "" {
		d.Queue = QueueDesk
	}
	if d.Queue != QueueDesk && d.Queue != QueueBulk {
		return Dossier{}, fmt.Errorf("create dossier %s: queue %q: want %q or %q", d.Code, d.Queue, QueueDesk, QueueBulk)
	}
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO dossiers (code, procedure, office, queue, status) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (code) DO NOTHING
			RETURNING id, status, created_at, updated_at`,
			d.Code, d.Procedure, d.Office, d.Queue, Created).Scan(&id, &d.Status, &d.CreatedAt, &d.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, id, nil, actor, "", string(Created), nil)
	})
	if err != nil {
		return Dossier{}, fmt.Errorf("create dossier %s: %w", d.Code, err)
	}
	return d, nil
}

// Get returns the dossier with the given code, or ErrNotFound.
func (c *Catalog) Get(ctx context.Context, code string) (Dossier, error) {
	d, err := scanDossier(c.pool.QueryRow(ctx,
		`SELECT `+dossierColumns+` FROM dossiers WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Dossier{}, fmt.Errorf("get dossier %s: %w", code, err)
	}
	return d, nil
}

// Move changes a dossier's status from "from" to "to" and logs it with
// detail. It fails with ErrIllegalMove, changing nothing, when the dossier
// is no longer in "from" (another worker moved it first) or the move is
// not in the table of allowed moves. Naming the expected current status
// makes a retried or duplicated task harmless.
func (c *Catalog) Move(ctx context.Context, code string, from, to Status, actor string, detail map[string]any) error {
	return c.MoveWith(ctx, code, DossierMove{From: from, To: to, Detail: detail}, actor)
}

// MoveWith is Move that also records what the stage produced, in the same
// transaction: a stage's result is the dossier's only if its move won.
// The move to Submitted stamps SubmittedAt.
func (c *Catalog) MoveWith(ctx context.Context, code string, m DossierMove, actor string) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var cur Status
		err := tx.QueryRow(ctx,
			`SELECT id, status FROM dossiers WHERE code = $1 FOR UPDATE`, code).Scan(&id, &cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != m.From || !allowed(dossierMoves, m.From, m.To) {
			return fmt.Errorf("%w: dossier is %s, asked %s → %s", ErrIllegalMove, cur, m.From, m.To)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE dossiers SET status = $2, updated_at = now(),
				submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END,
				assembled_key = coalesce(nullif($3, ''), assembled_key),
				pdf_key = coalesce(nullif($4, ''), pdf_key),
				pdf_sha256 = coalesce(nullif($5, ''), pdf_sha256)
			WHERE id = $1`, id, m.To, m.AssembledKey, m.PDFKey, m.PDFSHA256); err != nil {
			return err
		}
		return insertEvent(ctx, tx, id, nil, actor, string(m.From), string(m.To), m.Detail)
	})
	if err != nil {
		return fmt.Errorf("move dossier %s to %s: %w", code, m.To, err)
	}
	return nil
}

// Unfinished returns up to limit dossiers that have work still to do
// (submitted, processing or assembled) and have not changed since before,
// least recently changed first: what the reconciler re-queues when a
// queue lost its tasks.
func (c *Catalog) Unfinished(ctx context.Context, before time.Time, limit int) ([]Dossier, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT `+dossierColumns+` FROM dossiers
		WHERE status IN ('submitted', 'processing', 'assembled') AND updated_at < $1
		ORDER BY updated_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("unfinished dossiers: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Dossier, error) { return scanDossier(r) })
	if err != nil {
		return nil, fmt.Errorf("unfinished dossiers: %w", err)
	}
	return ds, nil
}

// Events returns the dossier's events, and its pages' events, in the
// order they were recorded.
func (c *Catalog) Events(ctx context.Context, code string) ([]Event, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT coalesce(p.position, 0), e.actor, coalesce(e.from_status, ''), e.to_status, e.detail, e.at
		FROM events e
		JOIN dossiers d ON d.id = e.dossier_id
		LEFT JOIN pages p ON p.id = e.page_id
		WHERE d.code = $1
		ORDER BY e.id`, code)
	if err != nil {
		return nil, fmt.Errorf("events of dossier %s: %w", code, err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		e := Event{Dossier: code}
		err := r.Scan(&e.Page, &e.Actor, &e.From, &e.To, &e.Detail, &e.At)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("events of dossier %s: %w", code, err)
	}
	return evs, nil
}

func insertEvent(ctx context.Context, tx pgx.Tx, dossierID int64, pageID *int64, actor, from, to string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	var fromArg *string
	if from != "" {
		fromArg = &from
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO events (dossier_id, page_id, actor, from_status, to_status, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, dossierID, pageID, actor, fromArg, to, detail)
	if err != nil {
		return fmt.Errorf("log event: %w", err)
	}
	return nil
}
