package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/api"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
	"github.com/sohoa/sohoa/web"
)

const office = "000.00.01.H26"

// pages is the API and the pages in one test server, on a real catalog.
type pages struct {
	url    string
	cat    *catalog.Catalog
	tokens map[string]string
	code   string
}

func newPages(t *testing.T, cfg web.Config) *pages {
	t.Helper()
	ctx := context.Background()
	cat, err := catalog.Open(ctx, testenv.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	rd := testenv.StartRedis(t)
	q := queue.NewClient(asynq.RedisClientOpt{Addr: rd.Addr}, 0)
	t.Cleanup(func() { q.Close() })
	secret := make([]byte, 32)
	rand.Read(secret)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	st, err := local.Open(t.TempDir(), local.Options{Retention: storage.RetentionYears(1), UploadURL: base + api.UploadPath, URLSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	srv, err := api.New(api.Config{Store: st, Catalog: cat, Queue: q, URLSecret: secret, BaseURL: base, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg.API, cfg.Catalog, cfg.Store, cfg.Log = srv, cat, st, log
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	h.Mount(mux)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	p := &pages{url: base, cat: cat, tokens: map[string]string{}}
	for _, role := range []string{catalog.RoleOperator, catalog.RoleAuditor} {
		off := ""
		if role == catalog.RoleOperator {
			off = office
		}
		if p.tokens[role], err = cat.CreateToken(ctx, "test-"+role, role, off); err != nil {
			t.Fatal(err)
		}
	}
	d, err := cat.CreateDossier(ctx, catalog.Dossier{Code: office + "-260101-0001", Procedure: "1.000894", Office: office,
		CitizenID: "001085012345"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	p.code = d.Code
	return p
}

// login returns the session cookie and CSRF token.
func (p *pages) login(t *testing.T, role string) (*http.Cookie, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.url+"/web/login", bytes.NewReader([]byte(`{"token":"`+p.tokens[role]+`"}`)))
	req.Header.Set("Origin", p.url)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ CSRF string }
	json.NewDecoder(resp.Body).Decode(&s)
	for _, c := range resp.Cookies() {
		if c.Name == web.CookieName {
			return c, s.CSRF
		}
	}
	t.Fatalf("login as %s: %d, no session cookie", role, resp.StatusCode)
	return nil, ""
}

func (p *pages) get(t *testing.T, c *http.Cookie, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// A session ends when it expires, and works no longer than its token: the
// API, not the session, decides.
func TestSessionEnds(t *testing.T) {
	p := newPages(t, web.Config{SessionTTL: time.Second, Secure: true})
	c, _ := p.login(t, catalog.RoleOperator)
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v: want Secure (configured), HttpOnly, SameSite=Strict", c)
	}
	if st, _ := p.get(t, c, "/web/api/dossiers/"+p.code); st != http.StatusOK {
		t.Fatalf("own dossier: %d", st)
	}
	time.Sleep(1100 * time.Millisecond)
	if st, _ := p.get(t, c, "/web/api/dossiers/"+p.code); st != http.StatusUnauthorized {
		t.Errorf("after the session's TTL: %d, want 401", st)
	}
	c, _ = p.login(t, catalog.RoleOperator)
	if err := p.cat.RevokeToken(context.Background(), "test-operator"); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.get(t, c, "/web/api/dossiers/"+p.code); st != http.StatusUnauthorized {
		t.Errorf("session of a revoked token: %d, want 401", st)
	}
}

// The auditor's search: by code, by citizen ID among signed dossiers, by
// date; to auditors only.
func TestSearch(t *testing.T) {
	p := newPages(t, web.Config{})
	au, _ := p.login(t, catalog.RoleAuditor)
	op, _ := p.login(t, catalog.RoleOperator)
	items := func(c *http.Cookie, q string) (int, []string) {
		st, b := p.get(t, c, "/web/search?"+q)
		var r struct{ Items []struct{ Code string } }
		json.Unmarshal(b, &r)
		var codes []string
		for _, i := range r.Items {
			codes = append(codes, i.Code)
		}
		return st, codes
	}
	if st, codes := items(au, "code="+p.code); st != http.StatusOK || len(codes) != 1 || codes[0] != p.code {
		t.Errorf("by code: %d %v", st, codes)
	}
	if st, codes := items(au, "code="+p.code+"&to=2020-01-01"); st != http.StatusOK || len(codes) != 0 {
		t.Errorf("by code, created after the range: %d %v", st, codes)
	}
	if st, codes := items(au, "code="+office+"-260101-0999"); st != http.StatusOK || len(codes) != 0 {
		t.Errorf("unknown code: %d %v", st, codes)
	}
	// Found by the citizen whatever its status (it is not signed yet),
	// and within a date range that holds its creation only.
	if st, codes := items(au, "citizen_id=001085012345"); st != http.StatusOK || len(codes) != 1 || codes[0] != p.code {
		t.Errorf("by citizen ID before signing: %d %v", st, codes)
	}
	if st, codes := items(au, "citizen_id=079162000777"); st != http.StatusOK || len(codes) != 0 {
		t.Errorf("by another citizen's ID: %d %v", st, codes)
	}
	if st, codes := items(au, "citizen_id=001085012345&to=2020-01-01"); st != http.StatusOK || len(codes) != 0 {
		t.Errorf("by citizen ID, created after the range: %d %v", st, codes)
	}
	if st, _ := items(au, "citizen_id=12345"); st != http.StatusUnprocessableEntity {
		t.Errorf("bad citizen ID: %d, want 422", st)
	}
	if st, _ := items(au, "from=yesterday"); st != http.StatusBadRequest {
		t.Errorf("bad date: %d, want 400", st)
	}
	if st, _ := items(op, "code="+p.code); st != http.StatusForbidden {
		t.Errorf("operator searching: %d, want 403", st)
	}
}
