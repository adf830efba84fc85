package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// Resumable uploads of large pages, for a store that offers
// storage.Multiparter: the station is handed the upload (its key and ID)
// and a URL per part; after a dropped link it asks which parts arrived and
// gets URLs for the rest; it completes the upload, and then confirms the
// page as after a single PUT.

// partURL is where one part goes.
type partURL struct {
	Number int               `json:"number"`
	Upload storage.Presigned `json:"upload"`
}

// multipartState is what a station keeps of a resumable upload, and what
// it is told on asking where one stands.
type multipartState struct {
	Multipart storage.Multipart `json:"multipart"`
	Uploaded  []storage.Part    `json:"uploaded"`
	// Missing are the parts still to send, each with a fresh URL.
	Missing []partURL  `json:"missing"`
	Expires *time.Time `json:"expires,omitempty"`
}

// startMultipart answers an upload request that asked for parts.
// The caller has checked that the store takes multipart uploads.
func (s *Server) startMultipart(w http.ResponseWriter, r *http.Request, req uploadRequest, code, key string) {
	m, err := s.multipart.StartMultipart(r.Context(), code, req.SHA256, req.Size, req.ContentType)
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
func (s *Server) partsState(w http.ResponseWriter, r *http.Request, m storage.Multipart) {
	held, err := s.multipart.UploadedParts(r.Context(), m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := multipartState{Multipart: m, Uploaded: held, Missing: []partURL{}}
	if st.Uploaded == nil {
		st.Uploaded = []storage.Part{}
	}
	have := map[int]bool{}
	for _, p := range held {
		have[p.Number] = true
	}
	for n := 1; n <= m.Parts; n++ {
		if have[n] {
			continue
		}
		p, err := s.multipart.PresignPart(r.Context(), m, n, s.cfg.UploadExpiry)
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

func (s *Server) readMultipart(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (storage.Multipart, bool) {
	var req struct {
		Key      string `json:"key"`
		UploadID string `json:"upload_id"`
	}
	if !readJSON(w, r, &req) {
		return storage.Multipart{}, false
	}
	// Uploads belong to an operator's dossier still open for pages, so
	// one office cannot look into or finish another's.
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return storage.Multipart{}, false
	}
	if s.multipart == nil {
		problem(w, http.StatusNotFound, "this service's storage takes no multipart uploads")
		return storage.Multipart{}, false
	}
	if req.Key == "" || req.UploadID == "" || len(req.UploadID) > 1024 {
		problem(w, http.StatusBadRequest, "key and upload_id of the multipart upload are required")
		return storage.Multipart{}, false
	}
	m, err := storage.ResumeMultipart(req.Key, req.UploadID)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return storage.Multipart{}, false
	}
	// The key names the dossier the upload was started for; another
	// dossier's route knows no such upload, whoever asks.
	if m.Scope != d.Code {
		problem(w, http.StatusNotFound, fmt.Sprintf("dossier %s has no multipart upload %s", d.Code, req.Key))
		return storage.Multipart{}, false
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
	err := s.multipart.CompleteMultipart(r.Context(), m)
	switch {
	case err == nil, errors.Is(err, storage.ErrExists):
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, storage.ErrIncomplete):
		problem(w, http.StatusConflict, fmt.Sprintf("%v: ask which parts are missing and send them", err))
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, "the parts do not hash to the declared SHA-256; nothing was stored, start again")
	default:
		s.fail(w, r, err)
	}
}
