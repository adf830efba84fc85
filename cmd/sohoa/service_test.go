package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/storage"
)

// e2ePages are the dossier's page files and the truth of each PDF page
// they become (the TIFF holds three).
var e2ePages = []struct {
	file   string
	truths []string
}{
	{"form-300.jpg", []string{"form-300.txt"}},
	{"notice-skew7-300.png", []string{"notice-skew7-300.txt"}},
	{"household-3p-300.tif", []string{"household-3p-300-p1.txt", "household-3p-300-p2.txt", "household-3p-300-p3.txt"}},
	{"birth-upside-200.jpg", []string{"birth-upside-200.txt"}},
}

// TestServiceEndToEnd is a station's whole job against the service, over
// HTTP, with real Redis, PostgreSQL and MinIO (or the local store) and two
// worker processes: create a dossier, upload its pages through the URLs
// the service hands out, submit it (twice), and get back a signed PDF/A
// that passes the same independent checks as sohoa ingest's.
func TestServiceEndToEnd(t *testing.T) {
	for _, kind := range []string{"s3", "local"} {
		t.Run(kind, func(t *testing.T) { testEndToEnd(t, kind) })
	}
}

func testEndToEnd(t *testing.T, kind string) {
	c := newCluster(t, kind)
	c.serve()
	// One after the other: the cluster's process table is not for
	// concurrent use, and a failing start must stop the test from its own
	// goroutine.
	for _, name := range []string{"worker-a", "worker-b"} {
		c.worker(name)
	}

	code := c.create("desk")
	for i, p := range e2ePages {
		if st := c.upload(code, i+1, filepath.Join("../../testdata/scans", p.file)); st != http.StatusOK {
			t.Fatalf("confirm page %d: status %d", i+1, st)
		}
	}
	// The same page confirmed again (a station retrying after a lost
	// answer) is accepted once; the same scan as another page is refused.
	if st := c.upload(code, 1, "../../testdata/scans/form-300.jpg"); st != http.StatusOK {
		t.Errorf("repeated confirm: status %d, want 200", st)
	}
	if st := c.upload(code, 9, "../../testdata/scans/form-300.jpg"); st != http.StatusConflict {
		t.Errorf("same scan as a second page: status %d, want 409", st)
	}
	// A declared hash the bytes do not have: refused, nothing stored.
	good, _ := os.ReadFile("../../testdata/scans/blank-300.jpg")
	forged := append([]byte(nil), good...)
	forged[len(forged)/2] ^= 0xFF
	if st := c.uploadBytes(code, 5, good, forged, "image/jpeg"); st != http.StatusConflict && st != http.StatusUnprocessableEntity {
		t.Errorf("confirm after a forged upload: status %d, want 409 or 422", st)
	}
	key, _ := storage.OriginalKey(sha256hex(good))
	if _, err := c.store.Stat(context.Background(), key); err == nil {
		t.Errorf("bytes that do not match their declared hash were stored as original %s", key)
	}

	// Submitted twice at once: processed once.
	var sub sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		sub.Add(1)
		go func() { defer sub.Done(); statuses[i] = c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil) }()
	}
	sub.Wait()
	if !(statuses[0] == http.StatusAccepted && statuses[1] == http.StatusOK || statuses[0] == http.StatusOK && statuses[1] == http.StatusAccepted) {
		t.Errorf("two submits: statuses %v, want one 202 and one 200", statuses)
	}
	d := c.wait(code, 5*time.Minute)
	if d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	c.checkOnce(code, len(e2ePages))
	if st := c.call("POST", "/v1/dossiers/"+code+"/pages", map[string]any{"position": 7, "sha256": sha256hex(good)}, nil); st != http.StatusConflict {
		t.Errorf("page added after submission: status %d, want 409", st)
	}

	// Both workers took part.
	actors := map[string]bool{}
	for _, e := range c.events(code) {
		if e.To == "processed" {
			actors[strings.Fields(e.Actor)[0]] = true
		}
	}
	t.Logf("pages processed by %v", actors)
	if len(actors) != 2 {
		t.Errorf("pages processed by %v, want both workers", actors)
	}

	// The signed PDF, fetched as the downstream system would, passes the
	// independent checkers.
	pdfPath := filepath.Join(t.TempDir(), code+".pdf")
	c.fetchPDF(code, pdfPath)
	if got := sha256file(t, pdfPath); got != d.PDFSHA256 {
		t.Errorf("PDF served has SHA-256 %s, catalog says %s", got, d.PDFSHA256)
	}
	checkSignedPDF(t, pdfPath)
	var total ocr.Score
	n := 0
	for _, p := range e2ePages {
		for _, tr := range p.truths {
			n++
			truth, err := os.ReadFile(filepath.Join("../../testdata/truth", tr))
			if err != nil {
				t.Fatal(err)
			}
			got, err := exec.Command("pdftotext", "-f", fmt.Sprint(n), "-l", fmt.Sprint(n), "-enc", "UTF-8", pdfPath, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			s := ocr.Compare(string(truth), string(got))
			total = total.Add(s)
			if s.CER() > 0.08 {
				t.Errorf("PDF page %d (%s): CER %.4f over 0.08", n, tr, s.CER())
			}
		}
	}
	t.Logf("%d PDF pages: CER %.4f", n, total.CER())

	// The originals, named in the PDF by their SHA-256, verify against it.
	origDir := t.TempDir()
	for _, p := range e2ePages {
		b, _ := os.ReadFile(filepath.Join("../../testdata/scans", p.file))
		os.WriteFile(filepath.Join(origDir, sha256hex(b)), b, 0o644)
	}
	cmd := exec.Command(c.bin, "verify", pdfPath, "--originals", origDir)
	cmd.Env = c.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sohoa verify: %v\n%s", err, out)
	}
}

// TestServiceBadPage: a page that passes the upload checks but cannot be
// decoded fails its dossier, which names the page and why, without
// retries wasted on it.
func TestServiceBadPage(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	code := c.create("bulk")
	if st := c.upload(code, 1, "../../testdata/scans/form-300.jpg"); st != http.StatusOK {
		t.Fatalf("confirm page 1: %d", st)
	}
	if st := c.upload(code, 2, "../../testdata/bad/truncated.jpg"); st != http.StatusOK {
		t.Fatalf("confirm page 2: %d", st)
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
		t.Fatalf("submit: %d", st)
	}
	d := c.wait(code, 3*time.Minute)
	if d.Status != "failed" {
		t.Fatalf("dossier with a corrupt page ended %s", d.Status)
	}
	if d.Pages[1].Status != "failed" || !strings.Contains(d.Pages[1].Error, "corrupt") {
		t.Errorf("page 2 = %+v, want failed naming corruption", d.Pages[1])
	}
	if d.Pages[0].Status != "processed" {
		t.Errorf("page 1 = %+v, want processed", d.Pages[0])
	}
	if fp, _ := d.Failure["failed_pages"].([]any); len(fp) != 1 {
		t.Errorf("dossier failure %v, want page 2 named", d.Failure)
	}
	// Unreadable input is not retried: one failure event for the page.
	fails := 0
	for _, e := range c.events(code) {
		if e.Page == 2 && e.To == "failed" {
			fails++
		}
	}
	if fails != 1 {
		t.Errorf("page 2 failed %d times, want once", fails)
	}
	if st := c.call("GET", "/v1/dossiers/"+code+"/pdf", nil, nil); st != http.StatusConflict {
		t.Errorf("PDF of a failed dossier: status %d, want 409", st)
	}
}
