package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/citizen"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/reconcile"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
)

// The metadata stages (extract, and reconcile when the worker has a
// register) run inside assembly, in pipeline.Builder.Finish. What they
// found is stored as its own document (storage.MetadataKey) and recorded
// in the catalog before the assembled PDF is stored, so that a stored PDF
// always has its metadata recorded and a retried assembly that finds the
// PDF has nothing to redo. A register that could not answer leaves the
// dossier's reconciliation pending: the dossier is signed all the same,
// and the reconcile task asks the register again later, storing a newer
// document each time; the catalog says which is current.

// maxRegisterRetry caps the doubling delay between two tries at a register
// that cannot answer.
const maxRegisterRetry = time.Hour

// registerFor is the register and caller d's lookups go out with: every
// call names the dossier's own procedure when it has one.
func (w *Worker) registerFor(d catalog.Dossier) *pipeline.Register {
	if w.cfg.Register == nil {
		return nil
	}
	r := *w.cfg.Register
	if d.Procedure != "" {
		r.Caller.Procedure = d.Procedure
	}
	return &r
}

// registerRetry is how long to wait before asking the register again
// after tries answers that left the dossier pending: RegisterRetry,
// doubling with each, at most an hour (or RegisterRetry, if longer).
func (w *Worker) registerRetry(tries int) time.Duration {
	base := w.cfg.RegisterRetry
	return min(base<<min(tries, 10), max(maxRegisterRetry, base))
}

// recordMetadata stores md as the dossier's current metadata document and
// records it in the catalog with its reconciliation state, the citizens
// its documents name, the register calls made (each in the trail, with the
// officer they were made for) and the summary the webhook events carry.
// Recording the document already current, with no new calls, changes
// nothing. It returns the reconciliation status recorded.
func (w *Worker) recordMetadata(ctx context.Context, d catalog.Dossier, md *pipeline.Metadata, calls []reconcile.Call, reg *pipeline.Register) (string, error) {
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return "", fmt.Errorf("metadata of dossier %s: %w", d.Code, err)
	}
	sum := sha256Hex(b)
	key := storage.MetadataKey(d.Code, sum)
	if err := w.cfg.Store.Put(ctx, key, bytes.NewReader(b), int64(len(b)), sum); err != nil {
		return "", fmt.Errorf("store metadata of dossier %s: %w", d.Code, err)
	}
	prev, err := w.cfg.Catalog.MetadataOf(ctx, d.Code)
	if err != nil {
		return "", err
	}
	m := catalog.Metadata{Key: key, Status: catalog.ReconcileNothing, Citizens: citizensOf(md), Summary: summaryOf(md)}
	if r := md.Reconciliation; r != nil {
		m.Status = r.Status
	}
	if prev.Key == key && prev.Status == m.Status && len(calls) == 0 {
		return m.Status, nil
	}
	if m.Status == catalog.ReconcilePending {
		m.After = time.Now().Add(w.registerRetry(prev.Tries))
	}
	officer := ""
	if reg != nil {
		officer = reg.Caller.Officer
	}
	for _, c := range calls {
		m.Calls = append(m.Calls, map[string]any{"request_id": c.RequestID, "number": c.Number, "outcome": c.Outcome, "officer": officer})
	}
	if err := w.cfg.Catalog.SetMetadata(ctx, d.Code, m, w.cfg.Name); err != nil {
		return "", err
	}
	switch {
	case m.Status == catalog.ReconcilePending:
		w.log.Warn("register did not answer: reconciliation pending", "dossier", d.Code, "tries", prev.Tries+1,
			"again_at", m.After.Format(time.RFC3339), "err", md.Reconciliation.Error)
	case prev.Status == catalog.ReconcilePending:
		w.log.Info("register answered", "dossier", d.Code, "reconciliation", m.Status, "tries", prev.Tries+1)
	}
	return m.Status, nil
}

// citizensOf lists every well-formed identification number (12 digits) or
// old identity card number (9) md's documents give, with the role of the
// person who holds it: what the workflow's listing finds the dossier by.
func citizensOf(md *pipeline.Metadata) []catalog.Citizen {
	var out []catalog.Citizen
	for _, doc := range md.Documents {
		for _, p := range doc.People {
			if n := fieldValue(p.ID); n != "" {
				if _, err := citizen.ParseID(n, time.Now()); err == nil {
					out = append(out, catalog.Citizen{Number: n, Role: p.Role})
				}
			}
			if n := fieldValue(p.LegacyID); n != "" {
				if _, err := citizen.ParseLegacyID(n); err == nil {
					out = append(out, catalog.Citizen{Number: n, Role: p.Role})
				}
			}
		}
	}
	return out
}

func fieldValue(f *extract.Field) string {
	if f == nil || f.Problem != "" {
		return ""
	}
	return f.Value
}

// summaryOf is the summary of md the webhook events carry: the XMP's.
func summaryOf(md *pipeline.Metadata) *catalog.MetadataSummary {
	s := md.Summary()
	out := &catalog.MetadataSummary{DocumentTypes: s.DocumentTypes, People: []catalog.SummaryPerson{}}
	if out.DocumentTypes == nil {
		out.DocumentTypes = []string{}
	}
	for _, p := range s.People {
		out.People = append(out.People, catalog.SummaryPerson{Role: p.Role, Number: p.Number, Name: p.Name, Birth: p.Birth,
			Register: p.Register})
	}
	return out
}

// AskRegisterAgain queues a reconcile task for every dossier whose
// reconciliation is pending and due, and returns how many it queued. Task
// IDs make queueing one already queued a no-op.
func (w *Worker) AskRegisterAgain(ctx context.Context) (int, error) {
	ds, err := w.cfg.Catalog.ReconcileDue(ctx, time.Now(), 100)
	if err != nil {
		return 0, err
	}
	for i, d := range ds {
		if err := w.queue.Reconcile(ctx, d); err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

// handleReconcile asks the register again about a dossier left pending:
// the people of its current metadata document, looked up as at assembly.
// The answer is stored as a new document and recorded; a register still
// down leaves it pending, asked again after a longer wait; a refusal stays
// refused until someone fixes the permission.
func (w *Worker) handleReconcile(ctx context.Context, t *asynq.Task) error {
	var p queue.DossierTask
	d, err := w.taskDossier(ctx, t, &p, func() string { return p.Dossier })
	if err != nil {
		return err
	}
	cur, err := w.cfg.Catalog.MetadataOf(ctx, d.Code)
	if err != nil {
		return err
	}
	// Answered meanwhile, or asked by a task before this one and not due
	// again yet.
	if cur.Status != catalog.ReconcilePending || time.Now().Before(cur.After) {
		return nil
	}
	reg := w.registerFor(d)
	if reg == nil {
		// Another worker, configured with one, takes the retry.
		return fmt.Errorf("%s dossier %s: this worker has no register (--register)", pipeline.StageReconcile, d.Code)
	}
	b, err := w.readAll(ctx, cur.Key)
	if err != nil {
		return fmt.Errorf("%s dossier %s: metadata %s: %w", pipeline.StageReconcile, d.Code, cur.Key, err)
	}
	var md pipeline.Metadata
	if err := json.Unmarshal(b, &md); err != nil {
		return fmt.Errorf("%s dossier %s: metadata %s: %v: %w", pipeline.StageReconcile, d.Code, cur.Key, err, asynq.SkipRetry)
	}
	again, calls, err := pipeline.Reconcile(ctx, d.Code, &md, *reg)
	if err != nil {
		return err
	}
	if _, err := w.recordMetadata(ctx, d, again, calls, reg); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	}
	return nil
}
