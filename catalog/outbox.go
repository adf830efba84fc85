package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbox event kinds: the "type" of a webhook body.
const (
	OutboxReady  = "dossier.ready"  // the dossier is signed: its PDF may be fetched
	OutboxFailed = "dossier.failed" // the dossier failed and will not be signed
	// OutboxReconciled: the register has answered for a dossier whose
	// ready event said its reconciliation was pending.
	OutboxReconciled = "dossier.reconciled"
)

// OutboxEvent is one event in the outbox, in the shape receivers get it:
// it is the JSON body of the webhook POST.
type OutboxEvent struct {
	// ID identifies the event to receivers, which de-duplicate by it:
	// delivery is at least once. For one dossier a larger ID is a later
	// event; across dossiers IDs say nothing about order.
	ID      int64  `json:"id"`
	Type    string `json:"type"` // OutboxReady, OutboxFailed or OutboxReconciled
	Dossier string `json:"dossier"`
	Status  Status `json:"status"`
	// PDFSHA256 is the signed PDF's hash, "" for a failed dossier.
	PDFSHA256 string `json:"pdf_sha256"`
	// At is when the move was made, or the register answered.
	At time.Time `json:"at"`
	// Metadata summarises what the dossier's documents say and the
	// register's verdict, as they stood when the event was made; absent
	// before the metadata stages ran (a dossier failed before assembly).
	Metadata *MetadataSummary `json:"metadata,omitempty"`
}

// outboxKind is the webhook event a move to status to calls for:
// OutboxReady for Signed, OutboxFailed for Failed, "" for none.
func outboxKind(to Status) string {
	switch to {
	case Signed:
		return OutboxReady
	case Failed:
		return OutboxFailed
	}
	return ""
}

// addToOutbox records the webhook event kind of the dossier as it stands
// in tx, in the transaction that made it so (a move, a reconciliation):
// the event exists if and only if that transaction committed.
func addToOutbox(ctx context.Context, tx pgx.Tx, dossierID int64, kind string) error {
	e := OutboxEvent{Type: kind}
	// The id is taken first because the payload carries it.
	var sum string
	err := tx.QueryRow(ctx, `
		SELECT nextval(pg_get_serial_sequence('outbox', 'id')), code, status, pdf_sha256,
			CASE WHEN $2 = 'dossier.reconciled' THEN now() ELSE updated_at END, metadata_summary
		FROM dossiers WHERE id = $1`, dossierID, kind).Scan(&e.ID, &e.Dossier, &e.Status, &sum, &e.At, &e.Metadata)
	if err != nil {
		return fmt.Errorf("add %s event to outbox: %w", e.Type, err)
	}
	if e.Status != Failed {
		e.PDFSHA256 = sum
	}
	e.At = e.At.UTC()
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("add %s event to outbox: %w", e.Type, err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO outbox (id, dossier_id, kind, payload) OVERRIDING SYSTEM VALUE
		VALUES ($1, $2, $3, $4)`, e.ID, dossierID, e.Type, string(body))
	if err != nil {
		return fmt.Errorf("add %s event to outbox: %w", e.Type, err)
	}
	return nil
}

// OutboxEvents returns the dossier's webhook events, oldest first.
func (c *Catalog) OutboxEvents(ctx context.Context, code string) ([]OutboxEvent, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT o.payload FROM outbox o JOIN dossiers d ON d.id = o.dossier_id
		WHERE d.code = $1 ORDER BY o.id`, code)
	if err != nil {
		return nil, fmt.Errorf("outbox events of dossier %s: %w", code, err)
	}
	evs, err := pgx.CollectRows(rows, pgx.RowTo[OutboxEvent])
	if err != nil {
		return nil, fmt.Errorf("outbox events of dossier %s: %w", code, err)
	}
	return evs, nil
}

// Delivery is one outbox event on its way to one receiver URL.
type Delivery struct {
	OutboxID int64
	URL      string
	Kind     string // OutboxReady, OutboxFailed or OutboxReconciled
	Dossier  string
	// Payload is the body to post, byte for byte: what the signature
	// covers.
	Payload []byte
	// Attempts counts attempts started, the current one included once
	// claimed.
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   time.Time // zero until a receiver answered 2xx
	DeadAt        time.Time // zero unless the dispatcher gave up
	LastError     string    // why the last failed attempt failed
	CreatedAt     time.Time
}

const deliveryColumns = `w.outbox_id, w.url, o.kind, o.payload->>'dossier', o.payload::text, w.attempts,
	w.next_attempt_at, w.delivered_at, w.dead_at, w.last_error, w.created_at`

func scanDelivery(r pgx.CollectableRow) (Delivery, error) {
	var d Delivery
	var payload string
	var delivered, dead *time.Time
	err := r.Scan(&d.OutboxID, &d.URL, &d.Kind, &d.Dossier, &payload, &d.Attempts,
		&d.NextAttemptAt, &delivered, &dead, &d.LastError, &d.CreatedAt)
	d.Payload = []byte(payload)
	if delivered != nil {
		d.DeliveredAt = *delivered
	}
	if dead != nil {
		d.DeadAt = *dead
	}
	return d, err
}

// FanOut gives up to limit outbox events that have no deliveries yet,
// oldest first, one delivery due now to each of urls, and returns how
// many events it fanned out. Each event is fanned out once, by whichever
// dispatcher gets to it first, so every process that dispatches must be
// configured with the same URLs; a URL added later gets the events from
// then on, not the ones before.
func (c *Catalog) FanOut(ctx context.Context, urls []string, limit int) (int, error) {
	if len(urls) == 0 {
		// Marking events fanned out to nobody would lose them.
		return 0, errors.New("fan out outbox: no receiver URLs")
	}
	tag, err := c.pool.Exec(ctx, `
		WITH todo AS (
			SELECT id FROM outbox WHERE fanned_out_at IS NULL
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
		), added AS (
			INSERT INTO webhook_deliveries (outbox_id, url)
			SELECT todo.id, u.url FROM todo CROSS JOIN unnest($1::text[]) AS u (url)
			ON CONFLICT DO NOTHING
		)
		UPDATE outbox SET fanned_out_at = now() FROM todo WHERE outbox.id = todo.id`, urls, limit)
	if err != nil {
		return 0, fmt.Errorf("fan out outbox: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ClaimDeliveries claims up to limit deliveries to urls that are due,
// soonest due first: it counts an attempt on each and makes it not due
// again for lease, which must cover the POST and recording its outcome.
// Rows another dispatcher is claiming are skipped (FOR UPDATE SKIP
// LOCKED), so dispatchers in several processes do not send one delivery
// at once; one whose dispatcher died mid-post is due again when its lease
// ends. Deliveries to URLs not in urls (receivers since removed from the
// configuration) are left as they are.
func (c *Catalog) ClaimDeliveries(ctx context.Context, urls []string, limit int, lease time.Duration) ([]Delivery, error) {
	rows, err := c.pool.Query(ctx, `
		WITH due AS (
			SELECT outbox_id, url FROM webhook_deliveries
			WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now() AND url = ANY ($1)
			ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
		)
		UPDATE webhook_deliveries w SET attempts = w.attempts + 1, next_attempt_at = now() + $3::interval
		FROM due JOIN outbox o ON o.id = due.outbox_id
		WHERE w.outbox_id = due.outbox_id AND w.url = due.url
		RETURNING `+deliveryColumns, urls, limit, lease)
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return ds, nil
}

// MarkDelivered records that the receiver accepted d. Recording it again
// is harmless.
func (c *Catalog) MarkDelivered(ctx context.Context, d Delivery) error {
	_, err := c.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET delivered_at = coalesce(delivered_at, now())
		WHERE outbox_id = $1 AND url = $2`, d.OutboxID, d.URL)
	if err != nil {
		return fmt.Errorf("mark event %d delivered to %s: %w", d.OutboxID, d.URL, err)
	}
	return nil
}

// RetryDelivery records why the attempt claimed as d failed and makes the
// delivery due again after delay. The attempt count is the claim's
// fencing token: if the delivery has been claimed again since (this
// attempt outlived its lease) or delivered, nothing changes.
func (c *Catalog) RetryDelivery(ctx context.Context, d Delivery, reason string, delay time.Duration) error {
	_, err := c.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET next_attempt_at = now() + $4::interval, last_error = $3
		WHERE outbox_id = $1 AND url = $2 AND attempts = $5 AND delivered_at IS NULL AND dead_at IS NULL`,
		d.OutboxID, d.URL, reason, delay, d.Attempts)
	if err != nil {
		return fmt.Errorf("retry event %d to %s: %w", d.OutboxID, d.URL, err)
	}
	return nil
}

// GiveUpDelivery records why the attempt claimed as d failed and that no
// more are to be made. The row stays, for inspection and for an operator
// to revive (clear dead_at).
func (c *Catalog) GiveUpDelivery(ctx context.Context, d Delivery, reason string) error {
	_, err := c.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET dead_at = now(), last_error = $3
		WHERE outbox_id = $1 AND url = $2 AND attempts = $4 AND delivered_at IS NULL AND dead_at IS NULL`,
		d.OutboxID, d.URL, reason, d.Attempts)
	if err != nil {
		return fmt.Errorf("give up event %d to %s: %w", d.OutboxID, d.URL, err)
	}
	return nil
}

// Deliveries returns the deliveries of the dossier's events, or of every
// event when code is "", by event then URL.
func (c *Catalog) Deliveries(ctx context.Context, code string) ([]Delivery, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT `+deliveryColumns+`
		FROM webhook_deliveries w JOIN outbox o ON o.id = w.outbox_id JOIN dossiers d ON d.id = o.dossier_id
		WHERE $1 = '' OR d.code = $1
		ORDER BY w.outbox_id, w.url`, code)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries of dossier %q: %w", code, err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries of dossier %q: %w", code, err)
	}
	return ds, nil
}
