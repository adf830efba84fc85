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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/workers"
)

// Presigner issues upload URLs that go straight to storage (storage/s3).
type Presigner interface {
	PresignPut(ctx context.Context, key string, size int64, contentType, sha256hex string, expiry time.Duration) (storage.Presigned, error)
}

// Config is what the server needs.
type Config struct {
	Store   storage.Store
	Catalog *catalog.Catalog
	Queue   *workers.Queue
	// Presigner, when set, sends uploads straight to storage. When nil the
	// server takes uploads itself at /v1/uploads/, signed with UploadSecret
	// and addressed from BaseURL (how stations reach this server).
	Presigner Presigner
	// Multipart, when set, takes large pages in resumable parts.
	Multipart    Multiparter
	UploadSecret []byte
	BaseURL      string
	// UploadExpiry is how long an upload URL stays valid (default 15 min).
	UploadExpiry time.Duration
	// MaxPageBytes bounds one page's upload (default 200 MiB).
	MaxPageBytes int64
	Log          *slog.Logger
}

// ContentTypes are the upload types accepted, by scan format.
var ContentTypes = map[string]string{
	"image/jpeg": "jpeg", "image/png": "png", "image/tiff": "tiff", "application/pdf": "pdf",
}

// Server serves the API.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Queue == nil {
		return nil, errors.New("api: store, catalog and queue are required")
	}
	if cfg.Presigner == nil && (len(cfg.UploadSecret) < 32 || cfg.BaseURL == "") {
		return nil, errors.New("api: without a presigning store, an upload secret of at least 32 bytes and the server's base URL are required")
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
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/dossiers", s.createDossier)
	s.mux.HandleFunc("GET /v1/dossiers/{code}", s.getDossier)
	s.mux.HandleFunc("POST /v1/dossiers/{code}/uploads", s.requestUpload)
	s.mux.HandleFunc("POST /v1/uploads/multipart/parts", s.multipartParts)
	s.mux.HandleFunc("POST /v1/uploads/multipart/complete", s.multipartComplete)
	s.mux.HandleFunc("POST /v1/dossiers/{code}/pages", s.confirmPage)
	s.mux.HandleFunc("POST /v1/dossiers/{code}/submit", s.submit)
	s.mux.HandleFunc("GET /v1/dossiers/{code}/pdf", s.getPDF)
	s.mux.HandleFunc("PUT /v1/uploads/{sha256}", s.upload)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.mux.HandleFunc("GET /readyz", s.ready)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

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
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, storage.ErrNotFound):
		problem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, catalog.ErrExists), errors.Is(err, catalog.ErrIllegalMove):
		problem(w, http.StatusConflict, err.Error())
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, storage.ErrBadKey):
		problem(w, http.StatusBadRequest, err.Error())
	default:
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, "internal error")
	}
}

// dossierJSON is a dossier as the API shows it.
type dossierJSON struct {
	Code        string     `json:"code"`
	Procedure   string     `json:"procedure"`
	Office      string     `json:"office"`
	Queue       string     `json:"queue"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	PDFSHA256   string     `json:"pdf_sha256,omitempty"`
	Pages       []pageJSON `json:"pages"`
	// Failure says why a failed dossier failed (which pages, which stage).
	Failure map[string]any `json:"failure,omitempty"`
}

type pageJSON struct {
	Position int    `json:"position"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Stage    string `json:"stage"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) dossier(ctx context.Context, code string) (dossierJSON, error) {
	d, err := s.cfg.Catalog.Get(ctx, code)
	if err != nil {
		return dossierJSON{}, err
	}
	pages, err := s.cfg.Catalog.Pages(ctx, code)
	if err != nil {
		return dossierJSON{}, err
	}
	out := dossierJSON{Code: d.Code, Procedure: d.Procedure, Office: d.Office, Queue: d.Queue,
		Status: string(d.Status), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PDFSHA256: d.PDFSHA256,
		Pages: []pageJSON{}}
	if !d.SubmittedAt.IsZero() {
		out.SubmittedAt = &d.SubmittedAt
	}
	for _, p := range pages {
		out.Pages = append(out.Pages, pageJSON{Position: p.Position, SHA256: p.SHA256, Size: p.Size,
			Stage: p.Stage, Status: string(p.Status), Error: p.Error})
	}
	if d.Status == catalog.Failed {
		evs, err := s.cfg.Catalog.Events(ctx, code)
		if err != nil {
			return dossierJSON{}, err
		}
		for _, e := range evs {
			if e.Page == 0 && e.To == string(catalog.Failed) {
				out.Failure = e.Detail
			}
		}
	}
	return out, nil
}

func (s *Server) createDossier(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code      string `json:"code"`
		Procedure string `json:"procedure"`
		Office    string `json:"office"`
		Queue     string `json:"queue"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := pipeline.CheckCode(req.Code); err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if req.Procedure == "" || req.Office == "" || len(req.Procedure) > 64 || len(req.Office) > 200 {
		problem(w, http.StatusUnprocessableEntity, "procedure (≤ 64 bytes) and office (≤ 200 bytes) are required")
		return
	}
	if req.Queue != "" && req.Queue != catalog.QueueDesk && req.Queue != catalog.QueueBulk {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("queue %q: want %q or %q", req.Queue, catalog.QueueDesk, catalog.QueueBulk))
		return
	}
	_, err := s.cfg.Catalog.CreateDossier(r.Context(), catalog.Dossier{Code: req.Code, Procedure: req.Procedure,
		Office: req.Office, Queue: req.Queue}, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.dossier(r.Context(), req.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) getDossier(w http.ResponseWriter, r *http.Request) {
	d, err := s.dossier(r.Context(), r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// uploadRequest is what a station declares about a page before sending it.
type uploadRequest struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	// Multipart asks for a resumable upload in parts, for large pages on
	// unstable links.
	Multipart bool `json:"multipart"`
}

func (s *Server) checkUpload(w http.ResponseWriter, u uploadRequest) (string, bool) {
	key, err := storage.OriginalKey(u.SHA256)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "sha256: want 64 hex digits")
		return "", false
	}
	if _, ok := ContentTypes[u.ContentType]; !ok {
		problem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: a page is image/jpeg, image/png, image/tiff or application/pdf", u.ContentType))
		return "", false
	}
	if u.Size <= 0 || u.Size > s.cfg.MaxPageBytes {
		problem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("size %d: a page is 1 to %d bytes", u.Size, s.cfg.MaxPageBytes))
		return "", false
	}
	return key, true
}

// requestUpload answers with where to PUT the page, or with exists: true
// when the service already holds those bytes (a resumed station, a page
// shared by two dossiers): then there is nothing to send.
func (s *Server) requestUpload(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	var req uploadRequest
	if !readJSON(w, r, &req) {
		return
	}
	key, ok := s.checkUpload(w, req)
	if !ok {
		return
	}
	d, err := s.cfg.Catalog.Get(r.Context(), code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Status != catalog.Created && d.Status != catalog.Uploading {
		problem(w, http.StatusConflict, fmt.Sprintf("dossier %s is %s: pages are uploaded before it is submitted", code, d.Status))
		return
	}
	resp := struct {
		Key     string             `json:"key"`
		Exists  bool               `json:"exists"`
		Upload  *storage.Presigned `json:"upload,omitempty"`
		Expires *time.Time         `json:"expires,omitempty"`
	}{Key: key}
	if _, err := s.cfg.Store.Stat(r.Context(), key); err == nil {
		resp.Exists = true
		writeJSON(w, http.StatusOK, resp)
		return
	} else if !errors.Is(err, storage.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	if req.Multipart {
		s.startMultipart(w, r, req, key)
		return
	}
	exp := time.Now().Add(s.cfg.UploadExpiry).UTC().Truncate(time.Second)
	var p storage.Presigned
	if s.cfg.Presigner != nil {
		p, err = s.cfg.Presigner.PresignPut(r.Context(), key, req.Size, req.ContentType, req.SHA256, s.cfg.UploadExpiry)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		p = s.signLocalUpload(req, exp)
	}
	resp.Upload, resp.Expires = &p, &exp
	writeJSON(w, http.StatusOK, resp)
}

// confirmPage accepts an uploaded original as page position of the
// dossier, after reading it back: its bytes must hash to the declared
// SHA-256 and be a scan sohoa can read.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	var req struct {
		Position int    `json:"position"`
		SHA256   string `json:"sha256"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Position < 1 || req.Position > 10000 {
		problem(w, http.StatusUnprocessableEntity, "position: want 1 to 10000")
		return
	}
	key, err := storage.OriginalKey(req.SHA256)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "sha256: want 64 hex digits")
		return
	}
	sum := strings.ToLower(req.SHA256)
	rc, err := s.cfg.Store.Get(r.Context(), key)
	if errors.Is(err, storage.ErrNotFound) {
		problem(w, http.StatusConflict, "no upload with that SHA-256: upload the page first")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxPageBytes+1))
	rc.Close()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("stored bytes do not hash to the declared SHA-256 %s", sum))
		return
	}
	// Probe only (headers, page count, pixel limits): a wrong file is
	// told to the operator now, not after it reached a worker.
	if _, err := scan.OpenBytes(sum, data, scan.Options{}); err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, scan.ErrUnsupported) {
			status = http.StatusUnsupportedMediaType
		}
		problem(w, status, "not a readable scan: "+err.Error())
		return
	}
	_, err = s.cfg.Catalog.AddPage(r.Context(), code, catalog.Page{Position: req.Position, OriginalKey: key,
		SHA256: sum, Size: int64(len(data))}, actor(r))
	if errors.Is(err, catalog.ErrExists) {
		// The same page confirmed again (a retry after a lost answer) is
		// not an error; another page at that position, or this page at
		// another, is.
		if p, perr := s.cfg.Catalog.Page(r.Context(), code, req.Position); perr == nil && p.SHA256 == sum {
			err = nil
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.dossier(r.Context(), code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// submit hands the dossier to the workers. Submitting it again is not an
// error and queues nothing: the dossier is processed once.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	ctx := r.Context()
	err := s.cfg.Catalog.Move(ctx, code, catalog.Uploading, catalog.Submitted, actor(r), nil)
	if errors.Is(err, catalog.ErrIllegalMove) {
		d, gerr := s.cfg.Catalog.Get(ctx, code)
		switch {
		case gerr != nil:
			err = gerr
		case d.Status == catalog.Created:
			problem(w, http.StatusConflict, fmt.Sprintf("dossier %s has no pages to submit", code))
			return
		default: // already submitted
			out, err := s.dossier(ctx, code)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Should this fail, the dossier is submitted all the same and the
	// workers' reconciler queues its pages.
	d, err := s.cfg.Catalog.Get(ctx, code)
	if err == nil {
		var pages []catalog.Page
		if pages, err = s.cfg.Catalog.Pages(ctx, code); err == nil {
			_, err = s.cfg.Queue.Pages(ctx, d, pages)
		}
	}
	if err != nil {
		s.cfg.Log.Warn("submit: queueing failed; the reconciler will queue the pages", "dossier", code, "err", err)
	}
	out, err := s.dossier(ctx, code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, out)
}

// getPDF streams the signed dossier PDF.
func (s *Server) getPDF(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	d, err := s.cfg.Catalog.Get(r.Context(), code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.PDFKey == "" {
		problem(w, http.StatusConflict, fmt.Sprintf("dossier %s is %s: no signed PDF yet", code, d.Status))
		return
	}
	rc, err := s.cfg.Store.Get(r.Context(), d.PDFKey)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", code+".pdf"))
	w.Header().Set("X-Content-SHA256", d.PDFSHA256)
	io.Copy(w, rc)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Queue.Ping(); err != nil {
		problem(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	}
	if _, err := s.cfg.Store.List(ctx, "health/"); err != nil {
		problem(w, http.StatusServiceUnavailable, "storage: "+err.Error())
		return
	}
	if _, err := s.cfg.Catalog.Get(ctx, "health-probe"); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		problem(w, http.StatusServiceUnavailable, "catalog: "+err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// actor names who made a change in the catalog's events. Until API tokens
// identify clients, it is the station's declared name and address.
func actor(r *http.Request) string {
	name := r.Header.Get("X-Station")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		name = "station"
	}
	return name + " " + r.RemoteAddr
}
