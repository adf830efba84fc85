package workers

// Orphans: a worker that dies without a word (SIGKILL, the OOM killer, a
// power cut) leaves the tasks it held active in Redis. asynq v0.26 gives
// such a task out again only when its recoverer, which runs once a minute,
// finds its lease expired for more than 30 s; the lease (30 s, renewed
// every 5 s by the heartbeat) lapses 25 to 30 s after the death, so the
// page waits 55 to 120 s. None of the three durations is in asynq.Config.
//
// What asynq does let a client see is the lapse itself: the Inspector
// lists an active task whose lease has expired as orphaned. A worker that
// sees one queues the same work again at once, under a task ID of its own
// (rescueID), so the page waits only for the lease: about 30 s.
//
// That is safe because every handler is idempotent (the package comment),
// and it is what asynq itself does a little later: a worker that is alive
// but cut off from Redis has its task's context cancelled once its own
// lease lapses, and asynq's recoverer retries the orphan in any case; when
// it does, the handler finds the work done and returns.

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
)

// rescueEvery is how often a worker looks for orphaned tasks: two Redis
// reads per queue, and at most this long added to the lease's 30 s.
const rescueEvery = 5 * time.Second

// rescueSuffix marks a task queued in place of an orphan.
const rescueSuffix = "+rescue"

// rescueID is the ID of the task that takes over orphaned task id: the
// same for every worker, so that of several that see the orphan at once
// only one queues it (asynq refuses a second task with the ID).
func rescueID(id string) string {
	return id + rescueSuffix
}

// Rescue queues again, under rescueID, the work of every task in this
// worker's queues that asynq reports orphaned, and returns how many it
// queued. A rescue task that is itself orphaned is rescued in turn.
func (w *Worker) Rescue(ctx context.Context) (int, error) {
	n := 0
	for q := range w.cfg.Queues {
		for page := 1; ; page++ {
			const size = 100
			active, err := w.inspector.ListActiveTasks(q, asynq.Page(page), asynq.PageSize(size))
			if err != nil {
				if errors.Is(err, asynq.ErrQueueNotFound) {
					break // nothing was ever queued there
				}
				return n, err
			}
			for _, t := range active {
				if !t.IsOrphaned {
					continue
				}
				opts := []asynq.Option{asynq.TaskID(rescueID(t.ID)), asynq.Queue(t.Queue), asynq.MaxRetry(t.MaxRetry)}
				if t.Timeout > 0 {
					opts = append(opts, asynq.Timeout(t.Timeout))
				}
				_, err := w.rescuer.EnqueueContext(ctx, asynq.NewTask(t.Type, t.Payload), opts...)
				switch {
				case err == nil:
					n++
					w.log.Warn("orphaned task queued again: its worker stopped renewing its lease", "task", t.ID, "as", rescueID(t.ID))
				case errors.Is(err, asynq.ErrTaskIDConflict):
					// Rescued already, by this worker or another.
				default:
					return n, err
				}
			}
			if len(active) < size {
				break
			}
		}
	}
	return n, nil
}

func (w *Worker) rescueLoop(ctx context.Context) {
	t := time.NewTicker(rescueEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := w.Rescue(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("look for orphaned tasks", "err", err)
			}
		}
	}
}
