// Package api is the service's HTTP front door for scanner stations: create
// a dossier, get an upload URL for each page, confirm the upload (the
// service checks the bytes against the SHA-256 the station declared before
// the page is accepted), submit, and follow the dossier until its signed
// PDF is ready.
//
// Pages travel from station to storage directly, under URLs the store
// signs (storage.Presigner, storage.Multiparter, found by type assertion):
// with MinIO a presigned PUT whose signature fixes size, type and checksum;
// with the local store (one box at a commune) a PUT to this server under an
// HMAC-signed URL with the same fixed fields, which it hands to the store
// (storage.UploadServer). Either way the request bodies this process reads
// are small JSON, and tasks (package queue) carry IDs, never image bytes.
package api

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
)

// UploadPath is where a store with no server of its own
// (storage.UploadServer, the local store) must point its upload URLs:
// this server takes them there and hands them to the store.
const UploadPath = "/v1/uploads/"

// Config is what the server needs.
type Config struct {
	// Store must sign uploads for stations (storage.Presigner); large
	// pages in resumable parts are taken when it offers
	// storage.Multiparter.
	Store   storage.Store
	Catalog *catalog.Catalog
	Queue   *queue.Client
	// Downloads of dossier PDFs always come through this server, under
	// URLs signed with URLSecret and addressed from BaseURL (how clients
	// reach this server), so that each one is recorded in the dossier's
	// trail.
	URLSecret []byte
	BaseURL   string
	// UploadExpiry is how long an upload or download URL stays valid
	// (default 15 min).
	UploadExpiry time.Duration
	// MaxPageBytes bounds one page's upload (default 200 MiB).
	MaxPageBytes int64
	// MaxFramesPerFile bounds the pages (TIFF frames, PDF pages) of one
	// uploaded file (default and most scan.DefaultMaxPages, which workers
	// hold to as well), MaxDossierPages those of all a
	// dossier's files together (default 2000): checked when a page is
	// confirmed, before any worker sees it.
	MaxFramesPerFile int
	MaxDossierPages  int
	// StagingTTL is how long an unconfirmed upload waits in staging
	// before Sweep deletes it (default 24 h).
	StagingTTL time.Duration
	// OfficeQuota bounds the bytes of one office's unconfirmed uploads
	// (default 4 GiB; negative: no quota).
	OfficeQuota int64
	// MaxVerifyBytes bounds the signed PDF that server-side verification
	// reads into memory (default 1 GiB).
	MaxVerifyBytes int64
	// Roots, when set, are the trust anchors server-side verification
	// judges signers by.
	Roots *x509.CertPool
	// Inspector reads queue depths for /metrics (optional).
	Inspector *asynq.Inspector
	Log       *slog.Logger
}

// ContentTypes are the upload types accepted, by scan format.
var ContentTypes = map[string]string{
	"image/jpeg": "jpeg", "image/png": "png", "image/tiff": "tiff", "application/pdf": "pdf",
}

// Server serves the API.
type Server struct {
	cfg       Config
	presign   storage.Presigner
	multipart storage.Multiparter // nil: the store takes a page in one PUT only
	mux       *http.ServeMux
	routes    []Route
	metrics   *metrics
	// heavy bounds the requests that hold whole pages or PDFs in memory
	// (confirming a page, verifying a dossier) at once; heavyBy counts
	// those each client holds, so that one cannot take every slot.
	heavy   chan struct{}
	heavyMu sync.Mutex
	heavyBy map[string]int
}

// maxHeavy requests may each hold up to a page limit's bytes in memory;
// one client (token) at most heavyShare of them.
const (
	maxHeavy   = 4
	heavyShare = 2
)

// acquireHeavy takes a heavy slot for the client, or answers 429 when the
// client already holds its share (its own requests, not everyone's, wait
// for it) and 503 when the request ends while waiting.
func (s *Server) acquireHeavy(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (release func(), ok bool) {
	who := actor(cl)
	s.heavyMu.Lock()
	if s.heavyBy[who] >= heavyShare {
		s.heavyMu.Unlock()
		w.Header().Set("Retry-After", "2")
		problem(w, http.StatusTooManyRequests, fmt.Sprintf("this token already has %d page checks or verifications running: wait for them", heavyShare))
		return nil, false
	}
	s.heavyBy[who]++
	s.heavyMu.Unlock()
	done := func() {
		s.heavyMu.Lock()
		if s.heavyBy[who]--; s.heavyBy[who] == 0 {
			delete(s.heavyBy, who)
		}
		s.heavyMu.Unlock()
	}
	select {
	case s.heavy <- struct{}{}:
		return func() { <-s.heavy; done() }, true
	case <-r.Context().Done():
		done()
		problem(w, http.StatusServiceUnavailable, "busy: try again")
		return nil, false
	}
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Queue == nil {
		return nil, errors.New("api: store, catalog and queue are required")
	}
	if len(cfg.URLSecret) < 32 {
		return nil, errors.New("api: a secret of at least 32 bytes is required: it signs download URLs")
	}
	presign, ok := cfg.Store.(storage.Presigner)
	if !ok {
		return nil, fmt.Errorf("api: the store (%T) signs no uploads for stations", cfg.Store)
	}
	if _, ok := cfg.Store.(storage.UploadServer); ok && cfg.BaseURL == "" {
		return nil, errors.New("api: the store's uploads come through this server: its base URL is required")
	}
	if cfg.UploadExpiry <= 0 {
		cfg.UploadExpiry = 15 * time.Minute
	}
	if cfg.MaxPageBytes <= 0 {
		cfg.MaxPageBytes = 200 << 20
	}
	if cfg.MaxFramesPerFile <= 0 || cfg.MaxFramesPerFile > scan.DefaultMaxPages {
		cfg.MaxFramesPerFile = scan.DefaultMaxPages
	}
	if cfg.MaxDossierPages <= 0 {
		cfg.MaxDossierPages = 2000
	}
	if cfg.StagingTTL <= 0 {
		cfg.StagingTTL = 24 * time.Hour
	}
	if cfg.OfficeQuota == 0 {
		cfg.OfficeQuota = 4 << 30
	}
	if cfg.MaxVerifyBytes <= 0 {
		cfg.MaxVerifyBytes = 1 << 30
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Server{cfg: cfg, presign: presign, mux: http.NewServeMux(), metrics: newMetrics(),
		heavy: make(chan struct{}, maxHeavy), heavyBy: map[string]int{}}
	s.multipart, _ = cfg.Store.(storage.Multiparter)
	s.routes = s.table()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	return s, nil
}

// problem writes an RFC 9457 problem response.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a small JSON body, refusing unknown fields and more
// than 64 KiB.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		problem(w, http.StatusUnsupportedMediaType, "request body must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(w, http.StatusRequestEntityTooLarge, "request body over 64 KiB")
		} else {
			problem(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		}
		return false
	}
	return true
}

// errTooLarge: an object is over a limit the server reads within.
var errTooLarge = errors.New("too large")

// fail maps an error from the catalog or storage to its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, storage.ErrNotFound):
		problem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, catalog.ErrExists), errors.Is(err, catalog.ErrIllegalMove):
		problem(w, http.StatusConflict, err.Error())
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, storage.ErrBadKey), errors.Is(err, catalog.ErrBadOrder):
		problem(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, catalog.ErrTooManyFrames), errors.Is(err, errTooLarge):
		problem(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, storage.ErrFull):
		s.cfg.Log.Error("storage full", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "300")
		problem(w, http.StatusInsufficientStorage, "the service's storage is full: nothing was kept; send again once the administrator has made room")
	case catalog.Unavailable(err):
		s.cfg.Log.Warn("catalog unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		problem(w, http.StatusServiceUnavailable, "the service's catalog cannot be reached for the moment: try again shortly")
	case errors.Is(err, catalog.ErrQuota):
		w.Header().Set("Retry-After", "60")
		problem(w, http.StatusTooManyRequests, err.Error()+": confirm the pages sent, or wait for unconfirmed uploads to expire")
	default:
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, "internal error")
	}
}
