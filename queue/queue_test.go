package queue

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
)

// TestQueueIDs: the same work queued twice is one task; work whose task
// ran out of retries (archived) can be queued again, since whoever
// queues it found it undone in the catalog.
func TestQueueIDs(t *testing.T) {
	r := testenv.StartRedis(t)
	opt := asynq.RedisClientOpt{Addr: r.Addr}
	q := NewClient(opt, 0)
	defer q.Close()
	ctx := context.Background()
	d := catalog.Dossier{Code: "HS-Q-1", Queue: catalog.QueueBulk}
	pages := []catalog.Page{
		{Position: 1, SHA256: "aa", Status: catalog.PageUploaded},
		{Position: 2, SHA256: "bb", Status: catalog.PageProcessed},
	}
	for i, want := range []int{1, 0} {
		n, err := q.Pages(ctx, d, pages)
		if err != nil || n != want {
			t.Fatalf("round %d: queued %d (%v), want %d", i, n, err, want)
		}
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	id := "page:HS-Q-1:1:aa"
	if err := in.ArchiveTask(catalog.QueueBulk, id); err != nil {
		t.Fatal(err)
	}
	n, err := q.Pages(ctx, d, pages)
	if err != nil || n != 1 {
		t.Fatalf("after the task was archived: queued %d (%v), want 1", n, err)
	}
	info, err := in.GetTaskInfo(catalog.QueueBulk, id)
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task after re-queue: %+v %v, want pending", info, err)
	}
	var p PageTask
	if err := json.Unmarshal(info.Payload, &p); err != nil || info.Type != TypePage || p != (PageTask{Dossier: "HS-Q-1", Position: 1, SHA256: "aa"}) {
		t.Errorf("task %s %s: payload %+v, %v; want page 1 of HS-Q-1, IDs only", info.Type, info.Payload, p, err)
	}
	if err := q.Assemble(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := q.Assemble(ctx, d); err != nil {
		t.Errorf("second assemble of the same dossier: %v, want no error (one task)", err)
	}
	for range 2 {
		if err := q.Reconcile(ctx, d); err != nil {
			t.Errorf("reconciliation queued: %v, want no error (one task)", err)
		}
	}
	info, err = in.GetTaskInfo(QueueFinish, "reconcile:HS-Q-1")
	if err != nil || info.Type != TypeReconcile || string(info.Payload) != `{"dossier":"HS-Q-1"}` {
		t.Errorf("reconcile task: %+v %v", info, err)
	}
	// The pages wait on the dossier's queue; what finishes it, on the
	// finish queue, which workers serve first.
	qi, err := in.GetQueueInfo(catalog.QueueBulk)
	if err != nil || qi.Pending != 1 {
		t.Errorf("bulk queue: %+v %v, want 1 pending (the page)", qi, err)
	}
	qi, err = in.GetQueueInfo(QueueFinish)
	if err != nil || qi.Pending != 2 {
		t.Errorf("finish queue: %+v %v, want 2 pending (one assembly, one reconciliation)", qi, err)
	}
}
