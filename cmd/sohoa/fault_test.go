package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
)

// faultPages make a dossier of seven PDF pages in five files.
var faultPages = []string{"form-300.jpg", "decision-skew-12-200.jpg", "household-3p-300.tif", "notice-skew7-300.png", "birth-upside-200.jpg"}

func (c *cluster) submitDossier(files []string) string {
	c.t.Helper()
	code := c.create("desk")
	for i, f := range files {
		if st := c.upload(code, i+1, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
			c.t.Fatalf("confirm %s page %d: status %d", code, i+1, st)
		}
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
		c.t.Fatalf("submit %s: status %d", code, st)
	}
	return code
}

// midOCR waits until a page task has been running for a while with its page
// not yet recorded, i.e. the worker is inside OCR (the stages before it
// take a tenth of the time), and returns that page's position.
func (c *cluster) midOCR(code string) int {
	c.t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: c.redis.Addr})
	defer in.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		active, err := in.ListActiveTasks(catalog.QueueDesk)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, ti := range active {
			if ti.Type != "sohoa:page" {
				continue
			}
			var p struct{ Position int }
			json.Unmarshal(ti.Payload, &p)
			time.Sleep(300 * time.Millisecond)
			pg, err := c.catalog.Page(context.Background(), code, p.Position)
			if err != nil {
				c.t.Fatal(err)
			}
			still, _ := in.GetTaskInfo(catalog.QueueDesk, ti.ID)
			if pg.Status == catalog.PageUploaded && still != nil && still.State == asynq.TaskStateActive {
				return p.Position
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no page task seen running")
	return 0
}

// TestWorkerKilledMidOCR: a worker process killed with SIGKILL in the
// middle of OCR loses nothing: another worker takes the page over once
// the dead one's lease on it expires, and every page is processed into
// exactly one result.
func TestWorkerKilledMidOCR(t *testing.T) {
	c := newCluster(t, "s3")
	c.serve()
	a := c.worker("worker-a")
	code := c.submitDossier(faultPages)
	pos := c.midOCR(code)
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	a.Wait()
	pg, _ := c.catalog.Page(context.Background(), code, pos)
	if pg.Status != catalog.PageUploaded {
		t.Fatalf("page %d was %s when its worker died: the kill came too late to test anything", pos, pg.Status)
	}
	t.Logf("killed worker-a while it read page %d", pos)
	c.worker("worker-b")
	// Recovery: from the kill until another worker runs the page again.
	took := c.takenOver(code, pos, killed, 3*time.Minute)
	t.Logf("page %d taken over %.1f s after the kill", pos, took.Seconds())
	if took > maxRecovery {
		t.Errorf("page %d taken over %.1f s after the kill, want under %v", pos, took.Seconds(), maxRecovery)
	}
	d := c.wait(code, 5*time.Minute)
	if d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	c.checkOnce(code, len(faultPages))
}

// TestRedisRestartMidRun: Redis restarted in the middle of a run, losing
// every queued and running task (no persistence): the workers reconnect,
// the reconciler re-queues what the catalog says is undone, and both
// dossiers complete with each page processed once.
func TestRedisRestartMidRun(t *testing.T) {
	c := newCluster(t, "s3")
	c.serve()
	c.worker("worker-a")
	c.worker("worker-b")
	codes := []string{c.submitDossier(faultPages), c.submitDossier(faultPages)}
	c.midOCR(codes[0])
	c.redis.Restart()
	t.Log("Redis restarted empty")
	for _, code := range codes {
		d := c.wait(code, 5*time.Minute)
		if d.Status != "signed" {
			t.Fatalf("dossier %s ended %s: %+v", code, d.Status, d)
		}
		c.checkOnce(code, len(faultPages))
	}
}

// TestWorkerSIGTERM: a worker told to stop in the middle of a page
// finishes that page before it exits (status 0), and the rest of the
// dossier goes to the other worker.
func TestWorkerSIGTERM(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	a := c.worker("worker-a")
	code := c.submitDossier(faultPages)
	pos := c.midOCR(code)
	if err := a.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("worker-a on SIGTERM: %v", err)
	}
	pg, _ := c.catalog.Page(context.Background(), code, pos)
	if pg.Status != catalog.PageProcessed {
		t.Errorf("page %d, in hand at SIGTERM, is %s: want finished before exit", pos, pg.Status)
	}
	c.worker("worker-b")
	d := c.wait(code, 3*time.Minute)
	if d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	c.checkOnce(code, len(faultPages))
}

// TestDeskBeforeBulk: with one worker busy, a citizen's dossier at the
// desk overtakes back-file digitization submitted before it.
func TestDeskBeforeBulk(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	upload := func(queue string, files []string) string {
		code := c.create(queue)
		for i, f := range files {
			if st := c.upload(code, i+1, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
				t.Fatalf("confirm %s page %d: %d", code, i+1, st)
			}
		}
		return code
	}
	bulkCode := upload("bulk", faultPages)
	deskCode := upload("desk", []string{"scanner-2p.pdf", "receipt-150.png"})
	for _, code := range []string{bulkCode, deskCode} {
		if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
			t.Fatalf("submit %s: %d", code, st)
		}
	}
	c.wait(deskCode, 3*time.Minute)
	bulk, err := c.catalog.Get(context.Background(), bulkCode)
	if err != nil {
		t.Fatal(err)
	}
	if bulk.Status == catalog.Signed {
		t.Errorf("the bulk dossier, submitted first, was signed before the desk dossier")
	}
	if d := c.wait(bulkCode, 3*time.Minute); d.Status != "signed" {
		t.Errorf("bulk dossier ended %s", d.Status)
	}
}
