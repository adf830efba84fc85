package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/webhook"
)

// hookReceiver is the workflow system's webhook endpoint: it verifies
// each POST's HMAC and keeps the events.
type hookReceiver struct {
	secret []byte
	mu     sync.Mutex
	events []map[string]any
	bad    int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhook.Verify(h.secret, r.Header, body, time.Minute, time.Now()); err != nil {
		h.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev map[string]any
	json.Unmarshal(body, &ev)
	h.events = append(h.events, ev)
}

func (h *hookReceiver) find(code string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e["dossier"] == code {
			return e
		}
	}
	return nil
}

// TestAPIEndToEnd is the whole service over real HTTP, each client in its
// role: a station creates a dossier, uploads and submits it and follows
// it live; the workflow system is told by a signed webhook, lists, fetches
// and acknowledges it; an auditor downloads the originals bit-exact,
// verifies the dossier server-side and reads a trail that `sohoa audit
// verify` accepts, until a trail row is edited in PostgreSQL.
func TestAPIEndToEnd(t *testing.T) {
	c := newCluster(t, "s3")
	secret := make([]byte, 32)
	rand.Read(secret)
	hooks := &hookReceiver{secret: []byte(hex.EncodeToString(secret))}
	recv := httptest.NewServer(hooks)
	defer recv.Close()
	c.env = append(c.env, "SOHOA_WEBHOOK_URLS="+recv.URL+"/sohoa", "SOHOA_WEBHOOK_SECRET="+hex.EncodeToString(secret))
	c.serve()
	c.worker("worker-a")

	// Station.
	var created apiDossier
	if st := c.call("POST", "/v1/dossiers", map[string]any{"procedure": "1.000894", "citizen_id": "001085012345",
		"receipt_no": "BN-2026-0042"}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	code := created.Code
	if !strings.HasPrefix(code, office+"-") || len(code) != len(office)+len("-YYMMDD-NNNN") {
		t.Errorf("dossier code %q: want %s-YYMMDD-NNNN", code, office)
	}
	files := []string{"form-300.jpg", "receipt-150.png", "birth-upside-200.jpg"}
	for i, f := range files {
		if st := c.upload(code, i+1, filepath.Join("../../testdata/scans", f)); st != http.StatusOK {
			t.Fatalf("confirm %s: %d", f, st)
		}
	}
	// The operator puts the birth certificate first, then re-scans the receipt.
	if st := c.call("POST", "/v1/dossiers/"+code+"/pages/order", map[string]any{"order": []int{3, 1, 2}}, nil); st != http.StatusOK {
		t.Fatalf("reorder: %d", st)
	}
	if st := c.upload(code, 9, "../../testdata/scans/notice-skew7-300.png"); st != http.StatusOK {
		t.Fatalf("confirm extra page: %d", st)
	}
	if st := c.call("DELETE", "/v1/dossiers/"+code+"/pages/9", nil, nil); st != http.StatusOK {
		t.Fatalf("delete page 9: %d", st)
	}

	// Live progress, read as a desk screen would.
	stream, err := c.stream("/v1/dossiers/" + code + "/progress")
	if err != nil {
		t.Fatal(err)
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
		t.Fatalf("submit: %d", st)
	}
	var statuses []string
	for ev := range stream {
		statuses = append(statuses, ev.Status)
	}
	t.Logf("progress stream: %v", statuses)
	if len(statuses) < 2 || statuses[len(statuses)-1] != "signed" {
		t.Fatalf("progress stream ended with %v, want several events ending signed", statuses)
	}
	var d apiDossier
	c.call("GET", "/v1/dossiers/"+code, nil, &d)
	var warned bool
	for _, p := range d.Pages {
		warned = warned || len(p.Warnings) > 0
	}
	if !warned {
		t.Errorf("no page warning shown; the 150-dpi receipt should have one: %+v", d.Pages)
	}

	// Workflow: webhook, listing, metadata, text, PDF, acknowledgement.
	wf := c.as("workflow")
	deadline := time.Now().Add(60 * time.Second)
	for hooks.find(code) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	ev := hooks.find(code)
	if ev == nil || ev["type"] != "dossier.ready" || ev["pdf_sha256"] != d.PDFSHA256 {
		t.Fatalf("webhook for %s: %v (bad signatures %d)", code, ev, hooks.bad)
	}
	var list struct {
		Items []struct{ Code, Cursor string } `json:"items"`
		Next  string                          `json:"next"`
	}
	if st := wf.call("GET", "/v1/dossiers?status=ready&limit=10", nil, &list); st != http.StatusOK || len(list.Items) != 1 || list.Items[0].Code != code {
		t.Fatalf("ready listing: %d %+v", st, list)
	}
	var meta struct {
		Code      string `json:"code"`
		CitizenID string `json:"citizen_id"`
		Pages     []struct {
			Text string `json:"text"`
		} `json:"pages"`
	}
	if st := wf.call("GET", "/v1/dossiers/"+code+"/metadata", nil, &meta); st != http.StatusOK || meta.CitizenID != "001085012345" || len(meta.Pages) != 3 {
		t.Errorf("metadata: %d %+v", st, meta)
	}
	var text struct {
		Pages []struct {
			Page int    `json:"page"`
			Text string `json:"text"`
		} `json:"pages"`
	}
	if st := wf.call("GET", "/v1/dossiers/"+code+"/text", nil, &text); st != http.StatusOK || len(text.Pages) != 3 || !strings.Contains(text.Pages[0].Text, "CỘNG HÒA") {
		t.Errorf("text: %d, %d pages, page 1 %q", st, len(text.Pages), firstLine(text.Pages))
	}
	pdfPath := filepath.Join(t.TempDir(), code+".pdf")
	wf.fetchPDF(code, pdfPath)
	checkSignedPDF(t, pdfPath)
	if st := wf.call("POST", "/v1/dossiers/"+code+"/ack", nil, nil); st != http.StatusOK {
		t.Errorf("ack: %d", st)
	}
	if st := wf.call("POST", "/v1/dossiers/"+code+"/ack", nil, nil); st != http.StatusOK {
		t.Errorf("second ack: %d, want 200", st)
	}
	if st := wf.call("GET", "/v1/dossiers?status=ready&after="+list.Next, nil, &list); st != http.StatusOK || len(list.Items) != 0 {
		t.Errorf("listing after pickup: %d %+v", st, list)
	}

	// Auditor: originals bit-exact, server-side verification, the trail.
	au := c.as("auditor")
	var origs struct {
		Originals []struct {
			SHA256      string     `json:"sha256"`
			Uploader    string     `json:"uploader"`
			RetainUntil *time.Time `json:"retain_until"`
			Current     bool       `json:"current"`
		} `json:"originals"`
	}
	if st := au.call("GET", "/v1/dossiers/"+code+"/originals", nil, &origs); st != http.StatusOK || len(origs.Originals) != 4 {
		t.Fatalf("originals: %d %+v", st, origs)
	}
	for _, o := range origs.Originals {
		b := au.get(t, "/v1/dossiers/"+code+"/originals/"+o.SHA256)
		if sha256hex(b) != o.SHA256 || o.Uploader != "operator:test-operator" || o.RetainUntil == nil {
			t.Errorf("original %s: got %s, uploader %q, retain %v", o.SHA256, sha256hex(b), o.Uploader, o.RetainUntil)
		}
	}
	var rep struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if st := au.call("POST", "/v1/dossiers/"+code+"/verify", nil, &rep); st != http.StatusOK || !rep.OK {
		t.Errorf("server-side verify: %d %+v", st, rep)
	}
	var trail struct {
		ChainOK bool `json:"chain_ok"`
		Records []struct {
			ID     int64  `json:"id"`
			Actor  string `json:"actor"`
			Action string `json:"action"`
			Hash   string `json:"hash"`
		} `json:"records"`
	}
	if st := au.call("GET", "/v1/dossiers/"+code+"/trail", nil, &trail); st != http.StatusOK || !trail.ChainOK {
		t.Fatalf("trail: %d chain_ok %v", st, trail.ChainOK)
	}
	actions := map[string]bool{}
	for _, r := range trail.Records {
		actions[r.Action] = true
	}
	for _, want := range []string{"download-pdf", "download-original", "verify", "list-originals"} {
		if !actions[want] {
			t.Errorf("trail has no %s record (actions %v)", want, actions)
		}
	}
	if st := au.call("POST", "/v1/dossiers", map[string]any{"procedure": "1.000894"}, nil); st != http.StatusForbidden {
		t.Errorf("auditor creating a dossier: %d, want 403", st)
	}

	// Metrics, for the admin's Prometheus.
	metrics := string(c.as("admin").get(t, "/metrics"))
	for _, want := range []string{`sohoa_http_requests_total{route="POST /v1/dossiers",code="201"} 1`,
		`sohoa_http_request_duration_seconds_bucket{route="GET /v1/dossiers/{code}"`,
		`sohoa_queue_tasks{queue="desk",state="pending"} 0`, `sohoa_pages{stage="ocr",status="processed"} 3`,
		`sohoa_dossiers{status="delivered"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if st := au.call("GET", "/metrics", nil, nil); st != http.StatusForbidden {
		t.Errorf("auditor reading /metrics: %d, want 403", st)
	}

	// A revoked token stops working at once.
	tokensCmd := func(args ...string) string {
		cmd := exec.Command(c.bin, append([]string{"tokens"}, args...)...)
		cmd.Env = c.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tokens %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tokensCmd("revoke", "--name", "test-workflow")
	if st := wf.call("GET", "/v1/dossiers?status=ready", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", st)
	}
	if list := tokensCmd("list"); !strings.Contains(list, "test-workflow") || !strings.Contains(list, "operator  ") {
		t.Errorf("tokens list:\n%s", list)
	}

	audit := func() (string, int) {
		cmd := exec.Command(c.bin, "audit", "verify")
		cmd.Env = c.env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, rc := audit(); rc != 0 {
		t.Fatalf("sohoa audit verify on an untouched trail: exit %d\n%s", rc, out)
	}
	// Someone with the database's keys rewrites who uploaded a page.
	victim := trail.Records[3]
	conn, err := pgx.Connect(context.Background(), envValue(c.env, "SOHOA_POSTGRES_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{"ALTER TABLE events DISABLE TRIGGER events_no_update_delete",
		fmt.Sprintf("UPDATE events SET actor = 'operator:someone-else' WHERE id = %d", victim.ID),
		"ALTER TABLE events ENABLE TRIGGER events_no_update_delete"} {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, rc := audit()
	if rc != 1 || !strings.Contains(out, fmt.Sprint(victim.ID)) {
		t.Errorf("sohoa audit verify after event %d was edited: exit %d, want 1 naming it\n%s", victim.ID, rc, out)
	}
	t.Logf("audit verify after the edit:\n%s", out)
}

func firstLine(pages []struct {
	Page int    `json:"page"`
	Text string `json:"text"`
}) string {
	if len(pages) < 1 {
		return ""
	}
	l, _, _ := strings.Cut(pages[0].Text, "\n")
	return l
}

func envValue(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}

// get fetches a binary response as this cluster's client.
func (c *cluster) get(t *testing.T, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", c.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// stream reads a server-sent-events stream of dossier events until it
// ends.
func (c *cluster) stream(path string) (<-chan apiDossier, error) {
	req, _ := http.NewRequest("GET", c.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("progress: %s, %s", resp.Status, ct)
	}
	out := make(chan apiDossier)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d apiDossier
				if json.Unmarshal([]byte(data), &d) == nil {
					out <- d
				}
			}
		}
	}()
	return out, nil
}
