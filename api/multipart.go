package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/s3"
)

// Multiparter is storage that takes a page in parts a station can resume
// after a dropped link (storage/s3). Only bytes that hash to the declared
// SHA-256 reach the dossier's staging key, to be confirmed like a page
// sent in one PUT.
type Multiparter interface {
	StartMultipart(ctx context.Context, scope, sha256hex string, size int64, contentType string) (s3.Multipart, error)
	PresignPart(ctx context.Context, m s3.Multipart, n int, expiry time.Duration) (storage.Presigned, error)
	UploadedParts(ctx context.Context, m s3.Multipart) ([]s3.Part, error)
	CompleteMultipart(ctx context.Context, m s3.Multipart) error
}

// partURL is where one part goes.
type partURL struct {
	Number int               `json:"number"`
	Upload storage.Presigned `json:"upload"`
}

// multipartState is what a station keeps of a resumable upload, and what
// it is told on asking where one stands.
type multipartState struct {
	Multipart s3.Multipart `json:"multipart"`
	Uploaded  []s3.Part    `json:"uploaded"`
	// Missing are the parts still to send, each with a fresh URL.
	Missing []partURL  `json:"missing"`
	Expires *time.Time `json:"expires,omitempty"`
}

// startMultipart answers an upload request that asked for parts.
// The caller has checked that the store takes multipart uploads.
func (s *Server) startMultipart(w http.ResponseWriter, r *http.Request, req uploadRequest, code, key string) {
	m, err := s.cfg.Multipart.StartMultipart(r.Context(), code, req.SHA256, req.Size, req.ContentType)
	if errors.Is(err, storage.ErrExists) {
		writeJSON(w, http.StatusOK, map[string]any{"key": key, "exists": true})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.partsState(w, r, m)
}

// partsState writes where upload m stands: parts held and URLs for the rest.
func (s *Server) partsState(w http.ResponseWriter, r *http.Request, m s3.Multipart) {
	held, err := s.cfg.Multipart.UploadedParts(r.Context(), m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := multipartState{Multipart: m, Uploaded: held, Missing: []partURL{}}
	if st.Uploaded == nil {
		st.Uploaded = []s3.Part{}
	}
	have := map[int]bool{}
	for _, p := range held {
		have[p.Number] = true
	}
	for n := 1; n <= m.Parts; n++ {
		if have[n] {
			continue
		}
		p, err := s.cfg.Multipart.PresignPart(r.Context(), m, n, s.cfg.UploadExpiry)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st.Missing = append(st.Missing, partURL{Number: n, Upload: p})
	}
	if len(st.Missing) > 0 {
		exp := time.Now().Add(s.cfg.UploadExpiry).UTC().Truncate(time.Second)
		st.Expires = &exp
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) readMultipart(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (s3.Multipart, bool) {
	var req struct {
		Key      string `json:"key"`
		UploadID string `json:"upload_id"`
	}
	if !readJSON(w, r, &req) {
		return s3.Multipart{}, false
	}
	// Uploads belong to an operator's dossier still open for pages, so
	// one office cannot look into or finish another's.
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return s3.Multipart{}, false
	}
	if s.cfg.Multipart == nil {
		problem(w, http.StatusNotFound, "this service's storage takes no multipart uploads")
		return s3.Multipart{}, false
	}
	if req.Key == "" || req.UploadID == "" || len(req.UploadID) > 1024 {
		problem(w, http.StatusBadRequest, "key and upload_id of the multipart upload are required")
		return s3.Multipart{}, false
	}
	m, err := s3.ResumeMultipart(req.Key, req.UploadID)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return s3.Multipart{}, false
	}
	// The key names the dossier the upload was started for; another
	// dossier's route knows no such upload, whoever asks.
	if m.Scope != d.Code {
		problem(w, http.StatusNotFound, fmt.Sprintf("dossier %s has no multipart upload %s", d.Code, req.Key))
		return s3.Multipart{}, false
	}
	return m, true
}

// multipartParts tells a station which parts arrived and where to send the
// rest: what it asks after its link dropped.
func (s *Server) multipartParts(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	if m, ok := s.readMultipart(w, r, cl); ok {
		s.partsState(w, r, m)
	}
}

// multipartComplete assembles the parts and, if their bytes hash to the
// declared SHA-256, stages them for the dossier; then the station confirms
// the page as after a single PUT.
func (s *Server) multipartComplete(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	m, ok := s.readMultipart(w, r, cl)
	if !ok {
		return
	}
	err := s.cfg.Multipart.CompleteMultipart(r.Context(), m)
	switch {
	case err == nil, errors.Is(err, storage.ErrExists):
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, s3.ErrIncomplete):
		problem(w, http.StatusConflict, fmt.Sprintf("%v: ask which parts are missing and send them", err))
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, "the parts do not hash to the declared SHA-256; nothing was stored, start again")
	default:
		s.fail(w, r, err)
	}
}
