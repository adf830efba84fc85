package workers

import (
	"context"
	"time"

	"github.com/sohoa/sohoa/catalog"
)

// Reconcile re-queues the work of every dossier the catalog says is
// unfinished and that has not changed for quiet: its waiting pages, its
// assembly or its signature. Redis may have lost the tasks (a restart
// without persistence, a flushed queue); task IDs make a re-queue of work
// still queued or running a no-op, and the handlers make a repeat of work
// already done one. It returns how many tasks it queued.
func (w *Worker) Reconcile(ctx context.Context, quiet time.Duration) (int, error) {
	ds, err := w.cfg.Catalog.Unfinished(ctx, time.Now().Add(-quiet), 1000)
	if err != nil {
		return 0, err
	}
	queued := 0
	// One dossier's trouble (its pages unreadable from the catalog, say)
	// must not keep the others from being re-queued.
	var firstErr error
	for _, d := range ds {
		n, err := w.reconcileDossier(ctx, d)
		queued += n
		if err != nil {
			w.log.Warn("reconcile dossier", "dossier", d.Code, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return queued, firstErr
	}
	return queued, nil
}

func (w *Worker) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.ReconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := w.Reconcile(ctx, w.cfg.ReconcileQuiet)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("reconcile", "err", err)
			} else if n > 0 {
				w.log.Info("reconcile: re-queued lost tasks", "tasks", n)
			}
			// Only a worker that can ask the register queues the asking.
			if w.cfg.Register == nil {
				continue
			}
			n, err = w.AskRegisterAgain(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("queue register retries", "err", err)
			} else if n > 0 {
				w.log.Info("queued register retries", "dossiers", n)
			}
		}
	}
}

func (w *Worker) reconcileDossier(ctx context.Context, d catalog.Dossier) (int, error) {
	switch d.Status {
	case catalog.Submitted, catalog.Processing:
		pages, err := w.cfg.Catalog.Pages(ctx, d.Code)
		if err != nil {
			return 0, err
		}
		n, err := w.queue.Pages(ctx, d, pages)
		if err != nil || n > 0 {
			return n, err
		}
		return 0, w.assembleIfDone(ctx, d)
	case catalog.Assembled:
		return 0, w.queue.Sign(ctx, d)
	}
	return 0, nil
}
