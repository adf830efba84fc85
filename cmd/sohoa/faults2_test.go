package main

// The faults of issue 14 beyond a killed worker and an emptied Redis: each
// part the service stands on (MinIO, PostgreSQL, the local store's disk,
// the network to MinIO, the clocks) fails in the middle of real work, and
// each test ends with every dossier signed once and nothing lost
// (checkIntact). The servers are real; where a fault needs a part the
// shared cluster cannot give (a MinIO or PostgreSQL this test may kill, a
// full disk), the test starts its own.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/api"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
	"github.com/sohoa/sohoa/storage/s3"
)

// maxRecovery bounds how long a page held by a killed worker waits for
// another: asynq's lease (30 s) and the workers' look for orphans every
// 5 s (workers/rescue.go), with slack for a loaded machine. Without the
// look it was 55 to 120 s, asynq's own recoverer.
const maxRecovery = 50 * time.Second

// takenOver waits until the page at pos, whose worker died at killed, is
// being run again by a live worker (or is done) and returns how long
// after the death that was. The dead worker's task stays active in Redis
// until it is recovered, so a task counts only if it has another ID
// (queued in its place) or has left the active state and come back.
func (c *cluster) takenOver(code string, pos int, killed time.Time, limit time.Duration) time.Duration {
	c.t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: c.redis.Addr})
	defer in.Close()
	ctx := context.Background()
	var orphan string
	left := false
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		active, err := in.ListActiveTasks(catalog.QueueDesk)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, ti := range active {
			var p struct{ Dossier string }
			json.Unmarshal(ti.Payload, &p)
			var pp struct{ Position int }
			json.Unmarshal(ti.Payload, &pp)
			if ti.Type != "sohoa:page" || p.Dossier != code || pp.Position != pos {
				continue
			}
			if orphan == "" {
				orphan = ti.ID
				continue
			}
			if ti.ID != orphan || left {
				return time.Since(killed)
			}
		}
		if orphan != "" && !left {
			if info, err := in.GetTaskInfo(catalog.QueueDesk, orphan); err == nil && info.State != asynq.TaskStateActive {
				left = true
			}
		}
		if pg, err := c.catalog.Page(ctx, code, pos); err == nil && pg.Status != catalog.PageUploaded {
			return time.Since(killed)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("page %d of %s not taken over %v after its worker died", pos, code, limit)
	return 0
}

// checkIntact is checkOnce and more, for the end of a fault: every
// dossier the test made is in the catalog once and signed once; its
// signed PDF holds every frame of every original once, in order; and
// every original is stored whole, under its hash.
func (c *cluster) checkIntact(want map[string]shape) {
	c.t.Helper()
	ctx := context.Background()
	var dsn string
	for _, e := range c.env {
		if v, ok := strings.CutPrefix(e, "SOHOA_POSTGRES_DSN="); ok {
			dsn = v // the last one wins, as in the processes' environment
		}
	}
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close(ctx)
	var dossiers int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM dossiers").Scan(&dossiers); err != nil {
		c.t.Fatal(err)
	}
	if dossiers != len(want) {
		c.t.Errorf("the catalog holds %d dossiers, the test made %d", dossiers, len(want))
	}
	for code, w := range want {
		c.checkOnce(code, w.files)
		d, err := c.catalog.Get(ctx, code)
		if err != nil {
			c.t.Fatal(err)
		}
		if d.Status != catalog.Signed {
			c.t.Errorf("dossier %s is %s, want signed", code, d.Status)
			continue
		}
		pages, err := c.catalog.Pages(ctx, code)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, p := range pages {
			rc, err := c.store.Get(ctx, p.OriginalKey)
			if err != nil {
				c.t.Errorf("original of page %d of %s: %v", p.Position, code, err)
				continue
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || sha256hex(b) != p.SHA256 || int64(len(b)) != p.Size {
				c.t.Errorf("original of page %d of %s: %d bytes hashing to %s (%v), catalog says %d bytes %s",
					p.Position, code, len(b), sha256hex(b), err, p.Size, p.SHA256)
			}
		}
		// The signed PDF's own page count, by an independent tool.
		pdf := filepath.Join(c.dir, code+".pdf")
		c.fetchPDF(code, pdf)
		out, err := exec.Command("pdfinfo", pdf).Output()
		if err != nil {
			c.t.Fatalf("pdfinfo %s: %v", code, err)
		}
		n := 0
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "Pages:"); ok {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if n != w.frames {
			c.t.Errorf("signed PDF of %s has %d pages, want %d", code, n, w.frames)
		}
		// Which frame of which original each page is: the manifest
		// signed beside it.
		rc, err := c.store.Get(ctx, storage.SignedManifestKey(code, d.PDFSHA256))
		if err != nil {
			c.t.Fatalf("manifest of %s: %v", code, err)
		}
		var m pipeline.Manifest
		err = json.NewDecoder(rc).Decode(&m)
		rc.Close()
		if err != nil {
			c.t.Fatal(err)
		}
		var got, want []string
		for _, p := range m.Pages {
			got = append(got, fmt.Sprintf("%s#%d", p.SHA256, p.SourcePage))
		}
		for _, p := range pages {
			for f := 1; f <= p.Frames; f++ {
				want = append(want, fmt.Sprintf("%s#%d", p.SHA256, f))
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			c.t.Errorf("signed PDF of %s holds frames\n%v\nwant\n%v", code, got, want)
		}
	}
}

// shape is what a dossier holds: page files, and the frames (PDF pages)
// in them.
type shape struct{ files, frames int }

// faultShape is faultPages': seven pages in five files.
var faultShape = shape{5, 7}

// declare asks the service where to send a page, as a station does, and
// returns the presigned request (nil when the service holds the bytes).
func (c *cluster) declare(code string, data []byte, ctype string) *storage.Presigned {
	c.t.Helper()
	var up struct {
		Exists bool               `json:"exists"`
		Upload *storage.Presigned `json:"upload"`
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads",
		map[string]any{"sha256": sha256hex(data), "size": len(data), "content_type": ctype}, &up); st != http.StatusOK {
		c.t.Fatalf("upload request: status %d", st)
	}
	return up.Upload
}

// put sends data as the presigned request p and returns the status and
// the answer's body.
func put(t testing.TB, p *storage.Presigned, body io.Reader, size int) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(p.Method, p.URL, body)
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.ContentLength = int64(size)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// putCutBy starts sending data to p, runs fault once half of it is on
// its way, then sends the rest; it returns what the PUT came to.
func putCutBy(t testing.TB, p *storage.Presigned, data []byte, fault func()) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	type answer struct {
		st   int
		body string
	}
	done := make(chan answer, 1)
	go func() {
		st, body := put(t, p, pr, len(data))
		pr.CloseWithError(errors.New("request over"))
		done <- answer{st, body}
	}()
	pw.Write(data[:len(data)/2])
	fault()
	pw.Write(data[len(data)/2:])
	pw.Close()
	a := <-done
	return a.st, a.body
}

// activeTask waits until a task of type typ is running and returns its
// ID.
func (c *cluster) activeTask(typ string, limit time.Duration) string {
	c.t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: c.redis.Addr})
	defer in.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		active, _ := in.ListActiveTasks(taskQueue(typ))
		for _, ti := range active {
			if ti.Type == typ {
				return ti.ID
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no %s task ran within %v", typ, limit)
	return ""
}

// taskQueue is the queue tasks of type typ go to for a desk dossier: its
// pages to the desk queue, the tasks that finish it to the finish queue.
func taskQueue(typ string) string {
	if typ == queue.TypePage {
		return catalog.QueueDesk
	}
	return queue.QueueFinish
}

// leftActive waits until task id, of type typ, is no longer running and
// returns what became of it.
func (c *cluster) leftActive(typ, id string, limit time.Duration) *asynq.TaskInfo {
	c.t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: c.redis.Addr})
	defer in.Close()
	deadline := time.Now().Add(limit)
	for {
		info, err := in.GetTaskInfo(taskQueue(typ), id)
		if err != nil || info.State != asynq.TaskStateActive || time.Now().After(deadline) {
			return info // nil: done and gone
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMinIORestart: MinIO killed and started again in the middle of a
// page's PUT through its presigned URL, in the middle of a part of a
// multipart upload, while a worker stores what it made of a page, and
// while a worker assembles a dossier. The PUTs cut fail and store
// nothing; the station asks again (a fresh URL, or the parts still
// missing: those that arrived before the crash are kept) and the pages
// are confirmed; the worker's tasks fail, are retried once MinIO is back,
// and both dossiers are signed once with every page.
func TestMinIORestart(t *testing.T) {
	c := newCluster(t, "local")
	m := startOwnMinIO(t)
	c.useS3(m)
	c.serve()
	ctx := context.Background()

	// A page's PUT cut by the restart.
	a := c.create("desk")
	for i, f := range faultPages[:4] {
		if st := c.upload(a, i+1, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
			t.Fatalf("confirm page %d: %d", i+1, st)
		}
	}
	last := filepath.Join("../../testdata/scans", faultPages[4])
	data, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	ctype := contentTypes[filepath.Ext(last)]
	st, body := putCutBy(t, c.declare(a, data, ctype), data, m.Restart)
	t.Logf("PUT cut by the restart: %d %s", st, tail([]byte(body), 200))
	if st >= 200 && st < 300 {
		t.Fatalf("a PUT cut half-way by a MinIO restart was answered %d", st)
	}
	staged, _ := storage.StagingKey(a, sha256hex(data))
	if info, err := c.store.Stat(ctx, staged); err == nil {
		t.Errorf("the cut PUT left %d bytes staged", info.Size)
	}
	if st := c.upload(a, 5, last); st != http.StatusOK {
		t.Fatalf("page 5 sent again after the restart: confirm %d", st)
	}

	// A multipart upload whose second part the restart cuts.
	b := c.create("desk")
	scanPNG, err := os.ReadFile("../../testdata/scans/notice-skew7-300.png")
	if err != nil {
		t.Fatal(err)
	}
	big := uniqueScan(scanPNG, strings.Repeat("x", 9<<20))
	sum := sha256hex(big)
	var mp partsAnswer
	if st := c.call("POST", "/v1/dossiers/"+b+"/uploads", map[string]any{"sha256": sum, "size": len(big),
		"content_type": "image/png", "multipart": true}, &mp); st != http.StatusOK || len(mp.Missing) != 2 {
		t.Fatalf("multipart upload request: %d, %d parts", st, len(mp.Missing))
	}
	putPart(t, mp, big, 0, 0)
	part2 := big[mp.Multipart.PartSize:]
	st, body = putCutBy(t, &mp.Missing[1].Upload, part2, m.Restart)
	t.Logf("part 2 cut by the restart: %d %s", st, tail([]byte(body), 200))
	ref := map[string]any{"key": mp.Multipart.Key, "upload_id": mp.Multipart.UploadID}
	var again partsAnswer
	if st := c.call("POST", "/v1/dossiers/"+b+"/uploads/multipart/parts", ref, &again); st != http.StatusOK {
		t.Fatalf("parts after the restart: %d", st)
	}
	if len(again.Uploaded) != 1 || len(again.Missing) != 1 || again.Missing[0].Number != 2 {
		t.Fatalf("after the restart: uploaded %v, %d missing; want part 1 kept, part 2 to send", again.Uploaded, len(again.Missing))
	}
	putPart(t, again, big, 0, 0)
	if st := c.call("POST", "/v1/dossiers/"+b+"/uploads/multipart/complete", ref, nil); st != http.StatusNoContent {
		t.Fatalf("complete: %d", st)
	}
	if st := c.call("POST", "/v1/dossiers/"+b+"/pages", map[string]any{"position": 1, "sha256": sum}, nil); st != http.StatusOK {
		t.Fatalf("confirm the multipart page: %d", st)
	}

	// The assembly cut: MinIO down from the moment the task runs until it
	// has failed.
	for _, code := range []string{a, b} {
		if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
			t.Fatalf("submit %s: %d", code, st)
		}
	}
	c.worker("worker-a")
	// down stops MinIO while a task of type typ runs, and starts it again once the
	// task has failed for it.
	down := func(typ string) {
		t.Helper()
		id := c.activeTask(typ, 5*time.Minute)
		m.Stop()
		stopped := time.Now()
		info := c.leftActive(typ, id, 2*time.Minute)
		m.Start()
		if info == nil || info.LastErr == "" {
			t.Errorf("task %s ended %+v with MinIO down: want a failure, retried", id, info)
		} else {
			t.Logf("task %s, MinIO down for %.1f s: %s, %q", id, time.Since(stopped).Seconds(), info.State, info.LastErr)
		}
	}
	// In the middle of a page, whose next store call is the write of
	// what it made (OCR reads nothing from the store).
	c.midOCR(a)
	down(queue.TypePage)
	// In the middle of the assembly.
	down(queue.TypeAssemble)
	for _, code := range []string{a, b} {
		if d := c.wait(code, 5*time.Minute); d.Status != "signed" {
			t.Fatalf("dossier %s ended %s: %+v", code, d.Status, d)
		}
	}
	c.checkIntact(map[string]shape{a: faultShape, b: {1, 1}})
}

// envOf is the value the cluster's processes get for name.
func (c *cluster) envOf(name string) string {
	v := ""
	for _, e := range c.env {
		if s, ok := strings.CutPrefix(e, name+"="); ok {
			v = s
		}
	}
	return v
}

// TestWorkerMinIOLinkCut: the network between a worker and MinIO cut for
// 20 s while the worker reads a page (serve, Redis and PostgreSQL still
// reach it): the worker's store calls hang while the link is down and
// fail when it comes back with the connections dead; the task is
// retried and the dossier is signed once with every page.
func TestWorkerMinIOLinkCut(t *testing.T) {
	c := newCluster(t, "s3")
	p := startProxy(t, c.envOf("SOHOA_S3_ENDPOINT"))
	c.serve()
	c.startWith([]string{"SOHOA_S3_ENDPOINT=" + p.Addr}, "worker-a", "worker started", "worker", "--name", "worker-a")
	code := c.submitDossier(faultPages)
	pos := c.midOCR(code)
	p.Cut()
	t.Logf("link cut while the worker read page %d", pos)
	time.Sleep(20 * time.Second)
	if pg, _ := c.catalog.Page(context.Background(), code, pos); pg.Status != catalog.PageUploaded {
		t.Errorf("page %d is %s with the worker cut off from storage: its result cannot have been stored", pos, pg.Status)
	}
	p.Restore()
	back := time.Now()
	if d := c.wait(code, 5*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	t.Logf("signed %.1f s after the link came back", time.Since(back).Seconds())
	c.checkIntact(map[string]shape{code: faultShape})
}

// TestPostgresRestartMidRun: the catalog's PostgreSQL killed (immediate
// shutdown: no checkpoint, recovery from the WAL at the next start) while
// a worker reads a page, and started again 10 s later. While it is down
// the API refuses clearly and at once; the worker's records fail and its
// tasks are retried; both dossiers are then signed once with every page.
func TestPostgresRestartMidRun(t *testing.T) {
	c := newCluster(t, "local")
	pg := startOwnPostgres(t)
	c.usePostgres(pg)
	c.serve()
	c.worker("worker-a")
	codes := []string{c.submitDossier(faultPages), c.submitDossier(faultPages)}
	c.midOCR(codes[0])
	pg.Stop()
	t.Log("PostgreSQL stopped")
	start := time.Now()
	req, _ := http.NewRequest("POST", c.api+"/v1/dossiers", strings.NewReader(`{"procedure":"1.000894","queue":"desk"}`))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create with the catalog down: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("create with the catalog down: %d %s after %.2f s (Retry-After %q)", resp.StatusCode, strings.TrimSpace(string(b)),
		time.Since(start).Seconds(), resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(start) > 10*time.Second {
		t.Errorf("create with the catalog down: %d after %v, want 503 at once", resp.StatusCode, time.Since(start))
	}
	time.Sleep(10 * time.Second)
	pg.Start()
	t.Log("PostgreSQL started again")
	// The outage must have met the worker, or this tested nothing.
	wlog, _ := os.ReadFile(filepath.Join(c.dir, "worker-a.log"))
	if l := lineWith(wlog, "connection refused"); l == "" {
		t.Errorf("the worker met no catalog failure in 10 s of outage:\n%s", tail(wlog, 2000))
	} else {
		t.Logf("worker during the outage: %s", tail([]byte(l), 400))
	}
	want := map[string]shape{}
	for _, code := range codes {
		if d := c.wait(code, 5*time.Minute); d.Status != "signed" {
			t.Fatalf("dossier %s ended %s: %+v", code, d.Status, d)
		}
		want[code] = faultShape
	}
	c.checkIntact(want)
}

// checkNothingHalfWritten walks a local store: no file left in tmp/,
// every object with its sidecar, and every object's bytes the ones its
// sidecar names.
func checkNothingHalfWritten(t testing.TB, root string) {
	t.Helper()
	tmp, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmp {
		t.Errorf("left in the store's tmp/: %s", e.Name())
	}
	data := filepath.Join(root, "data")
	filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(data, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		mb, err := os.ReadFile(filepath.Join(root, "meta", rel+".json"))
		var meta struct{ SHA256 string }
		if err != nil || json.Unmarshal(mb, &meta) != nil {
			t.Errorf("object %s (%d bytes) has no readable sidecar: %v", rel, len(b), err)
			return nil
		}
		if got := sha256hex(b); got != meta.SHA256 {
			t.Errorf("object %s: %d bytes hashing to %s, its sidecar says %s", rel, len(b), got, meta.SHA256)
		}
		return nil
	})
}

// TestLocalStoreDiskFull: the local store on a 64 MiB filesystem filled
// to the brim, first while a station uploads a page, then while a worker
// stores what it made. The station gets a clear 507 and the worker's
// task fails and is retried; nothing half-written stays in the store;
// once space is freed the page is sent again and the dossier is signed
// once with every page.
func TestLocalStoreDiskFull(t *testing.T) {
	c := newCluster(t, "local")
	disk := smallDisk(t, 64<<20)
	root := filepath.Join(disk, "store")
	c.env = append(c.env, "SOHOA_STORAGE_DIR="+root)
	st, err := local.Open(root, local.Options{Retention: storage.RetentionYears(1)})
	if err != nil {
		t.Fatal(err)
	}
	c.store = st
	c.serve()
	code := c.create("desk")
	for i, f := range faultPages[:2] {
		if st := c.upload(code, i+1, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
			t.Fatalf("confirm page %d: %d", i+1, st)
		}
	}

	// Full while a station sends page 3.
	ballast := fill(t, disk, 64<<10)
	page3 := filepath.Join("../../testdata/scans", faultPages[2])
	data, err := os.ReadFile(page3)
	if err != nil {
		t.Fatal(err)
	}
	status, body := put(t, c.declare(code, data, contentTypes[filepath.Ext(page3)]), bytes.NewReader(data), len(data))
	t.Logf("PUT to a full store: %d %s", status, strings.TrimSpace(body))
	if status != http.StatusInsufficientStorage || !strings.Contains(body, "full") {
		t.Errorf("PUT to a full store: %d %s, want 507 saying the storage is full", status, body)
	}
	checkNothingHalfWritten(t, root)
	os.Remove(ballast)
	for i, f := range faultPages[2:] {
		if st := c.upload(code, i+3, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
			t.Fatalf("confirm page %d: %d", i+3, st)
		}
	}

	// Full while the worker stores page results and the PDF.
	ballast = fill(t, disk, 16<<10)
	if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
		t.Fatalf("submit: %d", st)
	}
	c.worker("worker-a")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		b, _ := os.ReadFile(filepath.Join(c.dir, "worker-a.log"))
		if bytes.Contains(b, []byte("no space left on device")) || bytes.Contains(b, []byte("storage is full")) {
			t.Logf("worker, with the store full: %s", lineWith(b, "task failed"))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker met no full disk:\n%s", tail(b, 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	checkNothingHalfWritten(t, root)
	os.Remove(ballast)
	if d := c.wait(code, 5*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	c.checkIntact(map[string]shape{code: faultShape})
	checkNothingHalfWritten(t, root)
}

// lineWith is the first line of b that holds s.
func lineWith(b []byte, s string) string {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// presignS3 signs a PUT of bucket/key at endpoint (AWS Signature
// Version 4 in the query string, host the only signed header) as a
// signer whose clock reads at would: minio-go signs only with the
// machine's own clock.
func presignS3(endpoint, access, secret, bucket, key string, at time.Time, expires time.Duration) string {
	const region = "us-east-1"
	amzDate := at.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	scope := day + "/" + region + "/s3/aws4_request"
	q := url.Values{}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Credential", access+"/"+scope)
	q.Set("X-Amz-Date", amzDate)
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires.Seconds())))
	q.Set("X-Amz-SignedHeaders", "host")
	query := strings.ReplaceAll(q.Encode(), "+", "%20") // sorted by name, as signed
	path := "/" + bucket + "/" + key
	canonical := strings.Join([]string{"PUT", path, query, "host:" + endpoint + "\n", "host", "UNSIGNED-PAYLOAD"}, "\n")
	h := sha256.Sum256([]byte(canonical))
	mac := func(k []byte, s string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), "s3"), "aws4_request")
	sig := mac(k, strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, hex.EncodeToString(h[:])}, "\n"))
	return "http://" + endpoint + path + "?" + query + "&X-Amz-Signature=" + hex.EncodeToString(sig)
}

// TestPresignedURLExpiryAndSkew: an upload URL used after it expired,
// and URLs signed by a server whose clock is off, for both stores. The
// station's own clock plays no part (it never reads the URL's expiry:
// the store that takes the PUT judges it by its own clock), so the skew
// that matters is the one between the server that signs and the store
// that checks. An expired or not-yet-valid URL gets a 403 that says so,
// and the station, asking again, gets a fresh URL that works.
func TestPresignedURLExpiryAndSkew(t *testing.T) {
	receipt, err := os.ReadFile("../../testdata/scans/receipt-150.png")
	if err != nil {
		t.Fatal(err)
	}
	const expiry = 15 * time.Minute // api.Config.UploadExpiry's default, serve's
	cases := []struct {
		name string
		skew time.Duration // the signer's clock minus the checker's
		ok   bool
	}{
		{"on time", 0, true},
		{"signer 10 min behind", -10 * time.Minute, true},
		{"signer 20 min behind", -20 * time.Minute, false},
		{"signer 10 min ahead", 10 * time.Minute, true},
		{"signer 20 min ahead", 20 * time.Minute, false},
	}
	for _, kind := range []string{"s3", "local"} {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind)
			c.serve()
			ctx := context.Background()
			code := c.create("desk")
			pos := 0
			// send tries a URL for a page of its own, then confirms the
			// page through a fresh URL if the first was refused.
			send := func(name string, sign func(key string, data []byte) *storage.Presigned, ok bool) {
				t.Helper()
				data := uniqueScan(receipt, kind+" "+name)
				key, _ := storage.StagingKey(code, sha256hex(data))
				st, body := put(t, sign(key, data), bytes.NewReader(data), len(data))
				t.Logf("%s: %d %s", name, st, brief(body))
				if accepted := st >= 200 && st < 300; accepted != ok {
					t.Errorf("%s: PUT answered %d, want accepted %v", name, st, ok)
				}
				if !ok {
					if st != http.StatusForbidden || !strings.Contains(strings.ToLower(body), "expired") && !strings.Contains(strings.ToLower(body), "not valid yet") {
						t.Errorf("%s: %d %s, want 403 saying the URL expired or is not valid yet", name, st, body)
					}
					if _, err := c.store.Stat(ctx, key); err == nil {
						t.Errorf("%s: the refused PUT staged the page", name)
					}
				}
				pos++
				if st := c.uploadBytes(code, pos, data, data, "image/png"); st != http.StatusOK {
					t.Errorf("%s: page sent again through a fresh URL: confirm %d", name, st)
				}
			}
			// presigner is the store as the service signs with it: for the
			// local store, as a serve process with the same secret whose
			// clock is off by skew would.
			presigner := func(skew time.Duration) storage.Presigner {
				if kind == "s3" {
					return c.store.(storage.Presigner)
				}
				st, err := local.Open(c.envOf("SOHOA_STORAGE_DIR"), local.Options{Retention: storage.RetentionYears(1),
					UploadURL: c.api + api.UploadPath, URLSecret: []byte(c.envOf("SOHOA_URL_SECRET")),
					Now: func() time.Time { return time.Now().Add(skew) }})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			// Expired: signed for one second, used after two.
			send("expired", func(key string, data []byte) *storage.Presigned {
				p, err := presigner(0).PresignPut(ctx, key, int64(len(data)), "image/png", sha256hex(data), time.Second)
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(2100 * time.Millisecond)
				return &p
			}, false)
			for _, tc := range cases {
				send(tc.name, func(key string, data []byte) *storage.Presigned {
					if kind == "s3" {
						return &storage.Presigned{Method: http.MethodPut, URL: presignS3(c.envOf("SOHOA_S3_ENDPOINT"),
							c.envOf("SOHOA_S3_ACCESS_KEY"), c.envOf("SOHOA_S3_SECRET_KEY"), "derived", key, time.Now().Add(tc.skew), expiry)}
					}
					p, err := presigner(tc.skew).PresignPut(ctx, key, int64(len(data)), "image/png", sha256hex(data), expiry)
					if err != nil {
						t.Fatal(err)
					}
					return &p
				}, tc.ok || kind == "local" && tc.skew > 0) // the local store's URLs have no start
			}
		})
	}
}

// brief is what an error answer says: an S3 error's code and message, or
// the body.
func brief(body string) string {
	var e struct{ Code, Message string }
	if xml.Unmarshal([]byte(body), &e) == nil && e.Code != "" {
		return e.Code + ": " + e.Message
	}
	return strings.TrimSpace(body)
}

// TestS3ReadOverDeadLink: the connection under a read of a stored object
// goes silent for good (the link cut, then back without a word to either
// end: a firewall that forgot the connection). The read fails after the
// store's stall timeout, saying so, instead of hanging until the task's
// own timeout (10 min for a page, 30 for an assembly), and the next read
// goes over a new connection.
func TestS3ReadOverDeadLink(t *testing.T) {
	m := startOwnMinIO(t)
	p := startProxy(t, m.Endpoint)
	ctx := context.Background()
	const stall = 3 * time.Second
	st, err := s3.New(ctx, s3.Config{Endpoint: p.Addr, AccessKey: m.User, SecretKey: m.Pass,
		OriginalsBucket: "originals", DerivedBucket: "derived", Retention: storage.RetentionYears(1), StallTimeout: stall})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	key := "results/pages/ab/stall-test.img"
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data)), sha256hex(data)); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// Not closed when the read hangs: Close would wait for it. The
	// proxy's end closes the connection.
	if _, err := io.ReadFull(rc, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	p.Heal()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, rc)
		done <- err
	}()
	select {
	case err := <-done:
		rc.Close()
		t.Logf("read over the dead connection failed after %.1f s: %v", time.Since(start).Seconds(), err)
		if err == nil || !strings.Contains(err.Error(), "stalled") {
			t.Errorf("read over a dead connection: %v, want an error saying it stalled", err)
		}
	case <-time.After(stall + 30*time.Second):
		t.Fatalf("read over a dead connection still waiting after %v (stall timeout %v)", time.Since(start), stall)
	}
	rc2, err := st.Get(ctx, key)
	if err != nil {
		t.Fatalf("get over a new connection: %v", err)
	}
	b, err := io.ReadAll(rc2)
	rc2.Close()
	if err != nil || sha256hex(b) != sha256hex(data) {
		t.Errorf("read over a new connection: %d bytes, %v", len(b), err)
	}
}
