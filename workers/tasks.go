// Package workers runs the pipeline as a service: asynq task handlers that
// take a submitted dossier's pages from storage through the page stages,
// assemble the dossier PDF once all of them are done, and sign it.
//
// The catalog (PostgreSQL) is the truth about what has been done; the
// queue (Redis) only says what to do next. Every handler therefore starts
// by asking the catalog where the dossier stands, does nothing when its
// work is already recorded, writes its result under a key derived from
// its input's hash (so doing it twice writes the same object), and makes
// its work the dossier's with one forward status move that only one
// worker can win. A task delivered twice, retried after a crash, or
// re-queued by the reconciler after Redis lost its queues is harmless.
package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
)

// Task types.
const (
	// TypePage takes one uploaded original through normalize, orient,
	// assess, deskew, clean and OCR.
	TypePage = "sohoa:page"
	// TypeAssemble writes the dossier PDF/A once every page is processed.
	TypeAssemble = "sohoa:assemble"
	// TypeSign seals the assembled PDF.
	TypeSign = "sohoa:sign"
)

// pageTask is TypePage's payload: IDs, never image bytes.
type pageTask struct {
	Dossier  string `json:"dossier"`
	Position int    `json:"position"`
	SHA256   string `json:"sha256"`
}

// dossierTask is the payload of TypeAssemble and TypeSign.
type dossierTask struct {
	Dossier string `json:"dossier"`
}

func (p *pageTask) dossier() string    { return p.Dossier }
func (p *dossierTask) dossier() string { return p.Dossier }

// Time limits per task: OCR of one page takes seconds; a page task that
// runs for minutes is stuck. Assembly reads every page of the dossier.
const (
	pageTimeout     = 10 * time.Minute
	assembleTimeout = 30 * time.Minute
	signTimeout     = 5 * time.Minute
)

// DefaultMaxRetry is how often a task is retried, with growing delays,
// before its page or dossier is marked failed.
const DefaultMaxRetry = 8

// Queue puts tasks on the asynq queues. Task IDs are derived from what the
// task works on, so enqueueing the same work twice while the first is
// still waiting or running is refused by asynq, not done twice.
type Queue struct {
	c        *asynq.Client
	in       *asynq.Inspector
	maxRetry int
}

// NewQueue connects to Redis. maxRetry ≤ 0 means DefaultMaxRetry.
func NewQueue(redis asynq.RedisConnOpt, maxRetry int) *Queue {
	if maxRetry <= 0 {
		maxRetry = DefaultMaxRetry
	}
	return &Queue{c: asynq.NewClient(redis), in: asynq.NewInspector(redis), maxRetry: maxRetry}
}

// Close releases the Redis connections.
func (q *Queue) Close() error {
	q.in.Close()
	return q.c.Close()
}

// Ping checks that Redis answers.
func (q *Queue) Ping() error { return q.c.Ping() }

// Pages queues a page task for every page of d still waiting to be
// processed, on d's queue. It returns how many were newly queued.
func (q *Queue) Pages(ctx context.Context, d catalog.Dossier, pages []catalog.Page) (int, error) {
	n := 0
	for _, p := range pages {
		if p.Status != catalog.PageUploaded {
			continue
		}
		b, _ := json.Marshal(pageTask{Dossier: d.Code, Position: p.Position, SHA256: p.SHA256})
		id := fmt.Sprintf("page:%s:%d:%s", d.Code, p.Position, p.SHA256)
		ok, err := q.enqueue(ctx, asynq.NewTask(TypePage, b), id, d.Queue, pageTimeout)
		if err != nil {
			return n, fmt.Errorf("queue page %d of dossier %s: %w", p.Position, d.Code, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Assemble queues the assembly of d.
func (q *Queue) Assemble(ctx context.Context, d catalog.Dossier) error {
	b, _ := json.Marshal(dossierTask{Dossier: d.Code})
	if _, err := q.enqueue(ctx, asynq.NewTask(TypeAssemble, b), "assemble:"+d.Code, d.Queue, assembleTimeout); err != nil {
		return fmt.Errorf("queue assembly of dossier %s: %w", d.Code, err)
	}
	return nil
}

// Sign queues the signing of d.
func (q *Queue) Sign(ctx context.Context, d catalog.Dossier) error {
	b, _ := json.Marshal(dossierTask{Dossier: d.Code})
	if _, err := q.enqueue(ctx, asynq.NewTask(TypeSign, b), "sign:"+d.Code, d.Queue, signTimeout); err != nil {
		return fmt.Errorf("queue signing of dossier %s: %w", d.Code, err)
	}
	return nil
}

// enqueue reports false, without error, when a task with that ID is
// already queued, running or waiting for a retry. A task with that ID
// that ran out of retries (archived) is replaced: whoever queues the work
// again has found it still undone in the catalog, and asynq would
// otherwise refuse the ID for as long as it keeps the archive.
func (q *Queue) enqueue(ctx context.Context, t *asynq.Task, id, queue string, timeout time.Duration) (bool, error) {
	if queue == "" {
		queue = catalog.QueueDesk
	}
	opts := []asynq.Option{asynq.TaskID(id), asynq.Queue(queue), asynq.MaxRetry(q.maxRetry), asynq.Timeout(timeout)}
	_, err := q.c.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		info, ierr := q.in.GetTaskInfo(queue, id)
		if ierr != nil || info.State != asynq.TaskStateArchived {
			return false, nil
		}
		if err := q.in.DeleteTask(queue, id); err != nil {
			return false, fmt.Errorf("replace archived task %s: %w", id, err)
		}
		_, err = q.c.EnqueueContext(ctx, t, opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return false, nil // another worker re-queued it first
		}
	}
	return err == nil, err
}
