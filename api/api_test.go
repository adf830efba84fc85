package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sohoa/sohoa/api"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
)

// The offices the test tokens work for: office's operator owns env.code;
// otherOffice's may not touch it.
const (
	office      = "UBND-XA-01"
	otherOffice = "UBND-XA-02"
)

// env is an API server on the real catalog, local store and queue, with a
// token for each role and one dossier of office's.
type env struct {
	api    *api.Server
	url    string
	cat    *catalog.Catalog
	st     storage.Store
	dsn    string            // the test's database
	tokens map[string]string // by role; operator works for office
	other  string            // an operator of otherOffice
	code   string            // a dossier of office, just created
	doc    map[string]map[string]bool
	routes *http.ServeMux // the route table's patterns, to tell which route a request reached
}

func newEnv(t testing.TB) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with the server's configuration changed by edit.
func newEnvWith(t testing.TB, edit func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.PostgresDB(t)
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	rd := testenv.StartRedis(t)
	q := queue.NewClient(asynq.RedisClientOpt{Addr: rd.Addr}, 0)
	t.Cleanup(func() { q.Close() })

	secret := make([]byte, 32)
	rand.Read(secret)
	// Listen first: upload URLs are addressed from the server's base URL,
	// which the store and New need before the server runs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	st, err := local.Open(t.TempDir(), local.Options{Retention: storage.RetentionYears(1),
		UploadURL: base + api.UploadPath, URLSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: st, Catalog: cat, Queue: q, URLSecret: secret, BaseURL: base,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)

	e := &env{api: srv, url: base, cat: cat, st: st, dsn: dsn, tokens: map[string]string{}, doc: documentedStatuses(t), routes: http.NewServeMux()}
	for _, rt := range srv.Routes() {
		e.routes.Handle(rt.Method+" "+rt.Path, http.NotFoundHandler())
	}
	for _, role := range []string{catalog.RoleOperator, catalog.RoleWorkflow, catalog.RoleAuditor, catalog.RoleAdmin} {
		off := ""
		if role == catalog.RoleOperator {
			off = office
		}
		if e.tokens[role], err = cat.CreateToken(ctx, "test-"+role, role, off); err != nil {
			t.Fatal(err)
		}
	}
	if e.other, err = cat.CreateToken(ctx, "test-other-operator", catalog.RoleOperator, otherOffice); err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDossier(ctx, catalog.Dossier{Code: office + "-250101-0001", Procedure: "1.000894", Office: office}, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.code = d.Code
	return e
}

// result is an answer, its body read.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. body is nil (none), []byte (sent as it is, under
// contentType) or a value sent as JSON. A text/event-stream answer is cut
// off after its header: it runs until the dossier is finished. Every
// answer's status must be one the OpenAPI document lists for its route.
func (e *env) do(t testing.TB, method, path, token string, body any, contentType string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.url + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode, header: resp.Header}
	if _, pattern := e.routes.Handler(req); pattern != "" {
		method, route, _ := strings.Cut(pattern, " ")
		e.wantDocumented(t, method, route, res.status)
	}
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return res
	}
	if res.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return res
}

// wantProblem checks that res is an RFC 9457 problem with status whose
// detail contains detail.
func wantProblem(t *testing.T, res result, status int, detail string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	var p struct {
		Type, Title, Detail string
		Status              int
	}
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatalf("problem body %q: %v", res.body, err)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Type == "" || p.Detail == "" {
		t.Errorf("problem %+v: want status %d, its title, a type and a detail", p, status)
	}
	if !strings.Contains(p.Detail, detail) {
		t.Errorf("detail %q does not say %q", p.Detail, detail)
	}
}

// documentedStatuses reads the status codes the OpenAPI document gives
// each operation, by "METHOD /path" in the route table's spelling.
func documentedStatuses(t testing.TB) map[string]map[string]bool {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	out := map[string]map[string]bool{}
	for p, item := range doc.Paths {
		for m, op := range item {
			codes := map[string]bool{}
			for c := range op.Responses {
				codes[c] = true
			}
			out[strings.ToUpper(m)+" "+p] = codes
		}
	}
	return out
}

// wantDocumented checks that the OpenAPI document lists the status the
// route answered with.
func (e *env) wantDocumented(t testing.TB, method, route string, status int) {
	t.Helper()
	key := method + " " + strings.ReplaceAll(route, "...}", "}")
	codes, ok := e.doc[key]
	if !ok {
		t.Errorf("%s is not in openapi.json", key)
		return
	}
	if !codes[strconv.Itoa(status)] && !codes["default"] {
		t.Errorf("%s answered %d, which openapi.json does not list", key, status)
	}
}

// scanPNG returns a small grey page that the scan probe accepts.
func scanPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 120, 160))
	for i := range img.Pix {
		img.Pix[i] = 0xf0
	}
	for x := 10; x < 110; x++ {
		img.SetGray(x, 40, color.Gray{})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestStationFlow walks a station through one dossier: create, ask for an
// upload URL, PUT the page to it with no token, confirm, submit; then the
// auditor reads the original back and the trail holds.
func TestStationFlow(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]

	res := e.do(t, "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "receipt_no": "BN-7"}, "")
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var d struct {
		Code, Status, Office string
		Pages                []struct{ Position int }
	}
	if err := json.Unmarshal(res.body, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Code, office+"-") || d.Status != "created" || d.Office != office {
		t.Fatalf("created %+v: want a created dossier of %s", d, office)
	}
	if loc := res.header.Get("Location"); loc != "/v1/dossiers/"+d.Code {
		t.Errorf("Location %q", loc)
	}

	page := scanPNG(t)
	sum := sha(page)
	ask := map[string]any{"sha256": sum, "size": len(page), "content_type": "image/png"}
	res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/uploads", op, ask, "")
	if res.status != http.StatusOK {
		t.Fatalf("request upload: %d %s", res.status, res.body)
	}
	var up struct {
		Key    string
		Exists bool
		Upload *storage.Presigned
	}
	if err := json.Unmarshal(res.body, &up); err != nil {
		t.Fatal(err)
	}
	if up.Exists || up.Upload == nil || up.Upload.Method != "PUT" || !strings.HasPrefix(up.Upload.URL, e.url+"/v1/uploads/"+d.Code+"/"+sum) {
		t.Fatalf("upload answer %s", res.body)
	}

	// A URL whose signed size was changed is refused, as is one whose
	// bytes are not the ones declared.
	forged := strings.Replace(up.Upload.URL, "size="+strconv.Itoa(len(page)), "size="+strconv.Itoa(len(page)+1), 1)
	wantProblem(t, e.do(t, "PUT", forged, "", append(page, 0), "image/png"), http.StatusForbidden, "signature")
	wrong := bytes.Clone(page)
	wrong[len(wrong)-1] ^= 1
	wantProblem(t, e.do(t, "PUT", up.Upload.URL, "", wrong, "image/png"), http.StatusUnprocessableEntity, "SHA-256")
	wantProblem(t, e.do(t, "PUT", up.Upload.URL, "", page, "image/jpeg"), http.StatusUnsupportedMediaType, "content type")

	for _, want := range []int{http.StatusCreated, http.StatusCreated} { // a resumed station may send it again
		res = e.do(t, "PUT", up.Upload.URL, "", page, up.Upload.Header.Get("Content-Type"))
		if res.status != want {
			t.Fatalf("PUT page: %d %s, want %d", res.status, res.body, want)
		}
	}
	res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/uploads", op, ask, "")
	if res.status != http.StatusOK || !bytes.Contains(res.body, []byte(`"exists":true`)) {
		t.Fatalf("request upload of held bytes: %d %s", res.status, res.body)
	}

	for range 2 { // confirming again after a lost answer is not an error
		res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/pages", op, map[string]any{"position": 1, "sha256": sum}, "")
		if res.status != http.StatusOK {
			t.Fatalf("confirm page: %d %s", res.status, res.body)
		}
	}
	json.Unmarshal(res.body, &d)
	if d.Status != "uploading" || len(d.Pages) != 1 {
		t.Fatalf("after confirm: %s", res.body)
	}

	res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/submit", op, nil, "")
	if res.status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", res.status, res.body)
	}
	res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/submit", op, nil, "")
	if res.status != http.StatusOK {
		t.Fatalf("submit again: %d %s", res.status, res.body)
	}
	wantProblem(t, e.do(t, "POST", "/v1/dossiers/"+d.Code+"/pages", op, map[string]any{"position": 2, "sha256": sum}, ""),
		http.StatusConflict, "submitted")
	wantProblem(t, e.do(t, "GET", "/v1/dossiers/"+d.Code+"/pdf", e.tokens[catalog.RoleWorkflow], nil, ""),
		http.StatusConflict, "not signed")

	au := e.tokens[catalog.RoleAuditor]
	res = e.do(t, "GET", "/v1/dossiers/"+d.Code+"/originals/"+sum, au, nil, "")
	if res.status != http.StatusOK || !bytes.Equal(res.body, page) || res.header.Get("X-Content-SHA256") != sum {
		t.Fatalf("original: %d, %d bytes, X-Content-SHA256 %q", res.status, len(res.body), res.header.Get("X-Content-SHA256"))
	}
	res = e.do(t, "GET", "/v1/dossiers/"+d.Code+"/trail", au, nil, "")
	var tr struct {
		ChainOK bool `json:"chain_ok"`
		Records []struct{ Actor, Action string }
	}
	if err := json.Unmarshal(res.body, &tr); err != nil || res.status != http.StatusOK {
		t.Fatalf("trail: %d %s", res.status, res.body)
	}
	if !tr.ChainOK || len(tr.Records) < 4 {
		t.Errorf("trail: chain ok %v, %d records", tr.ChainOK, len(tr.Records))
	}
}

// TestProblems: bad input gets its own status, always as a problem with a
// detail that says what was wrong.
func TestProblems(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	sum := strings.Repeat("ab", 32)
	jpeg := func(size int64) map[string]any {
		return map[string]any{"sha256": sum, "size": size, "content_type": "image/jpeg"}
	}
	for _, c := range []struct {
		name          string
		method, route string
		token         string
		body          any
		contentType   string
		status        int
		detail        string
	}{
		{"unknown dossier", "GET", "/v1/dossiers/" + office + "-990101-9999", op, nil, "", 404, "not found"},
		{"unknown dossier, upload", "POST", "/v1/dossiers/" + office + "-990101-9999/uploads", op, jpeg(1000), "", 404, "not found"},
		{"invalid citizen_id", "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "citizen_id": "12345"}, "", 422, "citizen_id"},
		{"citizen_id of no province", "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "citizen_id": "999012345678"}, "", 422, "citizen_id"},
		{"no procedure", "POST", "/v1/dossiers", op, map[string]any{}, "", 422, "procedure"},
		{"unknown queue", "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "queue": "fast"}, "", 422, "queue"},
		{"unknown field", "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "owner": "x"}, "", 400, "unknown field"},
		{"not JSON", "POST", "/v1/dossiers", op, []byte("procedure=1"), "application/json", 400, "invalid JSON"},
		{"body not JSON typed", "POST", "/v1/dossiers", op, []byte(`{"procedure":"1.000894"}`), "text/plain", 415, "application/json"},
		{"body over 64 KiB", "POST", "/v1/dossiers", op, map[string]any{"procedure": strings.Repeat("x", 70<<10)}, "", 413, "64 KiB"},
		{"upload of a GIF", "POST", "/v1/dossiers/" + e.code + "/uploads", op,
			map[string]any{"sha256": sum, "size": 1000, "content_type": "image/gif"}, "", 415, "content type"},
		{"upload request not JSON typed", "POST", "/v1/dossiers/" + e.code + "/uploads", op, []byte(`{}`), "text/plain", 415, "application/json"},
		{"oversize page", "POST", "/v1/dossiers/" + e.code + "/uploads", op, jpeg(201 << 20), "", 413, "size"},
		{"empty page", "POST", "/v1/dossiers/" + e.code + "/uploads", op, jpeg(0), "", 422, "size"},
		{"bad sha256", "POST", "/v1/dossiers/" + e.code + "/uploads", op,
			map[string]any{"sha256": "abc", "size": 1000, "content_type": "image/jpeg"}, "", 422, "sha256"},
		{"submit without pages", "POST", "/v1/dossiers/" + e.code + "/submit", op, nil, "", 409, "no pages"},
		{"confirm before upload", "POST", "/v1/dossiers/" + e.code + "/pages", op, map[string]any{"position": 1, "sha256": sum}, "", 409, "upload the page first"},
		{"page position 0", "POST", "/v1/dossiers/" + e.code + "/pages", op, map[string]any{"position": 0, "sha256": sum}, "", 422, "position"},
		{"path position 0", "DELETE", "/v1/dossiers/" + e.code + "/pages/0", op, nil, "", 400, "position"},
		{"ack before signing", "POST", "/v1/dossiers/" + e.code + "/ack", e.tokens[catalog.RoleWorkflow], nil, "", 409, "signed"},
		{"listing without status=ready", "GET", "/v1/dossiers", e.tokens[catalog.RoleWorkflow], nil, "", 422, "status"},
		{"listing limit 0", "GET", "/v1/dossiers?status=ready&limit=0", e.tokens[catalog.RoleWorkflow], nil, "", 400, "limit"},
		{"original not received", "GET", "/v1/dossiers/" + e.code + "/originals/" + sum, e.tokens[catalog.RoleAuditor], nil, "", 404, "no original"},
		{"revoked or made-up token", "GET", "/v1/dossiers/" + e.code, "sohoa_notatoken", nil, "", 401, "invalid"},
		{"multipart on the local store", "POST", "/v1/dossiers/" + e.code + "/uploads/multipart/parts", op, map[string]any{"key": "k", "upload_id": "u"}, "", 404, "multipart"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.do(t, c.method, c.route, c.token, c.body, c.contentType)
			wantProblem(t, res, c.status, c.detail)
		})
	}
}
