package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
)

// TestFinishFirst: a dossier whose pages are all read is assembled and
// signed before the pages of dossiers queued after it. Both dossiers are
// submitted before the one worker (one task at a time) starts: A's page
// comes first; on the pages' queue, A's assembly and signing would then
// wait behind all of B's pages, and A would be signed last.
func TestFinishFirst(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	scans := "../../testdata/scans"
	a := c.create(catalog.QueueDesk)
	if st := c.upload(a, 1, filepath.Join(scans, "receipt-150.png")); st != http.StatusOK {
		t.Fatalf("confirm %s page 1: %d", a, st)
	}
	b := c.create(catalog.QueueDesk)
	bPages := []string{"form-300.jpg", "decision-skew-12-200.jpg", "notice-skew7-300.png", "birth-upside-200.jpg"}
	for i, f := range bPages {
		if st := c.upload(b, i+1, filepath.Join(scans, f)); st != http.StatusOK {
			t.Fatalf("confirm %s page %d: %d", b, i+1, st)
		}
	}
	for _, code := range []string{a, b} {
		if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
			t.Fatalf("submit %s: %d", code, st)
		}
	}
	c.worker("worker-a")
	if d := c.wait(a, 3*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier A %s: %+v", d.Status, d)
	}
	if d := c.wait(b, 5*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier B %s: %+v", d.Status, d)
	}
	// The catalog's events are numbered in the order they were written,
	// across dossiers; the one worker wrote them one task at a time. So
	// the trail tells how many of B's pages were read before A was
	// signed, however late the polling above saw it.
	var signedA int64
	for _, e := range c.events(a) {
		if e.Page == 0 && e.Action == catalog.ActionMove && e.To == string(catalog.Signed) {
			signedA = e.ID
		}
	}
	if signedA == 0 {
		t.Fatalf("no event moved %s to signed", a)
	}
	read := map[int]bool{}
	for _, e := range c.events(b) {
		if e.Page > 0 && e.Action == catalog.ActionMove && e.From == string(catalog.PageUploaded) && e.ID < signedA {
			read[e.Page] = true
		}
	}
	// The worker draws the order it tries the queues in by weight, the
	// finish queue first about 100 times in 101: a page of B slips in
	// before A's assembly or its signing about 1 run in 50, two about 1
	// in 10,000.
	if len(read) > 1 {
		t.Errorf("%d of B's %d pages were read before A was signed: A's assembly and signing waited behind them", len(read), len(bPages))
	}
	t.Logf("%d of B's %d pages were read before A was signed", len(read), len(bPages))
	c.checkOnce(a, 1)
	c.checkOnce(b, len(bPages))
}
