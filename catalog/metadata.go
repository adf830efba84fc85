package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconciliation states, as the reconcile stage reports them.
const (
	ReconcileDone    = "reconciled"
	ReconcilePending = "pending"
	ReconcileRefused = "refused"
	ReconcileNothing = "nothing_to_check"
)

// Metadata is what the metadata stages left for a dossier.
type Metadata struct {
	// Key is the stored metadata document (extraction and reconciliation).
	Key string
	// Status is the reconciliation's: ReconcileDone, ReconcilePending,
	// ReconcileRefused or ReconcileNothing.
	Status string
	// Tries counts the register's answers that left it pending; After is
	// when to ask again (zero unless pending).
	Tries int
	After time.Time
	// Citizens are the numbers the documents name, with each one's role.
	Citizens []Citizen
	// Calls are the register calls made, each recorded in the dossier's
	// audit trail as a "register-lookup" event.
	Calls []map[string]any
	// Summary is what the dossier's webhook events say of the metadata;
	// nil for none. SetMetadata sets its Reconciliation to Status.
	Summary *MetadataSummary
}

// MetadataSummary is what a dossier's webhook events (OutboxEvent) carry
// of its metadata: the types of its documents, the people they name with
// what the register said of each, and the reconciliation's state, so that
// the workflow system can route the dossier without fetching it first.
type MetadataSummary struct {
	DocumentTypes []string        `json:"document_types"`
	People        []SummaryPerson `json:"people"`
	// Reconciliation is Metadata.Status.
	Reconciliation string `json:"reconciliation"`
}

// SummaryPerson is one person a dossier's documents name, as they give
// them.
type SummaryPerson struct {
	Role   string `json:"role"`
	Number string `json:"number,omitempty"`
	Name   string `json:"name,omitempty"`
	Birth  string `json:"birth,omitempty"`
	// Register is what the register made of the number ("found",
	// "not_found", "no_number"); "" when it was not asked.
	Register string `json:"register,omitempty"`
}

// Citizen is a number a dossier's documents name, in a role ("applicant",
// "father" ...).
type Citizen struct {
	Number string
	Role   string
}

// SetMetadata records, in one transaction, the dossier's metadata document
// and reconciliation state, its summary, the citizens it names (replacing
// those of an earlier reconciliation), an audit event for each register
// call in m.Calls, and a "metadata" event. A pending state counts a try and
// is asked again at m.After. A dossier already announced ready (signed or
// delivered) whose pending reconciliation becomes reconciled gets an
// OutboxReconciled event. An unknown dossier gives ErrNotFound.
func (c *Catalog) SetMetadata(ctx context.Context, code string, m Metadata, actor string) error {
	switch m.Status {
	case ReconcileDone, ReconcilePending, ReconcileRefused, ReconcileNothing:
	default:
		return fmt.Errorf("set metadata of dossier %s: reconciliation status %q unknown", code, m.Status)
	}
	var summary any // SQL NULL when there is none
	if m.Summary != nil {
		s := *m.Summary
		s.Reconciliation = m.Status
		summary = s
	}
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var status Status
		var was string
		err := tx.QueryRow(ctx, `SELECT id, status, reconcile_status FROM dossiers WHERE code = $1 FOR NO KEY UPDATE`,
			code).Scan(&id, &status, &was)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var after any
		if m.Status == ReconcilePending {
			after = m.After
		}
		if _, err := tx.Exec(ctx, `
			UPDATE dossiers SET metadata_key = $2, reconcile_status = $3, reconcile_after = $4, metadata_summary = $5,
				reconcile_tries = CASE WHEN $3 = 'pending' THEN reconcile_tries + 1 ELSE reconcile_tries END
			WHERE id = $1`, id, m.Key, m.Status, after, summary); err != nil {
			return err
		}
		// The ready event said pending; the workflow system learns the
		// answer. A dossier not yet signed says it in its ready event.
		if was == ReconcilePending && m.Status == ReconcileDone && (status == Signed || status == Delivered) {
			if err := addToOutbox(ctx, tx, id, OutboxReconciled); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM dossier_citizens WHERE dossier_id = $1`, id); err != nil {
			return err
		}
		for _, z := range m.Citizens {
			if _, err := tx.Exec(ctx, `INSERT INTO dossier_citizens (dossier_id, number, role) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, id, z.Number, z.Role); err != nil {
				return fmt.Errorf("citizen %s: %w", z.Number, err)
			}
		}
		for _, call := range m.Calls {
			if err := appendEvent(ctx, tx, id, nil, "register-lookup", actor, "", "", call); err != nil {
				return err
			}
		}
		return appendEvent(ctx, tx, id, nil, "metadata", actor, "", "",
			map[string]any{"key": m.Key, "reconciliation": m.Status, "citizens": len(m.Citizens)})
	})
	if err != nil {
		return fmt.Errorf("set metadata of dossier %s: %w", code, err)
	}
	return nil
}

// MetadataOf returns what SetMetadata last recorded for the dossier (the
// zero Metadata's Key "" when nothing yet), without the calls; Tries counts
// every pending answer so far. An unknown
// dossier gives ErrNotFound.
func (c *Catalog) MetadataOf(ctx context.Context, code string) (Metadata, error) {
	var m Metadata
	var id int64
	var after *time.Time
	err := c.pool.QueryRow(ctx, `SELECT id, metadata_key, reconcile_status, reconcile_tries, reconcile_after, metadata_summary
		FROM dossiers WHERE code = $1`, code).Scan(&id, &m.Key, &m.Status, &m.Tries, &after, &m.Summary)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Metadata{}, fmt.Errorf("metadata of dossier %s: %w", code, err)
	}
	if after != nil {
		m.After = *after
	}
	rows, err := c.pool.Query(ctx, `SELECT number, role FROM dossier_citizens WHERE dossier_id = $1 ORDER BY number, role`, id)
	if err != nil {
		return Metadata{}, fmt.Errorf("citizens of dossier %s: %w", code, err)
	}
	m.Citizens, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Citizen])
	if err != nil {
		return Metadata{}, fmt.Errorf("citizens of dossier %s: %w", code, err)
	}
	return m, nil
}

// ReconcileDue returns up to limit dossiers whose reconciliation is
// pending and due by now, the longest waiting first.
func (c *Catalog) ReconcileDue(ctx context.Context, now time.Time, limit int) ([]Dossier, error) {
	rows, err := c.pool.Query(ctx, `SELECT `+dossierColumns+` FROM dossiers d
		WHERE d.reconcile_status = 'pending' AND d.reconcile_after <= $1
		ORDER BY d.reconcile_after LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("dossiers due for reconciliation: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Dossier, error) { return scanDossier(r) })
	if err != nil {
		return nil, fmt.Errorf("dossiers due for reconciliation: %w", err)
	}
	return out, nil
}
