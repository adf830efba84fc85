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
	var db apiDossier
	if st := c.call("GET", "/v1/dossiers/"+b, nil, &db); st != http.StatusOK {
		t.Fatalf("get %s: %d", b, st)
	}
	read := 0
	for _, p := range db.Pages {
		if p.Status != string(catalog.PageUploaded) {
			read++
		}
	}
	// The worker draws the queue it serves first by weight, the finish
	// queue ten times in eleven: a page of B may slip in before A's
	// assembly and another before its signing (about 1 run in 40),
	// three about 1 in 500.
	if read > 2 {
		t.Errorf("when A was signed, %d of B's %d pages were read already: A's assembly and signing waited behind them", read, len(bPages))
	}
	t.Logf("when A was signed, %d of B's %d pages were read", read, len(bPages))
	if d := c.wait(b, 5*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier B %s: %+v", d.Status, d)
	}
	c.checkOnce(a, 1)
	c.checkOnce(b, len(bPages))
}
