// Package queue is how work reaches the workers: the asynq task types,
// their payloads, and the Client that puts them on the queues. The HTTP
// service queues a dossier's pages when it is submitted; workers queue the
// stage that follows theirs (assembly after the last page, signing after
// assembly), whatever the queue lost, and the register's second try at a
// dossier it could not answer for. Tasks carry IDs,
// never image bytes: what a task works on is in the catalog and in
// storage.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
)

// Task types: a constant, a payload, and one handler each in package
// workers.
const (
	// TypePage takes one uploaded original through normalize, orient,
	// assess, deskew, clean and OCR. Payload: PageTask.
	TypePage = "sohoa:page"
	// TypeAssemble writes the dossier PDF/A once every page is processed.
	// Payload: DossierTask.
	TypeAssemble = "sohoa:assemble"
	// TypeSign seals the assembled PDF. Payload: DossierTask.
	TypeSign = "sohoa:sign"
	// TypeReconcile asks the population register again about the people
	// of a dossier whose reconciliation was left pending (the register
	// could not answer). Payload: DossierTask.
	TypeReconcile = "sohoa:reconcile"
)

// QueueFinish is the queue of the tasks that finish a dossier: assembly,
// signing and the register's second try. Workers serve it before the
// pages' queues (workers.Config.Queues): on the pages' own queue, a
// dossier whose last page was just read waited behind every page queued
// since (in a load run of 100 dossiers, submit-to-signed at the median was
// nearly its maximum), while finishing takes a second or two.
const QueueFinish = "finish"

// PageTask is TypePage's payload.
type PageTask struct {
	Dossier  string `json:"dossier"`
	Position int    `json:"position"`
	SHA256   string `json:"sha256"`
}

// DossierTask is the payload of TypeAssemble, TypeSign and TypeReconcile.
type DossierTask struct {
	Dossier string `json:"dossier"`
}

// Time limits per task: OCR of one page takes seconds; a page task that
// runs for minutes is stuck. Assembly reads every page of the dossier.
const (
	pageTimeout     = 10 * time.Minute
	assembleTimeout = 30 * time.Minute
	signTimeout     = 5 * time.Minute
	// A register call has its own timeout (seconds); a dossier names a
	// few people.
	reconcileTimeout = 5 * time.Minute
)

// DefaultMaxRetry is how often a task is retried, with growing delays,
// before its page or dossier is marked failed.
const DefaultMaxRetry = 8

// Client puts tasks on the asynq queues. Task IDs are derived from what the
// task works on, so enqueueing the same work twice while the first is
// still waiting or running is refused by asynq, not done twice.
type Client struct {
	c        *asynq.Client
	in       *asynq.Inspector
	maxRetry int
}

// NewClient connects to Redis. maxRetry ≤ 0 means DefaultMaxRetry.
func NewClient(redis asynq.RedisConnOpt, maxRetry int) *Client {
	if maxRetry <= 0 {
		maxRetry = DefaultMaxRetry
	}
	return &Client{c: asynq.NewClient(redis), in: asynq.NewInspector(redis), maxRetry: maxRetry}
}

// Close releases the Redis connections.
func (q *Client) Close() error {
	q.in.Close()
	return q.c.Close()
}

// Ping checks that Redis answers.
func (q *Client) Ping() error { return q.c.Ping() }

// Pages queues a page task for every page of d still waiting to be
// processed, on d's queue. It returns how many were newly queued.
func (q *Client) Pages(ctx context.Context, d catalog.Dossier, pages []catalog.Page) (int, error) {
	n := 0
	for _, p := range pages {
		if p.Status != catalog.PageUploaded {
			continue
		}
		t, err := newTask(TypePage, PageTask{Dossier: d.Code, Position: p.Position, SHA256: p.SHA256})
		if err != nil {
			return n, err
		}
		id := fmt.Sprintf("page:%s:%d:%s", d.Code, p.Position, p.SHA256)
		ok, err := q.enqueue(ctx, t, id, d.Queue, pageTimeout)
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
func (q *Client) Assemble(ctx context.Context, d catalog.Dossier) error {
	t, err := newTask(TypeAssemble, DossierTask{Dossier: d.Code})
	if err == nil {
		_, err = q.enqueue(ctx, t, "assemble:"+d.Code, QueueFinish, assembleTimeout)
	}
	if err != nil {
		return fmt.Errorf("queue assembly of dossier %s: %w", d.Code, err)
	}
	return nil
}

// Sign queues the signing of d.
func (q *Client) Sign(ctx context.Context, d catalog.Dossier) error {
	t, err := newTask(TypeSign, DossierTask{Dossier: d.Code})
	if err == nil {
		_, err = q.enqueue(ctx, t, "sign:"+d.Code, QueueFinish, signTimeout)
	}
	if err != nil {
		return fmt.Errorf("queue signing of dossier %s: %w", d.Code, err)
	}
	return nil
}

// Reconcile queues asking the register again about d's people.
func (q *Client) Reconcile(ctx context.Context, d catalog.Dossier) error {
	t, err := newTask(TypeReconcile, DossierTask{Dossier: d.Code})
	if err == nil {
		_, err = q.enqueue(ctx, t, "reconcile:"+d.Code, QueueFinish, reconcileTimeout)
	}
	if err != nil {
		return fmt.Errorf("queue reconciliation of dossier %s: %w", d.Code, err)
	}
	return nil
}

func newTask(typ string, payload any) (*asynq.Task, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("%s task payload: %w", typ, err)
	}
	return asynq.NewTask(typ, b), nil
}

// enqueue reports false, without error, when a task with that ID is
// already queued, running or waiting for a retry. A task with that ID
// that ran out of retries (archived) is replaced: whoever queues the work
// again has found it still undone in the catalog, and asynq would
// otherwise refuse the ID for as long as it keeps the archive.
func (q *Client) enqueue(ctx context.Context, t *asynq.Task, id, queue string, timeout time.Duration) (bool, error) {
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
