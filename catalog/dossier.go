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
	// What the station recorded about the applicant, when it did.
	CitizenID string // 12-digit personal identification number
	ReceiptNo string // số biên nhận of the paper receipt
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

// dossierColumns are read from "dossiers d".
const dossierColumns = `d.code, d.procedure, d.office, d.queue, d.status, d.created_at, d.updated_at,
	coalesce(d.submitted_at, 'epoch'), d.assembled_key, d.pdf_key, d.pdf_sha256, d.citizen_id, d.receipt_no`

func scanDossier(r pgx.Row) (Dossier, error) {
	var d Dossier
	err := r.Scan(&d.Code, &d.Procedure, &d.Office, &d.Queue, &d.Status, &d.CreatedAt, &d.UpdatedAt,
		&d.SubmittedAt, &d.AssembledKey, &d.PDFKey, &d.PDFSHA256, &d.CitizenID, &d.ReceiptNo)
	if d.SubmittedAt.Unix() == 0 {
		d.SubmittedAt = time.Time{}
	}
	return d, err
}

// Event is one recorded state change of a dossier or one of its pages, or
// one access to it (see Record), and its link in the dossier's audit trail.
type Event struct {
	ID      int64
	Dossier string
	Page    int    // page position; 0 for a dossier event
	Action  string // ActionMove for a status change, else the access
	Actor   string // who made the change: station, worker, operator
	From    string // "" when the dossier or page was created, and for an access
	To      string // "" for an access
	Detail  map[string]any
	At      time.Time
	// PrevHash is the Hash of the dossier's event before ("" for the
	// first); both are "" for an event from before the trail.
	PrevHash, Hash string
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
			INSERT INTO dossiers (code, procedure, office, queue, status, citizen_id, receipt_no)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (code) DO NOTHING
			RETURNING id, status, created_at, updated_at`,
			d.Code, d.Procedure, d.Office, d.Queue, Created, d.CitizenID, d.ReceiptNo).Scan(&id, &d.Status, &d.CreatedAt, &d.UpdatedAt)
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
		`SELECT `+dossierColumns+` FROM dossiers d WHERE code = $1`, code))
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
		if m.To == Submitted {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM pages WHERE dossier_id = $1 AND NOT removed`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: dossier has no pages to submit", ErrIllegalMove)
			}
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
		if m.To == Signed {
			if err := addToFeed(ctx, tx, id); err != nil {
				return err
			}
		}
		// Signed and Failed are announced by webhook, from the outbox.
		if kind := outboxKind(m.To); kind != "" {
			if err := addToOutbox(ctx, tx, id, kind); err != nil {
				return err
			}
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
		SELECT `+dossierColumns+` FROM dossiers d
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
		SELECT e.id, coalesce(p.position, 0), e.action, e.actor, coalesce(e.from_status, ''), e.to_status,
			e.detail, e.at, coalesce(e.prev_hash, ''), coalesce(e.hash, '')
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
		err := r.Scan(&e.ID, &e.Page, &e.Action, &e.Actor, &e.From, &e.To, &e.Detail, &e.At, &e.PrevHash, &e.Hash)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("events of dossier %s: %w", code, err)
	}
	return evs, nil
}

// insertEvent logs a status change at the end of the dossier's audit
// trail (audit.go), in the caller's transaction, which holds the dossier
// row locked.
func insertEvent(ctx context.Context, tx pgx.Tx, dossierID int64, pageID *int64, actor, from, to string, detail map[string]any) error {
	return appendEvent(ctx, tx, dossierID, pageID, ActionMove, actor, from, to, detail)
}

// NextCode hands out the next dossier code of office for day: the
// national portal's shape, OFFICE-YYMMDD-NNNN, numbered from 1 each day.
func (c *Catalog) NextCode(ctx context.Context, office string, day time.Time) (string, error) {
	var n int
	err := c.pool.QueryRow(ctx, `
		INSERT INTO code_counters (office, day, n) VALUES ($1, $2, 1)
		ON CONFLICT (office, day) DO UPDATE SET n = code_counters.n + 1
		RETURNING n`, office, day.Format("2006-01-02")).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("next dossier code for %s: %w", office, err)
	}
	return fmt.Sprintf("%s-%s-%04d", office, day.Format("060102"), n), nil
}
