package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
)

func openCatalog(t *testing.T, dsn string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// finish walks a new dossier to Signed, or to Failed.
func finish(t *testing.T, c *catalog.Catalog, code string, to catalog.Status) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateDossier(ctx, catalog.Dossier{Code: code, Procedure: "1.001234", Office: "UBND phường Bắc Ninh"}, "test"); err != nil {
		t.Fatal(err)
	}
	path := []catalog.Status{catalog.Created, catalog.Uploading, catalog.Submitted, catalog.Processing}
	if to == catalog.Signed {
		path = append(path, catalog.Assembled)
	}
	for i := 1; i < len(path); i++ {
		if path[i] == catalog.Submitted { // only a dossier with pages is submitted
			if _, err := c.AddPage(ctx, code, catalog.Page{Position: 1, OriginalKey: "orig/" + code, SHA256: sha(code), Size: 1}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Move(ctx, code, path[i-1], path[i], "test", nil); err != nil {
			t.Fatal(err)
		}
	}
	err := c.MoveWith(ctx, code, catalog.DossierMove{From: path[len(path)-1], To: to, PDFSHA256: sha(code)}, "test")
	if err != nil {
		t.Fatal(err)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// receiver is a workflow system's webhook endpoint. It verifies every
// request and answers 503 to those fail says to fail.
type receiver struct {
	t    *testing.T
	fail func(call int, eventID int64) bool

	mu     sync.Mutex
	calls  int
	ok     map[int64]int // 2xx answers by event id
	events map[int64]catalog.OutboxEvent
}

func newReceiver(t *testing.T, fail func(call int, eventID int64) bool) *receiver {
	return &receiver{t: t, fail: fail, ok: map[int64]int{}, events: map[int64]catalog.OutboxEvent{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: read body: %v", err)
		return
	}
	if err := Verify(testSecret, r.Header, body, time.Minute, time.Now()); err != nil {
		rc.t.Errorf("receiver: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e catalog.OutboxEvent
	if err := json.Unmarshal(body, &e); err != nil {
		rc.t.Errorf("receiver: body %s: %v", body, err)
	}
	if id := r.Header.Get(HeaderEventID); id != strconv.FormatInt(e.ID, 10) {
		rc.t.Errorf("receiver: %s %q, body id %d", HeaderEventID, id, e.ID)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.fail != nil && rc.fail(rc.calls, e.ID) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	rc.ok[e.ID]++
	rc.events[e.ID] = e
	w.WriteHeader(http.StatusNoContent)
}

// counts returns the calls so far, the 2xx answers, and the events
// answered 2xx more than once.
func (rc *receiver) counts() (calls, ok int, twice []int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, n := range rc.ok {
		ok += n
		if n > 1 {
			twice = append(twice, id)
		}
	}
	return rc.calls, ok, twice
}

// run runs d until the test ends, logging to the test's output unless d
// has a log.
func run(t *testing.T, d *Dispatcher) {
	t.Helper()
	d.Secret = testSecret
	d.Every = 10 * time.Millisecond
	d.RetryDelay = 20 * time.Millisecond
	d.MaxRetryDelay = 200 * time.Millisecond
	d.Timeout = 2 * time.Second
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// waitDelivered waits until the catalog has n deliveries, all delivered.
func waitDelivered(t *testing.T, c *catalog.Catalog, n int) []catalog.Delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := c.Deliveries(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, d := range ds {
			if !d.DeliveredAt.IsZero() {
				done++
			}
		}
		if len(ds) == n && done == n {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries made, %d delivered, after 30 s: %+v", len(ds), n, done, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle lets dispatchers run some more rounds, in which nothing more
// should be sent.
func settle() { time.Sleep(300 * time.Millisecond) }

func TestDeliveredOnceAfterReceiverRecovers(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	c := openCatalog(t, dsn)
	rc := newReceiver(t, func(call int, _ int64) bool { return call <= 3 })
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	run(t, &Dispatcher{Catalog: c, URLs: []string{srv.URL + "/hook"}})

	finish(t, c, "HS-WEBHOOK-1", catalog.Signed)
	ds := waitDelivered(t, c, 1)
	settle()
	calls, ok, _ := rc.counts()
	if calls != 4 || ok != 1 {
		t.Fatalf("receiver had %d calls, %d answered 2xx; want 4 and 1", calls, ok)
	}
	d := ds[0]
	if d.Attempts != 4 || !strings.Contains(d.LastError, "503") {
		t.Errorf("delivery = %+v, want 4 attempts, the last failure a 503", d)
	}
	e := rc.events[d.OutboxID]
	if e.Type != catalog.OutboxReady || e.Dossier != "HS-WEBHOOK-1" || e.Status != catalog.Signed ||
		e.PDFSHA256 != sha("HS-WEBHOOK-1") || e.At.IsZero() {
		t.Errorf("received event = %+v", e)
	}
}

func TestDeliveredOnceReceiverNotListeningAtFirst(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	c := openCatalog(t, dsn)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	run(t, &Dispatcher{Catalog: c, URLs: []string{"http://" + addr + "/hook"}})

	finish(t, c, "HS-WEBHOOK-2", catalog.Failed)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := c.Deliveries(context.Background(), "HS-WEBHOOK-2")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Attempts >= 3 {
			if !strings.Contains(ds[0].LastError, "refused") || !ds[0].DeliveredAt.IsZero() {
				t.Fatalf("delivery to nobody = %+v", ds[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempts after 30 s: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
	}

	rc := newReceiver(t, nil)
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ds := waitDelivered(t, c, 1)
	settle()
	if calls, ok, _ := rc.counts(); calls != 1 || ok != 1 {
		t.Fatalf("receiver had %d calls, %d answered 2xx; want 1 and 1", calls, ok)
	}
	if e := rc.events[ds[0].OutboxID]; e.Type != catalog.OutboxFailed || e.Status != catalog.Failed || e.PDFSHA256 != "" {
		t.Errorf("received event = %+v", e)
	}
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	c := openCatalog(t, dsn)
	rc := newReceiver(t, func(int, int64) bool { return true })
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	run(t, &Dispatcher{Catalog: c, URLs: []string{srv.URL + "/hook"}, MaxAttempts: 2})

	finish(t, c, "HS-WEBHOOK-3", catalog.Signed)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := c.Deliveries(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && !ds[0].DeadAt.IsZero() {
			if ds[0].Attempts != 2 || !ds[0].DeliveredAt.IsZero() || !strings.Contains(ds[0].LastError, "down for maintenance") {
				t.Fatalf("given-up delivery = %+v", ds[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not given up after 30 s: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
	settle()
	if calls, ok, _ := rc.counts(); calls != 2 || ok != 0 {
		t.Fatalf("receiver had %d calls, %d answered 2xx; want 2 and 0", calls, ok)
	}
}

// Two dispatchers, as in two sohoa serve processes, each with its own
// connections, against one catalog and two receivers that fail each
// event's first call: every event reaches every receiver exactly once.
func TestTwoDispatchersTwoReceivers(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	c := openCatalog(t, dsn)
	firstFails := func() func(int, int64) bool {
		seen := map[int64]bool{} // called under the receiver's lock
		return func(_ int, id int64) bool {
			first := !seen[id]
			seen[id] = true
			return first
		}
	}
	rcs := []*receiver{newReceiver(t, firstFails()), newReceiver(t, firstFails())}
	var urls []string
	for _, rc := range rcs {
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/hook")
	}
	for range 2 {
		run(t, &Dispatcher{Catalog: openCatalog(t, dsn), URLs: urls})
	}

	const signed, failed = 20, 10
	want := map[string]catalog.Status{}
	var wg sync.WaitGroup
	for i := range signed + failed {
		code, to := fmt.Sprintf("HS-WEBHOOK-%03d", i), catalog.Signed
		if i >= signed {
			to = catalog.Failed
		}
		want[code] = to
		wg.Go(func() { finish(t, c, code, to) })
	}
	wg.Wait()
	waitDelivered(t, c, len(want)*len(urls))
	settle()
	for i, rc := range rcs {
		calls, ok, twice := rc.counts()
		if ok != len(want) || len(rc.ok) != len(want) || len(twice) > 0 || calls != 2*len(want) {
			t.Errorf("receiver %d: %d calls, %d answered 2xx, for %d events (%d sent twice: %v); want %d, %d, %d, none",
				i, calls, ok, len(rc.ok), len(twice), twice, 2*len(want), len(want), len(want))
		}
		got := map[string]catalog.Status{}
		for _, e := range rc.events {
			got[e.Dossier] = e.Status
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("receiver %d got %v, want %v", i, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	c := &catalog.Catalog{}
	ok := func() Dispatcher {
		return Dispatcher{Catalog: c, URLs: []string{"https://workflow.example/hook"}, Secret: testSecret}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Dispatcher)
		field string
	}{
		{"valid", func(*Dispatcher) {}, ""},
		{"no catalog", func(d *Dispatcher) { d.Catalog = nil }, "Catalog"},
		{"no URLs", func(d *Dispatcher) { d.URLs = nil }, "URLs"},
		{"not http", func(d *Dispatcher) { d.URLs = []string{"ftp://x/hook"} }, "URLs"},
		{"no host", func(d *Dispatcher) { d.URLs = []string{"http:///hook"} }, "URLs"},
		{"twice", func(d *Dispatcher) { d.URLs = append(d.URLs, d.URLs[0]) }, "URLs"},
		{"short secret", func(d *Dispatcher) { d.Secret = []byte("secret") }, "Secret"},
		{"negative cap", func(d *Dispatcher) { d.MaxAttempts = -1 }, "MaxAttempts"},
	} {
		d := ok()
		tc.edit(&d)
		err := d.Check()
		if (tc.field == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.field)) {
			t.Errorf("%s: Check = %v, want an error naming %q", tc.name, err, tc.field)
		}
		if tc.field != "" {
			if err := d.Run(context.Background()); err == nil || errors.Is(err, context.Canceled) {
				t.Errorf("%s: Run = %v, want the Check error", tc.name, err)
			}
		}
	}
}

// TestCredentialsNotPrinted: a receiver URL's password and query token
// appear neither in the log nor in the error the catalog keeps, however
// the HTTP client quotes the URL, nor in Check's complaints.
func TestCredentialsNotPrinted(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	c := openCatalog(t, dsn)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens: every attempt fails
	const password, token = "hookpass-s3cr3t", "hooktoken-s3cr3t"
	var log syncBuffer
	run(t, &Dispatcher{Catalog: c, URLs: []string{"http://workflow:" + password + "@" + addr + "/hook?token=" + token},
		Log: slog.New(slog.NewTextHandler(&log, nil))})

	finish(t, c, "HS-WEBHOOK-4", catalog.Failed)
	deadline := time.Now().Add(30 * time.Second)
	var ds []catalog.Delivery
	for len(ds) != 1 || ds[0].Attempts < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempts after 30 s: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
		if ds, err = c.Deliveries(context.Background(), "HS-WEBHOOK-4"); err != nil {
			t.Fatal(err)
		}
	}
	for what, text := range map[string]string{"last error": ds[0].LastError, "log": log.String()} {
		if strings.Contains(text, password) || strings.Contains(text, token) {
			t.Errorf("%s holds a credential:\n%s", what, text)
		}
		if !strings.Contains(text, addr) {
			t.Errorf("%s does not name the receiver %s:\n%s", what, addr, text)
		}
	}

	bad := Dispatcher{Catalog: c, Secret: testSecret, URLs: []string{"ftp://workflow:" + password + "@x/hook?token=" + token}}
	if err := bad.Check(); err == nil || strings.Contains(err.Error(), password) || strings.Contains(err.Error(), token) {
		t.Errorf("Check = %v, want an error without the credentials", err)
	}
	twice := "https://workflow:" + password + "@x/hook?token=" + token
	bad.URLs = []string{twice, twice}
	if err := bad.Check(); err == nil || strings.Contains(err.Error(), password) || strings.Contains(err.Error(), token) {
		t.Errorf("Check = %v, want an error without the credentials", err)
	}
}

// syncBuffer is a log the dispatcher's goroutines write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
