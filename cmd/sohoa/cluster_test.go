package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
	"github.com/sohoa/sohoa/storage/s3"
)

// cluster is a whole sohoa service on this machine: its own Redis,
// MinIO (or a local store folder) and PostgreSQL database, and sohoa
// serve and worker processes started from the built binary, as a
// deployment runs them.
type cluster struct {
	t       testing.TB
	bin     string
	env     []string
	dir     string
	api     string // http://host:port
	redis   *testenv.Redis
	catalog *catalog.Catalog
	store   storage.Store
	procs   map[string]*exec.Cmd
	// tokens are the API clients' tokens by role; token is the one call
	// uses (the operator's, unless as() picked another).
	tokens map[string]string
	token  string
}

// office is the agency code the test operator works for.
const office = "000.00.01.H26"

// as returns the cluster seen by a client of another role.
func (c *cluster) as(role string) *cluster {
	cc := *c
	cc.token = c.tokens[role]
	return &cc
}

func newCluster(t testing.TB, storageKind string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: sohoa(t), dir: t.TempDir(), procs: map[string]*exec.Cmd{}}
	c.env = devKeys(t, c.bin)
	c.redis = testenv.StartRedis(t)
	dsn := testenv.PostgresDB(t)
	listen := testenv.FreeAddr()
	c.api = "http://" + listen
	secret := make([]byte, 32)
	rand.Read(secret)
	c.env = append(c.env,
		"SOHOA_POSTGRES_DSN="+dsn,
		"SOHOA_REDIS_URL=redis://"+c.redis.Addr+"/0",
		"SOHOA_LISTEN="+listen,
		"SOHOA_RETENTION_YEARS=1",
		"SOHOA_CONCURRENCY=1",
		"SOHOA_RETRY_DELAY=1s",
		"SOHOA_RECONCILE_EVERY=2s",
		"SOHOA_RECONCILE_QUIET=5s",
		"SOHOA_SHUTDOWN_TIMEOUT=30s",
		"SOHOA_URL_SECRET="+hex.EncodeToString(secret),
		"SOHOA_STORAGE="+storageKind,
	)
	ctx := context.Background()
	switch storageKind {
	case "s3":
		m, err := testenv.StartMinIO()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Stop)
		c.env = append(c.env, "SOHOA_S3_ENDPOINT="+m.Endpoint, "SOHOA_S3_ACCESS_KEY="+m.User,
			"SOHOA_S3_SECRET_KEY="+m.Password, "SOHOA_ORIGINALS_BUCKET=originals", "SOHOA_DERIVED_BUCKET=derived")
		st, err := s3.New(ctx, s3.Config{Endpoint: m.Endpoint, AccessKey: m.User, SecretKey: m.Password,
			OriginalsBucket: "originals", DerivedBucket: "derived", Retention: storage.RetentionYears(1)})
		if err != nil {
			t.Fatal(err)
		}
		c.store = st
	case "local":
		d := filepath.Join(c.dir, "store")
		c.env = append(c.env, "SOHOA_STORAGE_DIR="+d)
		st, err := local.Open(d, local.Options{Retention: storage.RetentionYears(1)})
		if err != nil {
			t.Fatal(err)
		}
		c.store = st
	}
	// The catalog the test reads is the one the processes write; opening
	// it here also applies the migrations before they start.
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	c.catalog = cat
	c.tokens = map[string]string{}
	for _, role := range []string{"operator", "workflow", "auditor", "admin"} {
		args := []string{"tokens", "create", "--name", "test-" + role, "--role", role}
		if role == "operator" {
			args = append(args, "--office", office)
		}
		cmd := exec.Command(c.bin, args...)
		cmd.Env = c.env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tokens create %s: %v", role, err)
		}
		c.tokens[role] = strings.TrimSpace(string(out))
	}
	c.token = c.tokens["operator"]
	t.Cleanup(func() {
		for name, p := range c.procs {
			if p.ProcessState == nil {
				p.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { p.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(40 * time.Second):
					p.Process.Kill()
					t.Errorf("%s did not stop on SIGTERM", name)
				}
			}
			if t.Failed() {
				b, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
				t.Logf("--- %s log:\n%s", name, tail(b, 4000))
			}
		}
	})
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// start runs "sohoa args..." as the process name and waits until its log
// shows ready.
func (c *cluster) start(name, ready string, args ...string) *exec.Cmd {
	c.t.Helper()
	logPath := filepath.Join(c.dir, name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer log.Close()
	fmt.Fprintf(log, "=== start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[name] = cmd
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if i := bytes.LastIndex(b, []byte("=== start")); i >= 0 && bytes.Contains(b[i:], []byte(ready)) {
			return cmd
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready after 60 s:\n%s", name, tail(b, 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cluster) serve() { c.start("serve", "serving", "serve") }

func (c *cluster) worker(name string) *exec.Cmd {
	return c.start(name, "worker started", "worker", "--name", name)
}

// call makes an API request and decodes a JSON answer into out.
func (c *cluster) call(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.api+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.StatusCode
}

type apiDossier struct {
	Code    string         `json:"code"`
	Status  string         `json:"status"`
	Failure map[string]any `json:"failure"`
	Pages   []struct {
		Position int      `json:"position"`
		Status   string   `json:"status"`
		Warnings []string `json:"warnings"`
		Error    string   `json:"error"`
	} `json:"pages"`
	PDFSHA256 string `json:"pdf_sha256"`
}

var contentTypes = map[string]string{".jpg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff", ".pdf": "application/pdf"}

// upload does what a station does for one page file: declare it, PUT it
// to the URL it is given, confirm it. It returns the confirm status.
func (c *cluster) upload(code string, position int, path string) int {
	c.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.uploadBytes(code, position, data, data, contentTypes[filepath.Ext(path)])
}

// uploadBytes declares declared but sends sent.
func (c *cluster) uploadBytes(code string, position int, declared, sent []byte, ctype string) int {
	c.t.Helper()
	sum := sha256.Sum256(declared)
	h := hex.EncodeToString(sum[:])
	var up struct {
		Exists bool               `json:"exists"`
		Upload *storage.Presigned `json:"upload"`
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads",
		map[string]any{"sha256": h, "size": len(declared), "content_type": ctype}, &up); st != http.StatusOK {
		c.t.Fatalf("upload request for page %d: status %d", position, st)
	}
	if !up.Exists {
		req, _ := http.NewRequest(up.Upload.Method, up.Upload.URL, bytes.NewReader(sent))
		for k, v := range up.Upload.Header {
			req.Header[k] = v
		}
		req.ContentLength = int64(len(sent))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			c.t.Logf("PUT page %d → %d %s", position, resp.StatusCode, tail(b, 300))
		}
	}
	return c.call("POST", "/v1/dossiers/"+code+"/pages", map[string]any{"position": position, "sha256": h}, nil)
}

// create opens a dossier and returns the code the service gave it.
func (c *cluster) create(queue string) string {
	c.t.Helper()
	var d apiDossier
	if st := c.call("POST", "/v1/dossiers", map[string]any{"procedure": "1.000894", "queue": queue}, &d); st != http.StatusCreated {
		c.t.Fatalf("create: status %d", st)
	}
	return d.Code
}

// fetchPDF gets the signed PDF through the link the API hands out and
// writes it to path.
func (c *cluster) fetchPDF(code, path string) {
	c.t.Helper()
	var link struct {
		URL    string `json:"url"`
		SHA256 string `json:"sha256"`
	}
	if st := c.call("GET", "/v1/dossiers/"+code+"/pdf", nil, &link); st != http.StatusOK {
		c.t.Fatalf("pdf link of %s: %d", code, st)
	}
	resp, err := http.Get(link.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %v %v", link.URL, resp.Status, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		c.t.Fatal(err)
	}
	if got := sha256hex(b); got != link.SHA256 {
		c.t.Errorf("PDF fetched has SHA-256 %s, the API says %s", got, link.SHA256)
	}
}

// wait polls the dossier until it is signed or failed.
func (c *cluster) wait(code string, limit time.Duration) apiDossier {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var d apiDossier
		if st := c.call("GET", "/v1/dossiers/"+code, nil, &d); st != http.StatusOK {
			c.t.Fatalf("get %s: status %d", code, st)
		}
		if d.Status == "signed" || d.Status == "failed" {
			return d
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("dossier %s still %s after %v: %+v", code, d.Status, limit, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// events returns the dossier's catalog events.
func (c *cluster) events(code string) []catalog.Event {
	c.t.Helper()
	evs, err := c.catalog.Events(context.Background(), code)
	if err != nil {
		c.t.Fatal(err)
	}
	return evs
}

// checkOnce asserts that the dossier went through every status once and
// that each page was processed once, into one stored result.
func (c *cluster) checkOnce(code string, pages int) {
	c.t.Helper()
	ctx := context.Background()
	moves := map[string]int{}
	processed := map[int]int{}
	for _, e := range c.events(code) {
		if e.Page == 0 {
			moves[e.To]++
		} else if e.To == string(catalog.PageProcessed) {
			processed[e.Page]++
		}
	}
	for _, s := range []string{"created", "uploading", "submitted", "processing", "assembled", "signed"} {
		if moves[s] != 1 {
			c.t.Errorf("dossier %s moved to %s %d times, want once (moves %v)", code, s, moves[s], moves)
		}
	}
	ps, err := c.catalog.Pages(ctx, code)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(ps) != pages {
		c.t.Errorf("dossier %s has %d pages, want %d", code, len(ps), pages)
	}
	for _, p := range ps {
		if processed[p.Position] != 1 || p.Status != catalog.PageProcessed {
			c.t.Errorf("page %d: status %s, processed %d times, want once", p.Position, p.Status, processed[p.Position])
		}
		// One result per original: a page processed twice would have
		// left two different results beside each other.
		keys, err := c.store.List(ctx, storage.PageResultsPrefix(p.SHA256))
		if err != nil {
			c.t.Fatal(err)
		}
		var results []string
		for _, k := range keys {
			if strings.HasSuffix(k, ".json") {
				results = append(results, k)
			}
		}
		if len(results) != 1 || results[0] != p.ResultKey {
			c.t.Errorf("page %d: stored results %v, catalog records %s", p.Position, results, p.ResultKey)
		}
	}
	d, err := c.catalog.Get(ctx, code)
	if err != nil {
		c.t.Fatal(err)
	}
	signed, err := c.store.List(ctx, storage.SignedPrefix(code))
	if err != nil {
		c.t.Fatal(err)
	}
	var pdfs []string
	for _, k := range signed {
		if strings.HasSuffix(k, ".pdf") {
			pdfs = append(pdfs, k)
		}
	}
	if len(pdfs) != 1 || pdfs[0] != d.PDFKey {
		c.t.Errorf("signed PDFs in storage %v, catalog records %s", pdfs, d.PDFKey)
	}
}
