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
	for _, d := range ds {
		switch d.Status {
		case catalog.Submitted, catalog.Processing:
			pages, err := w.cfg.Catalog.Pages(ctx, d.Code)
			if err != nil {
				return queued, err
			}
			n, err := w.queue.Pages(ctx, d, pages)
			queued += n
			if err != nil {
				return queued, err
			}
			if n == 0 {
				if err := w.assembleIfDone(ctx, d); err != nil {
					return queued, err
				}
			}
		case catalog.Assembled:
			if err := w.queue.Sign(ctx, d); err != nil {
				return queued, err
			}
		}
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
		}
	}
}
