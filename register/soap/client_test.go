package soap_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/registertest"
	"github.com/sohoa/sohoa/register/soap"
	"github.com/sohoa/sohoa/register/soap/soaptest"
)

// clock is a settable clock for the breaker's cool-down and the cache's
// TTL. It starts at the real time, so the API key's timestamps stay
// within the server's window.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// client returns a client of srv with its client certificate, an API key,
// short timeouts and backoff, and no cache; change adjusts the config.
func client(t *testing.T, srv *soaptest.Server, change func(*soap.Config)) *soap.Client {
	t.Helper()
	tlsCfg, err := soap.LoadTLS(srv.CertFile, srv.KeyFile, srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := soap.Config{URL: srv.URL, TLS: tlsCfg, Auth: soap.APIKey{Key: soaptest.APIKey, Secret: soaptest.APISecret},
		Timeout: 2 * time.Second, Backoff: 5 * time.Millisecond, CacheTTL: -1}
	if change != nil {
		change(&cfg)
	}
	c, err := soap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	registertest.Run(t, func(t *testing.T, cs []register.Citizen) register.Register {
		// With the cache on, as deployed: a cached record must answer as
		// the register would.
		return client(t, soaptest.New(t, cs), func(c *soap.Config) { c.CacheTTL = 0 })
	})
}

var (
	an = registertest.Seed()[0]
	// askAn is a lookup of an by number, name and date, as a desk makes it.
	askAn = func() register.Request {
		r := registertest.Ask(an.ID)
		r.Name, r.Birth = "Nguyễn Văn An", an.Birth
		return r
	}
)

// TestWire: what reaches the register is the contract's request: every
// who-and-why field, the name folded, the date as yyyyMMdd, the
// credentials of either kind and the SOAPAction.
func TestWire(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	for _, tt := range []struct {
		auth soap.Auth
		kind string
	}{
		{soap.APIKey{Key: soaptest.APIKey, Secret: soaptest.APISecret}, "apikey"},
		{soap.StaticToken(soaptest.Token), "token"},
	} {
		c := client(t, srv, func(c *soap.Config) { c.Auth = tt.auth })
		req := askAn()
		req.RequestID = "wire-" + tt.kind
		got, err := c.Lookup(context.Background(), req)
		if err != nil || got == nil || got.ID != an.ID {
			t.Fatalf("%s: Lookup = %v, %v", tt.kind, got, err)
		}
		calls := srv.Calls()
		call := calls[len(calls)-1]
		want := soaptest.Call{Op: "TraCuuThongTinCongDan", Auth: tt.kind, RequestID: req.RequestID, Procedure: req.Procedure,
			Service: req.Service, Agency: req.Agency, Officer: req.Officer, ID: an.ID, Name: "NGUYENVANAN", Birth: "19850312",
			SOAPAction: `"urn:sohoa:register:v1/TraCuuThongTinCongDan"`}
		if call != want {
			t.Errorf("%s: the server saw\n%+v\nwant\n%+v", tt.kind, call, want)
		}
	}
	if soap.DefaultNamespace != soaptest.Namespace {
		t.Errorf("client namespace %s, server %s", soap.DefaultNamespace, soaptest.Namespace)
	}
}

// TestRefusedRequest: a request the register refuses as malformed (here,
// one in a namespace it does not serve) is ErrBadRequest with the
// register's code, not retried.
func TestRefusedRequest(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	c := client(t, srv, func(c *soap.Config) { c.Namespace = "urn:another:platform" })
	_, err := c.Lookup(context.Background(), askAn())
	if !errors.Is(err, register.ErrBadRequest) || !strings.Contains(err.Error(), "YEU_CAU_KHONG_HOP_LE") {
		t.Errorf("err = %v, want ErrBadRequest with the register's code", err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestBadCredentials: a wrong secret or token is "not permitted", at once.
func TestBadCredentials(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	for _, auth := range []soap.Auth{
		soap.APIKey{Key: soaptest.APIKey, Secret: "wrong"},
		soap.APIKey{Key: "other-key", Secret: soaptest.APISecret},
		soap.StaticToken("wrong"),
	} {
		before := srv.Requests()
		_, err := client(t, srv, func(c *soap.Config) { c.Auth = auth }).Lookup(context.Background(), askAn())
		if !errors.Is(err, register.ErrNotPermitted) {
			t.Errorf("%T: err = %v, want ErrNotPermitted", auth, err)
		}
		if n := srv.Requests() - before; n != 1 {
			t.Errorf("%T: %d requests, want 1 (refused credentials are not retried)", auth, n)
		}
	}
	// A timestamp far from the server's clock is refused too.
	old := newClock()
	old.Advance(-time.Hour)
	_, err := client(t, srv, func(c *soap.Config) { c.Now = old.Now }).Lookup(context.Background(), askAn())
	if !errors.Is(err, register.ErrNotPermitted) {
		t.Errorf("an hour-old timestamp: err = %v, want ErrNotPermitted", err)
	}
}

// TestTimeout: a server slower than the per-request timeout is given up
// on, tried the configured number of times, then ErrUnavailable.
func TestTimeout(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	srv.Delay(5 * time.Second)
	c := client(t, srv, func(c *soap.Config) { c.Timeout = 100 * time.Millisecond })
	_, err := c.Lookup(context.Background(), askAn())
	if !errors.Is(err, register.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrUnavailable from a timeout", err)
	}
	if n := srv.Requests(); n != 3 {
		t.Errorf("%d requests, want 3 (timeouts are retried)", n)
	}
}

// TestCallerGivesUp: the caller's own deadline ends the call, and does not
// count against the platform's breaker.
func TestCallerGivesUp(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	srv.Delay(5 * time.Second)
	c := client(t, srv, func(c *soap.Config) { c.FailureThreshold = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lookup(ctx, askAn()); !errors.Is(err, register.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrUnavailable from the caller's deadline", err)
	}
	srv.Delay(0)
	if got, err := c.Lookup(context.Background(), askAn()); err != nil || got == nil {
		t.Errorf("after the caller gave up: %v, %v; the breaker should still be closed", got, err)
	}
}

// Test5xx: 5xx answers are retried with backoff; a run of them longer
// than the attempts is ErrUnavailable.
func Test5xx(t *testing.T) {
	for _, tt := range []struct {
		fails, code int
		ok          bool
	}{
		{2, http.StatusServiceUnavailable, true},
		{2, http.StatusBadGateway, true},
		{2, http.StatusInternalServerError, true}, // a SOAP Server fault
		{3, http.StatusGatewayTimeout, false},
		{3, http.StatusInternalServerError, false},
	} {
		srv := soaptest.New(t, registertest.Seed())
		srv.Fail(tt.fails, tt.code)
		got, err := client(t, srv, nil).Lookup(context.Background(), askAn())
		if tt.ok && (err != nil || got == nil || got.ID != an.ID) {
			t.Errorf("%d × %d then an answer: %v, %v", tt.fails, tt.code, got, err)
		}
		if !tt.ok && !errors.Is(err, register.ErrUnavailable) {
			t.Errorf("%d × %d: err = %v, want ErrUnavailable", tt.fails, tt.code, err)
		}
		if n := srv.Requests(); n != 3 {
			t.Errorf("%d × %d: %d requests, want 3", tt.fails, tt.code, n)
		}
	}
}

// TestMalformed: an answer cut off mid-XML is ErrUnavailable, not a
// citizen and not "not found", and is not retried.
func TestMalformed(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	srv.Malform(1)
	got, err := client(t, srv, nil).Lookup(context.Background(), askAn())
	if got != nil || !errors.Is(err, register.ErrUnavailable) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Lookup = %v, %v; want ErrUnavailable for a malformed answer", got, err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	srv.Malform(1)
	req := askAn()
	if _, err := client(t, srv, nil).Verify(context.Background(), req); !errors.Is(err, register.ErrUnavailable) {
		t.Errorf("Verify on a malformed answer: err = %v, want ErrUnavailable", err)
	}
}

// TestNotFound: the empty record is (nil, nil), and verify says false.
func TestNotFound(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	c := client(t, srv, func(c *soap.Config) { c.CacheTTL = 0 })
	req := registertest.Ask(registertest.Unknown)
	for range 2 {
		if got, err := c.Lookup(context.Background(), req); got != nil || err != nil {
			t.Errorf("Lookup(unknown) = %v, %v; want nil, nil", got, err)
		}
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("%d requests for two lookups of an unknown number, want 2: not found is not cached", n)
	}
	req.Name, req.Birth = "Nguyễn Văn An", an.Birth
	if ok, err := c.Verify(context.Background(), req); ok || err != nil {
		t.Errorf("Verify(unknown) = %v, %v; want false", ok, err)
	}
}

// TestNotPermitted: a refused officer gets ErrNotPermitted at once; the
// refusals are answers, so they do not open the breaker.
func TestNotPermitted(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	srv.Deny("canbo.moi")
	c := client(t, srv, func(c *soap.Config) { c.FailureThreshold = 2 })
	req := askAn()
	req.Officer = "canbo.moi"
	for range 3 {
		_, err := c.Lookup(context.Background(), req)
		if !errors.Is(err, register.ErrNotPermitted) || !strings.Contains(err.Error(), "KHONG_CO_QUYEN") {
			t.Errorf("err = %v, want ErrNotPermitted with the register's code", err)
		}
	}
	if n := srv.Requests(); n != 3 {
		t.Errorf("%d requests, want 3 (no retries)", n)
	}
	if got, err := c.Lookup(context.Background(), askAn()); err != nil || got == nil {
		t.Errorf("a permitted officer after refusals: %v, %v", got, err)
	}
}

// TestCircuit: consecutive failures open the circuit, which then fails
// calls without a request; after the cool-down one request probes,
// failing keeps it open, succeeding closes it.
func TestCircuit(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	clk := newClock()
	c := client(t, srv, func(c *soap.Config) {
		c.Attempts, c.FailureThreshold, c.Cooldown, c.Now = 1, 3, 30*time.Second, clk.Now
	})
	lookup := func() error { _, err := c.Lookup(context.Background(), askAn()); return err }
	expect := func(step string, wantRequests int, wantOpen bool, err error) {
		t.Helper()
		if !errors.Is(err, register.ErrUnavailable) {
			t.Fatalf("%s: err = %v, want ErrUnavailable", step, err)
		}
		if open := strings.Contains(err.Error(), "circuit open"); open != wantOpen {
			t.Errorf("%s: err = %v; circuit open %v, want %v", step, err, open, wantOpen)
		}
		if n := srv.Requests(); n != wantRequests {
			t.Errorf("%s: %d requests, want %d", step, n, wantRequests)
		}
	}
	srv.Fail(1000, http.StatusServiceUnavailable)
	for i := range 3 {
		expect("failure", i+1, false, lookup())
	}
	expect("open", 3, true, lookup())
	clk.Advance(29 * time.Second)
	expect("still open", 3, true, lookup())
	clk.Advance(2 * time.Second)
	expect("half-open probe fails", 4, false, lookup())
	expect("open again", 4, true, lookup())
	srv.Fail(0, 0)
	clk.Advance(31 * time.Second)
	if err := lookup(); err != nil {
		t.Fatalf("half-open probe against a healed server: %v", err)
	}
	for i := range 3 {
		if err := lookup(); err != nil {
			t.Fatalf("closed again, lookup %d: %v", i, err)
		}
	}
	if n := srv.Requests(); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
	// One success resets the count: two failures do not open it.
	srv.Fail(2, http.StatusBadGateway)
	lookup()
	lookup()
	if err := lookup(); err != nil {
		t.Errorf("after two failures and a success: %v", err)
	}
}

// TestMutualTLS: without a client certificate, or with one from a CA the
// platform does not trust, no request is served; a client that does not
// trust the platform's certificate sends none.
func TestMutualTLS(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	for _, tt := range []struct {
		name          string
		cert, key, ca string
		wantInMessage string
	}{
		{"no client certificate", "", "", srv.CAFile, "certificate"},
		{"client certificate from another CA", srv.StrangerCertFile, srv.StrangerKeyFile, srv.CAFile, "certificate"},
		{"server not trusted", srv.CertFile, srv.KeyFile, "", "certificate"},
	} {
		tlsCfg, err := soap.LoadTLS(tt.cert, tt.key, tt.ca)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client(t, srv, func(c *soap.Config) { c.TLS = tlsCfg }).Lookup(context.Background(), askAn())
		if !errors.Is(err, register.ErrUnavailable) || !strings.Contains(err.Error(), tt.wantInMessage) {
			t.Errorf("%s: err = %v, want ErrUnavailable naming the certificate", tt.name, err)
		}
	}
	if calls := srv.Calls(); len(calls) != 0 {
		t.Errorf("the server answered %d calls without mutual TLS", len(calls))
	}
	if _, err := soap.LoadTLS(srv.CertFile, "", srv.CAFile); err == nil {
		t.Error("LoadTLS with a certificate and no key: no error")
	}
}

// TestCache: a citizen found is answered from the cache, by either
// number, until the TTL passes; a request that does not match the cached
// record is not found, as the register would say.
func TestCache(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	clk := newClock()
	c := client(t, srv, func(c *soap.Config) { c.CacheTTL, c.Now = time.Minute, clk.Now })
	lookup := func(req register.Request) *register.Citizen {
		t.Helper()
		got, err := c.Lookup(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := lookup(askAn()); got == nil {
		t.Fatal("not found")
	}
	got := lookup(registertest.Ask(an.ID))
	if got == nil || got.Name != an.Name {
		t.Errorf("cached lookup: %+v", got)
	}
	got.Name.Given = "changed by the caller"
	byLegacy := registertest.Ask("")
	byLegacy.LegacyID = an.LegacyID
	if got := lookup(byLegacy); got == nil || got.Name != an.Name {
		t.Errorf("cached lookup by legacy number: %+v (a caller's change must not reach the cache)", got)
	}
	wrong := askAn()
	wrong.Name = "Nguyễn Văn Anh"
	if got := lookup(wrong); got != nil {
		t.Errorf("cached record, wrong name: %+v, want nil", got)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests for four lookups of one citizen within the TTL, want 1", n)
	}
	clk.Advance(time.Minute)
	lookup(askAn())
	if n := srv.Requests(); n != 2 {
		t.Errorf("%d requests after the TTL, want 2", n)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg  soap.Config
		want string
	}{
		{soap.Config{URL: "http://register.example/ws", Auth: soap.StaticToken("t")}, "https"},
		{soap.Config{URL: "https://", Auth: soap.StaticToken("t")}, "https"},
		{soap.Config{URL: "https://register.example/ws"}, "Auth"},
	} {
		if _, err := soap.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}
