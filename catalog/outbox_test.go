package catalog

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func countOutbox(t *testing.T, c *Catalog) int {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A move that does not commit leaves no webhook event; one that commits
// leaves exactly one.
func TestOutboxOnlyForCommittedMoves(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-OUTBOX-1"
	newDossier(t, c, code)
	moveTo(t, c, code, Assembled)
	if n := countOutbox(t, c); n != 0 {
		t.Fatalf("%d outbox rows before signing, want 0", n)
	}

	sum := hashOf("signed pdf")
	refused := []struct {
		name string
		m    DossierMove
		want error // nil: any error but ErrIllegalMove
	}{
		{"stale from", DossierMove{From: Processing, To: Signed, PDFSHA256: sum}, ErrIllegalMove},
		{"not allowed", DossierMove{From: Assembled, To: Delivered}, ErrIllegalMove},
		// The event insert succeeds; logging the move fails after it, in
		// the same transaction (a detail JSON cannot hold), so all of it
		// is rolled back.
		{"rolled back", DossierMove{From: Assembled, To: Signed, PDFSHA256: sum,
			Detail: map[string]any{"x": math.Inf(1)}}, nil},
	}
	for _, tc := range refused {
		err := c.MoveWith(ctx, code, tc.m, "test")
		t.Logf("%s: %v", tc.name, err)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || (tc.want == nil && errors.Is(err, ErrIllegalMove)) {
			t.Fatalf("%s: MoveWith = %v, want an error (%v)", tc.name, err, tc.want)
		}
		if n := countOutbox(t, c); n != 0 {
			t.Fatalf("%s: %d outbox rows after a move that did not commit, want 0", tc.name, n)
		}
	}
	if d, err := c.Get(ctx, code); err != nil || d.Status != Assembled {
		t.Fatalf("after refused moves: %+v %v", d, err)
	}

	if err := c.MoveWith(ctx, code, DossierMove{From: Assembled, To: Signed, PDFSHA256: sum}, "test"); err != nil {
		t.Fatal(err)
	}
	evs, err := c.OutboxEvents(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d outbox events after signing, want 1: %+v", len(evs), evs)
	}
	e := evs[0]
	if e.ID == 0 || e.Type != OutboxReady || e.Dossier != code || e.Status != Signed || e.PDFSHA256 != sum ||
		time.Since(e.At) > time.Minute || e.At.Location() != time.UTC {
		t.Fatalf("ready event = %+v", e)
	}
	// Sequences are not transactional: id 1 went to the rolled-back move,
	// which shows it reached the outbox insert before it failed.
	if e.ID != 2 {
		t.Fatalf("ready event has id %d, want 2: did the rolled-back move insert its event?", e.ID)
	}

	// Failing a signed dossier is a second event; delivering it none.
	if err := c.Move(ctx, code, Signed, Failed, "test", nil); err != nil {
		t.Fatal(err)
	}
	evs, err = c.OutboxEvents(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[1].Type != OutboxFailed || evs[1].Status != Failed || evs[1].PDFSHA256 != "" || evs[1].ID <= e.ID {
		t.Fatalf("events after failing = %+v", evs)
	}
	const other = "HS-OUTBOX-2"
	newDossier(t, c, other)
	moveTo(t, c, other, Delivered)
	if evs, err := c.OutboxEvents(ctx, other); err != nil || len(evs) != 1 || evs[0].Type != OutboxReady {
		t.Fatalf("events of a delivered dossier = %+v %v, want the one ready event", evs, err)
	}
}

// The life of a delivery: fanned out once per URL, claimed under a lease,
// retried, fenced against a stale attempt, delivered or given up.
func TestDeliveryLifecycle(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-DELIVER-1"
	newDossier(t, c, code)
	moveTo(t, c, code, Signed)
	urls := []string{"http://a.example/hook", "http://b.example/hook"}

	if _, err := c.FanOut(ctx, nil, 10); err == nil {
		t.Fatal("FanOut to no URLs succeeded; it would lose the events")
	}
	for i, want := range []int{1, 0} {
		n, err := c.FanOut(ctx, urls, 10)
		if err != nil || n != want {
			t.Fatalf("FanOut #%d = %d, %v; want %d", i+1, n, err, want)
		}
	}
	got, err := c.ClaimDeliveries(ctx, urls[:1], 10, time.Hour)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %+v, %v; want one delivery", got, err)
	}
	d := got[0]
	if d.URL != urls[0] || d.Attempts != 1 || d.Kind != OutboxReady || d.Dossier != code || len(d.Payload) == 0 {
		t.Fatalf("claimed %+v", d)
	}
	// Leased: not due again, for this or another dispatcher.
	if again, err := c.ClaimDeliveries(ctx, urls[:1], 10, time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("claim under lease = %+v, %v; want none", again, err)
	}
	if err := c.RetryDelivery(ctx, d, "503 Service Unavailable", 0); err != nil {
		t.Fatal(err)
	}
	got, err = c.ClaimDeliveries(ctx, urls[:1], 10, time.Hour)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "503 Service Unavailable" {
		t.Fatalf("claim after retry = %+v, %v", got, err)
	}
	// The first attempt, outliving its lease, must not reschedule the second.
	if err := c.RetryDelivery(ctx, d, "stale", 0); err != nil {
		t.Fatal(err)
	}
	if again, err := c.ClaimDeliveries(ctx, urls[:1], 10, time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("claim after a stale retry = %+v, %v; want none", again, err)
	}
	if err := c.MarkDelivered(ctx, got[0]); err != nil {
		t.Fatal(err)
	}

	got, err = c.ClaimDeliveries(ctx, urls, 10, time.Hour)
	if err != nil || len(got) != 1 || got[0].URL != urls[1] {
		t.Fatalf("claim of the second URL = %+v, %v", got, err)
	}
	if err := c.GiveUpDelivery(ctx, got[0], "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if again, err := c.ClaimDeliveries(ctx, urls, 10, 0); err != nil || len(again) != 0 {
		t.Fatalf("claim after delivered and dead = %+v, %v; want none", again, err)
	}

	all, err := c.Deliveries(ctx, code)
	if err != nil || len(all) != 2 {
		t.Fatalf("deliveries = %+v, %v", all, err)
	}
	if all[0].DeliveredAt.IsZero() || !all[0].DeadAt.IsZero() || all[0].Attempts != 2 {
		t.Errorf("delivered one = %+v", all[0])
	}
	if !all[1].DeliveredAt.IsZero() || all[1].DeadAt.IsZero() || all[1].LastError != "410 Gone" {
		t.Errorf("given-up one = %+v", all[1])
	}
	if none, err := c.Deliveries(ctx, "HS-NONE"); err != nil || len(none) != 0 {
		t.Errorf("deliveries of another dossier = %+v, %v", none, err)
	}
}
