// Package web is the desk's browser front end, served by `sohoa serve` next
// to the JSON API: the operator's page (/desk/: open a dossier, watch its
// pages arrive and be read, reorder or delete them, submit, open the signed
// PDF) and the auditor's page (/audit/: find a dossier, its originals, a
// server-side verification, the hash-chained trail).
//
// The pages are static files (no inline script, so the Content-Security-
// Policy can say script-src 'self') whose scripts call the API under
// /web/api/, which this package hands to the API in-process with the
// bearer token the user logged in with. The token never reaches the
// page's scripts: the browser holds only an HttpOnly, SameSite=Strict
// session cookie, and every request that changes something must also
// carry the session's CSRF token in a header and, when the browser sends
// one, an Origin of this server. The API keeps deciding who may do what
// (roles, an operator's office), exactly as for a station.
//
// Two things the API does not offer are served here, each after the API
// has shown the dossier to the session's user: a page's thumbnail (the
// original, turned upright and straightened as the page stages found,
// made on demand in this process, off the workers' OCR path) and the text
// OCR read on it; and the auditor's search.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every response this package
// writes: scripts, styles and images from this server only, no inline
// script or style, no framing, forms posting here only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// CookieName is the session cookie's name.
const CookieName = "sohoa_session"

// CSRFHeader carries the session's CSRF token on requests that change
// something.
const CSRFHeader = "X-CSRF-Token"

// Config is what the pages need.
type Config struct {
	// API is the JSON API (api.Server); requests under /web/api/ reach it
	// as /v1/... with the session's token.
	API     http.Handler
	Catalog *catalog.Catalog
	// Store gives the originals thumbnails are made from.
	Store storage.Store
	// Secure marks the cookie Secure: set it when users reach the server
	// over HTTPS (a desk LAN on plain HTTP would otherwise lose it).
	Secure bool
	// SessionTTL is how long a session lasts from login (default 10 h, a
	// working day).
	SessionTTL time.Duration
	Log        *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	cfg    Config
	mux    *http.ServeMux
	mu     sync.Mutex
	byID   map[string]*session
	thumbs *thumbCache
}

// session is one logged-in browser. Sessions live in this process's
// memory: a restart logs everyone out, and behind several serve processes
// a load balancer must keep a browser on one (sticky sessions).
type session struct {
	token   string // the bearer token the user logged in with
	who     catalog.Token
	csrf    string
	expires time.Time
}

// New builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.API == nil || cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("web: the API, catalog and store are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 10 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), byID: map[string]*session{}, thumbs: newThumbCache(256)}
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	h.mux.Handle("GET /web/static/", http.StripPrefix("/web/static/", files))
	h.mux.HandleFunc("GET /desk/", h.page("desk.html"))
	h.mux.HandleFunc("GET /audit/", h.page("audit.html"))
	h.mux.HandleFunc("POST /web/login", h.login)
	h.mux.HandleFunc("POST /web/logout", h.logout)
	h.mux.HandleFunc("GET /web/session", h.whoami)
	h.mux.HandleFunc("/web/api/", h.proxy)
	h.mux.HandleFunc("GET /web/search", h.search)
	h.mux.HandleFunc("GET /web/thumbs/{code}/{position}", h.thumb)
	h.mux.HandleFunc("GET /web/text/{code}/{position}", h.text)
	return h, nil
}

// Mount puts the pages on mux, at the paths they own.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, p := range []string{"/desk/", "/audit/", "/web/"} {
		mux.Handle(p, h)
	}
}

// ServeHTTP implements http.Handler; every answer carries the security
// headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			http.Error(w, "page missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	}
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sameOrigin refuses a request whose Origin (sent by browsers on every
// POST) names another site. A request without one comes from a client
// that is no browser, which the cookie alone never authorises: it must
// carry the CSRF token too.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func refuse(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]any{"status": status, "detail": detail})
}

// login trades an API token for a session.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		refuse(w, http.StatusForbidden, "đăng nhập từ trang khác bị từ chối (cross-origin login refused)")
		return
	}
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.Token == "" {
		refuse(w, http.StatusBadRequest, "thiếu mã truy cập (token required)")
		return
	}
	who, err := h.cfg.Catalog.Authenticate(r.Context(), strings.TrimSpace(req.Token))
	if errors.Is(err, catalog.ErrBadToken) {
		refuse(w, http.StatusUnauthorized, "mã truy cập không hợp lệ (invalid token)")
		return
	}
	if err != nil {
		h.cfg.Log.Error("web login", "err", err)
		refuse(w, http.StatusServiceUnavailable, "không kiểm tra được mã truy cập, thử lại")
		return
	}
	s := &session{token: strings.TrimSpace(req.Token), who: who, csrf: randomString(), expires: time.Now().Add(h.cfg.SessionTTL)}
	id := randomString()
	h.mu.Lock()
	h.prune()
	h.byID[id] = s
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/", HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode, Expires: s.expires})
	writeJSON(w, http.StatusOK, s.view())
}

func (s *session) view() map[string]any {
	return map[string]any{"name": s.who.Name, "role": s.who.Role, "office": s.who.Office, "csrf": s.csrf}
}

// prune drops expired sessions; h.mu is held.
func (h *Handler) prune() {
	now := time.Now()
	for id, s := range h.byID {
		if now.After(s.expires) {
			delete(h.byID, id)
		}
	}
}

// sessionOf returns the request's session, or nil.
func (h *Handler) sessionOf(r *http.Request) (*session, string) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.byID[c.Value]
	if s == nil || time.Now().After(s.expires) {
		delete(h.byID, c.Value)
		return nil, ""
	}
	return s, c.Value
}

// checked returns the session of a request that may change something:
// it must come from this origin and carry the session's CSRF token.
func (h *Handler) checked(w http.ResponseWriter, r *http.Request) (*session, string, bool) {
	s, id := h.sessionOf(r)
	if s == nil {
		refuse(w, http.StatusUnauthorized, "chưa đăng nhập (not logged in)")
		return nil, "", false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return s, id, true
	}
	if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(s.csrf)) != 1 {
		refuse(w, http.StatusForbidden, "yêu cầu không có mã CSRF hợp lệ (CSRF check failed)")
		return nil, "", false
	}
	return s, id, true
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	_, id, ok := h.checked(w, r)
	if !ok {
		return
	}
	h.mu.Lock()
	delete(h.byID, id)
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) {
	s, _ := h.sessionOf(r)
	if s == nil {
		refuse(w, http.StatusUnauthorized, "chưa đăng nhập (not logged in)")
		return
	}
	writeJSON(w, http.StatusOK, s.view())
}

// proxy hands /web/api/X to the API as /v1/X with the session's token.
func (h *Handler) proxy(w http.ResponseWriter, r *http.Request) {
	s, _, ok := h.checked(w, r)
	if !ok {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/web/api/")
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/v1/" + rest
	r2.URL.RawPath = ""
	r2.RequestURI = ""
	r2.Header.Del("Cookie")
	r2.Header.Del(CSRFHeader)
	r2.Header.Set("Authorization", "Bearer "+s.token)
	h.cfg.API.ServeHTTP(w, r2)
}

// asAPI calls the API in-process for the session and decodes its JSON
// answer; it returns the status.
func (h *Handler) asAPI(ctx context.Context, s *session, method, path string, out any) (int, error) {
	r, err := http.NewRequestWithContext(ctx, method, path, nil)
	if err != nil {
		return 0, err
	}
	r.Header.Set("Authorization", "Bearer "+s.token)
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.cfg.API.ServeHTTP(rec, r)
	if rec.status != http.StatusOK || out == nil {
		return rec.status, nil
	}
	return rec.status, json.Unmarshal(rec.body, out)
}

// recorder keeps an in-process API answer.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
