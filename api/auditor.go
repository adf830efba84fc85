package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/verify"
)

// originalJSON is one original scan a dossier received.
type originalJSON struct {
	Position    int        `json:"position"`
	SHA256      string     `json:"sha256"`
	Size        int64      `json:"size"`
	UploadedAt  time.Time  `json:"uploaded_at"`
	Uploader    string     `json:"uploader"`
	RetainUntil *time.Time `json:"retain_until,omitempty"`
	// Current is false for a scan the operator replaced or deleted before
	// submission: it stays in the archive and in the trail.
	Current bool `json:"current"`
}

// dossierOriginals lists every original the dossier's trail says was
// received, in order of arrival.
func (s *Server) dossierOriginals(r *http.Request, code string) ([]originalJSON, error) {
	evs, err := s.cfg.Catalog.Events(r.Context(), code)
	if err != nil {
		return nil, err
	}
	pages, err := s.cfg.Catalog.Pages(r.Context(), code)
	if err != nil {
		return nil, err
	}
	current := map[string]bool{}
	for _, p := range pages {
		current[p.SHA256] = true
	}
	var out []originalJSON
	seen := map[string]bool{}
	for _, e := range evs {
		sum, _ := e.Detail["sha256"].(string)
		key, _ := e.Detail["key"].(string)
		if sum == "" || key == "" || seen[sum] || !storage.IsOriginal(key) {
			continue
		}
		seen[sum] = true
		size, _ := e.Detail["size"].(float64)
		o := originalJSON{Position: e.Page, SHA256: sum, Size: int64(size), UploadedAt: e.At, Uploader: e.Actor, Current: current[sum]}
		if info, err := s.cfg.Store.Stat(r.Context(), key); err == nil && !info.RetainUntil.IsZero() {
			o.RetainUntil = &info.RetainUntil
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Server) originals(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.dossierOriginals(r, d.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out == nil {
		out = []originalJSON{}
	}
	if s.record(w, r, d.Code, cl, "list-originals", nil) {
		writeJSON(w, http.StatusOK, map[string]any{"code": d.Code, "originals": out})
	}
}

// original sends one original exactly as the station uploaded it.
func (s *Server) original(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum := strings.ToLower(r.PathValue("sha256"))
	key, err := storage.OriginalKey(sum)
	if err != nil {
		problem(w, http.StatusBadRequest, "sha256: want 64 hex digits")
		return
	}
	origs, err := s.dossierOriginals(r, d.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	found := false
	for _, o := range origs {
		found = found || o.SHA256 == sum
	}
	if !found {
		problem(w, http.StatusNotFound, fmt.Sprintf("dossier %s received no original %s", d.Code, sum))
		return
	}
	rc, err := s.cfg.Store.Get(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	if !s.record(w, r, d.Code, cl, "download-original", map[string]any{"sha256": sum}) {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-SHA256", sum)
	send(w, rc)
}

// verify runs sohoa verify on the dossier's signed PDF and its originals,
// here, and answers with the report.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, ok := s.signedDossier(w, r, cl)
	if !ok {
		return
	}
	ctx := r.Context()
	release, ok := s.acquireHeavy(w, r, cl)
	if !ok {
		return
	}
	defer release()
	pdf, err := s.readBounded(r, d.PDFKey, s.cfg.MaxVerifyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dir, err := os.MkdirTemp("", "sohoa-verify-*")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	pages, err := s.cfg.Catalog.Pages(ctx, d.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The PDF names each original by its SHA-256 (workers read it under
	// that name), so that is the file name verify looks for.
	// Originals go to files a piece at a time, not through memory.
	for _, p := range pages {
		if err := s.saveTo(r, p.OriginalKey, filepath.Join(dir, p.SHA256)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	rep, err := verify.File(pdf, verify.Options{Originals: dir, Roots: s.cfg.Roots})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.record(w, r, d.Code, cl, "verify", map[string]any{"ok": rep.OK, "problems": len(rep.Problems)}) {
		writeJSON(w, http.StatusOK, rep)
	}
}

// readBounded reads an object of at most limit bytes into one buffer of
// its size, refusing (errTooLarge) a larger one before reading it.
func (s *Server) readBounded(r *http.Request, key string, limit int64) ([]byte, error) {
	info, err := s.cfg.Store.Stat(r.Context(), key)
	if err != nil {
		return nil, err
	}
	if info.Size > limit {
		return nil, fmt.Errorf("read %s: %w: %d bytes, limit %d", key, errTooLarge, info.Size, limit)
	}
	rc, err := s.cfg.Store.Get(r.Context(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, info.Size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return b, nil
}

// saveTo copies an object to a new file at path.
func (s *Server) saveTo(r *http.Request, key, path string) error {
	rc, err := s.cfg.Store.Get(r.Context(), key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	return errors.Join(err, f.Close())
}

// trail is the dossier's audit trail: every change and access, with who
// and when, each record carrying its own hash and its predecessor's.
func (s *Server) trail(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.cfg.Catalog.Events(r.Context(), d.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	problems, err := s.cfg.Catalog.VerifyTrail(r.Context(), d.Code)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	type rec struct {
		ID       int64          `json:"id"`
		At       time.Time      `json:"at"`
		Actor    string         `json:"actor"`
		Action   string         `json:"action"`
		Page     int            `json:"page,omitempty"`
		From     string         `json:"from,omitempty"`
		To       string         `json:"to,omitempty"`
		Detail   map[string]any `json:"detail,omitempty"`
		PrevHash string         `json:"prev_hash"`
		Hash     string         `json:"hash"`
	}
	out := struct {
		Code     string   `json:"code"`
		ChainOK  bool     `json:"chain_ok"`
		Problems []string `json:"problems,omitempty"`
		Records  []rec    `json:"records"`
	}{Code: d.Code, ChainOK: len(problems) == 0, Records: []rec{}}
	for _, p := range problems {
		out.Problems = append(out.Problems, p.String())
	}
	for _, e := range evs {
		out.Records = append(out.Records, rec{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Page: e.Page,
			From: e.From, To: e.To, Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	if s.record(w, r, d.Code, cl, "read-trail", nil) {
		writeJSON(w, http.StatusOK, out)
	}
}
