// Package api is the service's HTTP front door for scanner stations: create
// a dossier, get an upload URL for each page, confirm the upload (the
// service checks the bytes against the SHA-256 the station declared before
// the page is accepted), submit, and follow the dossier until its signed
// PDF is ready.
//
// Pages travel from station to storage directly: with MinIO by a presigned
// PUT whose signature fixes size, type and checksum; with the local store
// (one box at a commune) by a PUT to this server under an HMAC-signed URL
// with the same fixed fields. Either way the request bodies that reach
// this process are small JSON, and tasks carry IDs, never image bytes.
package api

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/workers"
)

// Presigner issues URLs that go straight to storage (storage/s3): uploads
// of originals, downloads of dossier PDFs.
type Presigner interface {
	PresignPut(ctx context.Context, key string, size int64, contentType, sha256hex string, expiry time.Duration) (storage.Presigned, error)
	PresignGet(ctx context.Context, key string, expiry time.Duration, filename string) (string, error)
}

// Config is what the server needs.
type Config struct {
	Store   storage.Store
	Catalog *catalog.Catalog
	Queue   *workers.Queue
	// Presigner, when set, sends uploads straight to storage and hands out
	// presigned downloads. When nil the server takes uploads and serves
	// downloads itself, under URLs signed with URLSecret and addressed
	// from BaseURL (how clients reach this server).
	Presigner Presigner
	// Multipart, when set, takes large pages in resumable parts.
	Multipart Multiparter
	URLSecret []byte
	BaseURL   string
	// UploadExpiry is how long an upload or download URL stays valid
	// (default 15 min).
	UploadExpiry time.Duration
	// MaxPageBytes bounds one page's upload (default 200 MiB).
	MaxPageBytes int64
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
	cfg     Config
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics
	// heavy bounds the requests that hold whole pages or PDFs in memory
	// (confirming a page, verifying a dossier) at once.
	heavy chan struct{}
}

// maxHeavy requests may each hold up to a page limit's bytes in memory.
const maxHeavy = 4

func (s *Server) acquireHeavy(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.heavy <- struct{}{}:
		return true
	case <-r.Context().Done():
		problem(w, http.StatusServiceUnavailable, "busy: try again")
		return false
	}
}

func (s *Server) releaseHeavy() { <-s.heavy }

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Queue == nil {
		return nil, errors.New("api: store, catalog and queue are required")
	}
	if len(cfg.URLSecret) < 32 {
		return nil, errors.New("api: a secret of at least 32 bytes is required: it signs URLs and possession challenges")
	}
	if cfg.Presigner == nil && cfg.BaseURL == "" {
		return nil, errors.New("api: without a presigning store, the server's base URL is required")
	}
	if cfg.UploadExpiry <= 0 {
		cfg.UploadExpiry = 15 * time.Minute
	}
	if cfg.MaxPageBytes <= 0 {
		cfg.MaxPageBytes = 200 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics(), heavy: make(chan struct{}, maxHeavy)}
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

// fail maps an error from the catalog or storage to its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errForbidden):
		problem(w, http.StatusForbidden, err.Error())
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, storage.ErrNotFound):
		problem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, catalog.ErrExists), errors.Is(err, catalog.ErrIllegalMove):
		problem(w, http.StatusConflict, err.Error())
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, storage.ErrBadKey), errors.Is(err, catalog.ErrBadOrder):
		problem(w, http.StatusBadRequest, err.Error())
	default:
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, "internal error")
	}
}
