package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sohoa/sohoa/web"
)

// What a page must not hold for its CSP (script-src 'self', no inline
// style): script elements without src, handler and style attributes.
var (
	scriptTag  = regexp.MustCompile(`<script[^>]*>`)
	inlineAttr = regexp.MustCompile(`\s(on[a-z]+|style)=`)
)

// artifacts is where a test leaves its screenshots: under
// $SOHOA_TEST_ARTIFACTS when set (CI keeps it), else in a temporary folder.
func artifacts(t *testing.T) string {
	dir := t.TempDir()
	if root := os.Getenv("SOHOA_TEST_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// webClient is a browser's session as plain HTTP: the cookie and the CSRF
// token the login gave.
type webClient struct {
	base, csrf, origin string
	cookie             *http.Cookie
}

func (w *webClient) do(t *testing.T, method, path string, body any, hdr map[string]string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if w.cookie != nil {
		req.AddCookie(w.cookie)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (w *webClient) status(t *testing.T, method, path string, body any, hdr map[string]string) int {
	t.Helper()
	resp := w.do(t, method, path, body, hdr)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// webLogin logs in as a browser would (same Origin) and checks the
// session cookie's flags.
func webLogin(t *testing.T, base, token string) *webClient {
	t.Helper()
	w := &webClient{base: base, origin: base}
	resp := w.do(t, "POST", "/web/login", map[string]string{"token": token}, map[string]string{"Origin": base})
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var s struct{ CSRF, Role string }
	json.NewDecoder(resp.Body).Decode(&s)
	w.csrf = s.CSRF
	for _, c := range resp.Cookies() {
		if c.Name == web.CookieName {
			w.cookie = c
		}
	}
	if w.cookie == nil || !w.cookie.HttpOnly || w.cookie.SameSite != http.SameSiteStrictMode || w.cookie.Path != "/" || len(w.cookie.Value) < 32 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, a long random value", w.cookie)
	}
	if len(w.csrf) < 32 || strings.Contains(w.cookie.Value, w.csrf) {
		t.Fatalf("CSRF token %q: want a long one, apart from the cookie", w.csrf)
	}
	return w
}

// TestWebSecurity checks the pages' defences over plain HTTP: the CSP and
// other headers, the cookie's flags, CSRF refusals, and that an operator's
// session sees nothing of another office.
func TestWebSecurity(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	// Another office's operator opens a dossier with one page.
	cmd := exec.Command(c.bin, "tokens", "create", "--name", "other-operator", "--role", "operator", "--office", "000.00.02.H26")
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	oc := *c
	oc.token = strings.TrimSpace(string(out))
	otherCode := oc.create("desk")
	if st := oc.upload(otherCode, 1, "../../testdata/scans/form-300.jpg"); st != http.StatusOK {
		t.Fatalf("other office's page: %d", st)
	}

	anon := &webClient{base: c.api}
	for _, p := range []string{"/desk/", "/audit/", "/web/static/desk.js"} {
		resp := anon.do(t, "GET", p, nil, nil)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d, CSP %q, nosniff %q", p, resp.StatusCode, csp, resp.Header.Get("X-Content-Type-Options"))
		}
	}
	for _, page := range []string{"desk.html", "audit.html"} {
		resp := anon.do(t, "GET", "/"+strings.TrimSuffix(page, ".html")+"/", nil, nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, tag := range scriptTag.FindAll(b, -1) {
			if !bytes.Contains(tag, []byte(" src=")) {
				t.Errorf("%s has inline script: %s", page, tag)
			}
		}
		if m := inlineAttr.Find(b); m != nil {
			t.Errorf("%s has an inline handler or style: %s", page, m)
		}
	}
	if st := anon.status(t, "POST", "/web/login", map[string]string{"token": "sohoa_not-a-token"}, map[string]string{"Origin": c.api}); st != http.StatusUnauthorized {
		t.Errorf("login with a bad token: %d, want 401", st)
	}
	if st := anon.status(t, "POST", "/web/login", map[string]string{"token": c.tokens["operator"]}, map[string]string{"Origin": "http://evil.example"}); st != http.StatusForbidden {
		t.Errorf("login posted from another site: %d, want 403", st)
	}
	if st := anon.status(t, "GET", "/web/api/dossiers/"+otherCode, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("API through the pages without a session: %d, want 401", st)
	}

	op := webLogin(t, c.api, c.tokens["operator"])
	create := map[string]any{"procedure": "1.000894", "citizen_id": "001085012345"}
	for name, hdr := range map[string]map[string]string{
		"no CSRF token":    {"Origin": c.api},
		"wrong CSRF token": {"Origin": c.api, web.CSRFHeader: op.csrf[:len(op.csrf)-1] + "x"},
		"another Origin":   {"Origin": "http://evil.example", web.CSRFHeader: op.csrf},
	} {
		if st := op.status(t, "POST", "/web/api/dossiers", create, hdr); st != http.StatusForbidden {
			t.Errorf("create with %s: %d, want 403", name, st)
		}
	}
	resp := op.do(t, "POST", "/web/api/dossiers", create, map[string]string{"Origin": c.api, web.CSRFHeader: op.csrf})
	var own apiDossier
	json.NewDecoder(resp.Body).Decode(&own)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(own.Code, office+"-") {
		t.Fatalf("create through the page: %d %+v", resp.StatusCode, own)
	}
	if st := c.upload(own.Code, 1, "../../testdata/scans/receipt-150.png"); st != http.StatusOK {
		t.Fatalf("page: %d", st)
	}
	// What the operator's session reaches of its own office, and not of
	// another: the dossier, its stream, its thumbnails, changes to it.
	if st := op.status(t, "GET", "/web/api/dossiers/"+own.Code, nil, nil); st != http.StatusOK {
		t.Errorf("own dossier: %d", st)
	}
	resp = op.do(t, "GET", "/web/thumbs/"+own.Code+"/1", nil, nil)
	img, format, err := image.Decode(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || format != "jpeg" || img.Bounds().Dx() > 240 || img.Bounds().Dy() > 340 {
		t.Errorf("own thumbnail: %d %s %v", resp.StatusCode, format, err)
	} else {
		t.Logf("thumbnail %dx%d", img.Bounds().Dx(), img.Bounds().Dy())
	}
	for _, p := range []string{"/web/api/dossiers/" + otherCode, "/web/api/dossiers/" + otherCode + "/progress", "/web/thumbs/" + otherCode + "/1", "/web/text/" + otherCode + "/1"} {
		if st := op.status(t, "GET", p, nil, nil); st != http.StatusNotFound {
			t.Errorf("another office's %s: %d, want 404", p, st)
		}
	}
	if st := op.status(t, "POST", "/web/api/dossiers/"+otherCode+"/submit", nil, map[string]string{"Origin": c.api, web.CSRFHeader: op.csrf}); st != http.StatusNotFound {
		t.Errorf("submitting another office's dossier: %d, want 404", st)
	}
	if st := op.status(t, "GET", "/web/search?citizen_id=001085012345", nil, nil); st != http.StatusForbidden {
		t.Errorf("operator searching as an auditor: %d, want 403", st)
	}
	au := webLogin(t, c.api, c.tokens["auditor"])
	if st := au.status(t, "POST", "/web/api/dossiers", create, map[string]string{"Origin": c.api, web.CSRFHeader: au.csrf}); st != http.StatusForbidden {
		t.Errorf("auditor creating a dossier through the page: %d, want 403", st)
	}
	if st := op.status(t, "POST", "/web/logout", nil, map[string]string{"Origin": c.api}); st != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d, want 403", st)
	}
	if st := op.status(t, "POST", "/web/logout", nil, map[string]string{"Origin": c.api, web.CSRFHeader: op.csrf}); st != http.StatusNoContent {
		t.Errorf("logout: %d", st)
	}
	if st := op.status(t, "GET", "/web/api/dossiers/"+own.Code, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("the cookie after logout: %d, want 401", st)
	}
}

// TestWebPagesInBrowser drives the pages in headless Chromium: an
// operator logs in, opens a dossier, watches arrive the pages that the
// real station agent (`sohoa station`) picks up from the dossier's folder,
// sees the warning on the poor scan as it arrives, reorders them, submits
// and gets the signed PDF; an auditor finds the dossier by citizen ID,
// reads its originals and trail and verifies it.
func TestWebPagesInBrowser(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium (deploy/setup.sh --test installs it): %v", err)
	}
	shots := artifacts(t)
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.WindowSize(1280, 1100))...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(alloc)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	// The page's script errors and Content-Security-Policy refusals fail
	// the test: the pages must work under their own CSP.
	var consoleMu sync.Mutex
	var console []chromedp.ConsoleMessage
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			consoleMu.Lock()
			console = append(console, m)
			consoleMu.Unlock()
		}
	}()
	defer func() {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		for _, m := range console {
			t.Logf("browser console %s: %s", m.Type, m.Text)
			if m.Type == chromedp.ConsoleException || strings.Contains(m.Text, "Content Security Policy") {
				t.Errorf("browser %s: %s", m.Type, m.Text)
			}
		}
	}()
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			b, err := chromedp.FullScreenshot(100)(ctx, tg) // 100: PNG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644)
		})
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			chromedp.Do(ctx, shot("failed-"+strings.ReplaceAll(step, " ", "-")))
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(step string, sel chromedp.CSS) string {
		t.Helper()
		return browserRun(t, ctx, step, chromedp.Text(sel))
	}
	pageOrder := func() []string {
		return browserRun(t, ctx, "read page order", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#pages > li')).map(li => li.dataset.sha256)`))
	}

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	run("operator login", chromedp.Navigate(c.api+"/desk/"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), c.tokens["operator"]), chromedp.Click(id("login-button")),
		chromedp.WaitVisible(id("create-form")), shot("01-desk-logged-in"))
	run("create dossier", chromedp.SendKeys(id("procedure"), "1.000894"),
		chromedp.SendKeys(id("citizen"), "001085012345"), chromedp.SendKeys(id("receipt"), "BN-2026-0042"),
		chromedp.SetValue(id("queue"), "desk"), chromedp.Click(id("create-button")),
		chromedp.WaitVisible(id("dossier")))
	code := text("dossier code", "#code")
	if !strings.HasPrefix(code, office+"-") {
		t.Fatalf("dossier code on the page: %q", code)
	}

	// The scanner station: the real agent, watching its folder. The
	// scanner writes into a sub-folder named after the dossier the page
	// opened, which joins it; the page shows each page as the agent sends
	// it. The receipt, scanned at 150 dpi, is the bad page.
	station := newStation(c, "300ms")
	station.start()
	files := []string{"form-300.jpg", "receipt-150.png", "birth-upside-200.jpg"}
	var sums []string
	for i, f := range files {
		b := scanFile(t, f)
		sums = append(sums, sha256hex(b))
		station.drop(code, fmt.Sprintf("scan%d%s", i+1, filepath.Ext(f)), b)
		run("page "+f+" arrives", chromedp.WaitVisible(css(`#pages > li[data-sha256="`+sums[i]+`"]`)),
			shot(fmt.Sprintf("02-%d-page-arrived", i+1)))
	}
	// The receipt's warning is there as it arrives, before any worker
	// has seen it: the service glances at each page as it is confirmed.
	run("warning on arrival", chromedp.WaitVisible(css(`#pages > li[data-sha256="`+sums[1]+`"] .warning`)),
		shot("02-4-warning-on-arrival"))
	station.waitLog(regexp.QuoteMeta(code)+`.*3/3 pages sent`, 30*time.Second)
	if strings.Contains(station.log(), "new dossier") {
		t.Errorf("the station opened a dossier of its own instead of joining %s:\n%s", code, station.log())
	}
	run("thumbnails", chromedp.WaitVisible(css(`#pages > li:nth-child(3) img`)), chromedp.Sleep(500*time.Millisecond),
		shot("02-pages-arrived"))
	if !browserRun(t, ctx, "thumbnails decoded", chromedp.Evaluate[bool](`Array.from(document.querySelectorAll('#pages img')).every(i => i.complete && i.naturalWidth > 0 && i.naturalWidth <= 240)`)) {
		t.Errorf("page thumbnails did not load")
	}
	if got := pageOrder(); !slices.Equal(got, sums) {
		t.Fatalf("pages shown %v, want %v", got, sums)
	}

	// The birth certificate goes before the receipt, by keyboard.
	run("reorder", chromedp.Focus(id("up-3")), chromedp.KeyEvent("\r"))
	want := []string{sums[0], sums[2], sums[1]}
	deadline := time.Now().Add(20 * time.Second)
	for got := pageOrder(); !slices.Equal(got, want); got = pageOrder() {
		if time.Now().After(deadline) {
			t.Fatalf("after moving page 3 up the page shows %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var d struct {
		Pages []struct{ SHA256 string } `json:"pages"`
	}
	c.call("GET", "/v1/dossiers/"+code, nil, &d)
	if len(d.Pages) != 3 || d.Pages[1].SHA256 != sums[2] {
		t.Errorf("the service's page order after the reorder: %+v", d.Pages)
	}

	// A page scanned at the desk and sent from the page itself, then
	// deleted again.
	extra := "../../testdata/scans/notice-skew7-300.png"
	b, err := os.ReadFile(extra)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(extra)
	run("upload from the page", chromedp.SetUploadFiles(id("files"), []string{abs}),
		chromedp.WaitVisible(css(`#pages > li[data-sha256="`+sha256hex(b)+`"]`)))
	if got := pageOrder(); len(got) != 4 || got[3] != sha256hex(b) {
		t.Fatalf("after the page's own upload: %v", got)
	}
	run("delete", chromedp.Click(id("delete-4")), chromedp.WaitNotPresent(css(`#pages > li[data-sha256="`+sha256hex(b)+`"]`)))
	if got := pageOrder(); !slices.Equal(got, want) {
		t.Fatalf("after deleting page 4: %v, want %v", got, want)
	}

	run("submit", chromedp.Click(id("submit")), chromedp.WaitVisible(id("pdf")),
		chromedp.WaitVisible(css("#pages .warning")))
	// What OCR read, shown beside the page: the upside-down birth
	// certificate, now page 2, read upright.
	// By keyboard, as the reorder: a click moves the mouse, and the
	// pictures it passes over show their own text on hover.
	run("page text", chromedp.Focus(id("text-2")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(css(`#page-text[data-position="2"]`)))
	if pt := text("page text", "#page-text"); !strings.Contains(pt, "CỘNG HÒA") {
		t.Errorf("text shown for page 2: %.200q", pt)
	}
	run("screenshot", shot("03-desk-signed"))
	warning := text("warning", "#pages .warning")
	status := text("status", "#status")
	t.Logf("status %q, warning %q", status, warning)
	if status != "Đã ký số" {
		t.Errorf("status shown %q, want Đã ký số", status)
	}
	warnedOn := browserRun(t, ctx, "warned page", chromedp.Evaluate[string](`document.querySelector('#pages .warning').closest('li[data-sha256]').dataset.sha256`))
	if warnedOn != sums[1] {
		t.Errorf("warning shown on page %s, want the 150-dpi receipt %s", warnedOn, sums[1])
	}
	// The PDF the link opens is the signed one.
	href := browserRun(t, ctx, "PDF link", chromedp.AttributeValue(id("pdf"), "href")).Value
	if !strings.HasPrefix(href, c.api+"/v1/downloads/") {
		t.Fatalf("PDF link %q", href)
	}
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pdfPath := filepath.Join(shots, code+".pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF link: %d, %d bytes", resp.StatusCode, len(pdf))
	}
	checkSignedPDF(t, pdfPath)

	// The auditor.
	run("auditor login", chromedp.Click(id("logout")), chromedp.WaitVisible(id("token")),
		chromedp.Navigate(c.api+"/audit/"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), c.tokens["auditor"]), chromedp.Click(id("login-button")),
		chromedp.WaitVisible(id("search-form")))
	run("search by citizen ID", chromedp.SendKeys(id("s-citizen"), "001085012345"),
		chromedp.Click(id("search-button")), chromedp.WaitVisible(css("#results button.open")))
	if found := text("search result", "#results button.open"); found != code {
		t.Fatalf("search by citizen ID found %q, want %s", found, code)
	}
	run("open dossier", chromedp.Click(css("#results button.open")),
		chromedp.WaitVisible(css("#originals tbody tr")), chromedp.WaitVisible(css("#trail tbody tr")))
	origs := browserRun(t, ctx, "originals", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#originals tbody tr')).map(r => r.dataset.sha256)`))
	slices.Sort(origs)
	wantOrigs := append(slices.Clone(sums), sha256hex(b))
	slices.Sort(wantOrigs)
	if !slices.Equal(origs, wantOrigs) {
		t.Errorf("originals shown %v, want %v", origs, wantOrigs)
	}
	if chain := text("trail verdict", "#chain"); !strings.Contains(chain, "toàn vẹn") {
		t.Errorf("trail verdict %q", chain)
	}
	run("verify", chromedp.Click(id("verify")), chromedp.WaitVisible(id("verdict")), shot("04-audit-verified"))
	if verdict := text("verdict", "#verdict"); !strings.HasPrefix(verdict, "Hợp lệ") {
		t.Errorf("verification verdict %q", verdict)
	}
	link := browserRun(t, ctx, "original link", chromedp.AttributeValue(css(`#originals tbody tr[data-sha256="`+sums[0]+`"] a`), "href")).Value
	if !strings.HasPrefix(link, "/web/api/dossiers/"+code+"/originals/"+sums[0]) {
		t.Errorf("original link %q", link)
	}
	var actions []string
	for _, e := range c.events(code) {
		actions = append(actions, e.Action)
	}
	if !slices.Contains(actions, "verify") || !slices.Contains(actions, "read-trail") {
		t.Errorf("trail actions %v: want the page's verify and read-trail", actions)
	}
}

// browserRun runs one browser action that returns a value.
func browserRun[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}
