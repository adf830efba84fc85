package catalog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestReadyFeedCursor pages through the ready feed while 8 writers sign
// dossiers concurrently: every dossier appears exactly once, none is
// skipped by a cursor that moved past it before it committed.
func TestReadyFeedCursor(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const n = 160
	codes := make(chan string, n)
	for i := range n {
		code := fmt.Sprintf("HS-FEED-%04d", i)
		newDossier(t, c, code)
		moveTo(t, c, code, Assembled)
		codes <- code
	}
	close(codes)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range codes {
				if err := c.Move(ctx, code, Assembled, Signed, "worker", nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	seen := map[string]int{}
	var after int64
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		page, err := c.ReadyAfter(ctx, after, 7, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if r.Seq <= after {
				t.Fatalf("cursor went back: %d after %d", r.Seq, after)
			}
			seen[r.Dossier.Code]++
			after = r.Seq
		}
	}
	wg.Wait()
	// Drain what is left after the writers stopped.
	for {
		page, err := c.ReadyAfter(ctx, after, 50, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			seen[r.Dossier.Code]++
			after = r.Seq
		}
	}
	if len(seen) != n {
		t.Errorf("saw %d of %d dossiers", len(seen), n)
	}
	for code, k := range seen {
		if k != 1 {
			t.Errorf("%s seen %d times", code, k)
		}
	}
	// Picked up dossiers leave the listing; the cursor still holds.
	if err := c.Move(ctx, "HS-FEED-0000", Signed, Delivered, "workflow", nil); err != nil {
		t.Fatal(err)
	}
	all, err := c.ReadyAfter(ctx, 0, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n-1 {
		t.Errorf("after one pickup the listing has %d, want %d", len(all), n-1)
	}
}
