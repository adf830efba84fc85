package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/citizen"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/storage"
)

// listReady pages through the dossiers ready for pickup, in the order they
// became ready: ?status=ready&after=CURSOR&limit=N. The cursor is the
// position of the last one seen, so no dossier is skipped or repeated
// however many become ready meanwhile. ?citizen_id= keeps the dossiers
// that name that identification number (12 digits) or old identity card
// number (9): the one the station recorded, or one the documents give.
func (s *Server) listReady(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	q := r.URL.Query()
	if st := q.Get("status"); st != "ready" {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("status %q: the listing is of status=ready dossiers", st))
		return
	}
	var after int64
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			problem(w, http.StatusBadRequest, "after: a cursor from a previous page's next")
			return
		}
		after = n
	}
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			problem(w, http.StatusBadRequest, "limit: 1 to 1000")
			return
		}
		limit = n
	}
	var f catalog.ReadyFilter
	if id := q.Get("citizen_id"); q.Has("citizen_id") {
		if err := citizen.CheckNumber(id, time.Now()); err != nil {
			problem(w, http.StatusUnprocessableEntity, "citizen_id: "+err.Error()+" (or 9 digits of an identity card)")
			return
		}
		f.Citizen = id
	}
	rs, err := s.cfg.Catalog.ReadyFor(r.Context(), after, limit, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type item struct {
		Code      string    `json:"code"`
		Procedure string    `json:"procedure"`
		Office    string    `json:"office"`
		CitizenID string    `json:"citizen_id,omitempty"`
		ReceiptNo string    `json:"receipt_no,omitempty"`
		PDFSHA256 string    `json:"pdf_sha256"`
		ReadyAt   time.Time `json:"ready_at"`
		Cursor    string    `json:"cursor"`
	}
	out := struct {
		Items []item `json:"items"`
		// Next is the cursor to pass as after= for the next page; the same
		// as after when nothing new is ready.
		Next string `json:"next"`
	}{Items: []item{}, Next: strconv.FormatInt(after, 10)}
	for _, x := range rs {
		c := strconv.FormatInt(x.Seq, 10)
		out.Items = append(out.Items, item{Code: x.Dossier.Code, Procedure: x.Dossier.Procedure, Office: x.Dossier.Office,
			CitizenID: x.Dossier.CitizenID, ReceiptNo: x.Dossier.ReceiptNo, PDFSHA256: x.Dossier.PDFSHA256,
			ReadyAt: x.At, Cursor: c})
		out.Next = c
	}
	writeJSON(w, http.StatusOK, out)
}

// signedDossier fetches a dossier whose signed PDF exists.
func (s *Server) signedDossier(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (catalog.Dossier, bool) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	if d.PDFKey == "" {
		problem(w, http.StatusConflict, fmt.Sprintf("dossier %s is %s: not signed yet", d.Code, d.Status))
		return d, false
	}
	return d, true
}

// signedManifest fetches a signed dossier and the manifest the sign stage
// stored beside its PDF.
func (s *Server) signedManifest(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (catalog.Dossier, *pipeline.Manifest, bool) {
	d, ok := s.signedDossier(w, r, cl)
	if !ok {
		return d, nil, false
	}
	rc, err := s.cfg.Store.Get(r.Context(), storage.SignedManifestKey(d.Code, d.PDFSHA256))
	if err != nil {
		s.fail(w, r, err)
		return d, nil, false
	}
	defer rc.Close()
	var m pipeline.Manifest
	if err := json.NewDecoder(io.LimitReader(rc, 256<<20)).Decode(&m); err != nil {
		s.fail(w, r, fmt.Errorf("manifest of dossier %s: %w", d.Code, err))
		return d, nil, false
	}
	return d, &m, true
}

// metadata is the dossier's manifest: every page's report (orientation,
// warnings, confidence, text and word boxes), the tools and models that
// made it, and the signature; with, in place of the metadata the manifest
// was signed with, the dossier's current metadata (what its documents say
// and the register's verdict, newer than the manifest's when the register
// answered only after signing) and where its reconciliation stands.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, m, ok := s.signedManifest(w, r, cl)
	if !ok {
		return
	}
	cur, err := s.cfg.Catalog.MetadataOf(r.Context(), d.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	md := m.Metadata
	if cur.Key != "" {
		if md, err = s.metadataDocument(r.Context(), d.Code, cur.Key); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	out := struct {
		Code      string `json:"code"`
		Procedure string `json:"procedure"`
		Office    string `json:"office"`
		CitizenID string `json:"citizen_id,omitempty"`
		ReceiptNo string `json:"receipt_no,omitempty"`
		*pipeline.Manifest
		// Metadata, at the outer level, is chosen over the manifest's.
		Metadata *pipeline.Metadata `json:"metadata,omitempty"`
		// ReconciliationStatus is the catalog's; Tries counts the
		// register's answers that left it pending, RetryAt when it is
		// asked again while pending.
		ReconciliationStatus  string     `json:"reconciliation_status,omitempty"`
		ReconciliationTries   int        `json:"reconciliation_tries,omitempty"`
		ReconciliationRetryAt *time.Time `json:"reconciliation_retry_at,omitempty"`
	}{Code: d.Code, Procedure: d.Procedure, Office: d.Office, CitizenID: d.CitizenID, ReceiptNo: d.ReceiptNo, Manifest: m,
		Metadata: md, ReconciliationStatus: cur.Status, ReconciliationTries: cur.Tries}
	if cur.Status == catalog.ReconcilePending {
		out.ReconciliationRetryAt = &cur.After
	}
	if s.record(w, r, d.Code, cl, "read-metadata", nil) {
		writeJSON(w, http.StatusOK, out)
	}
}

// metadataDocument reads the metadata document stored under key.
func (s *Server) metadataDocument(ctx context.Context, code, key string) (*pipeline.Metadata, error) {
	rc, err := s.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("metadata of dossier %s: %w", code, err)
	}
	defer rc.Close()
	var md pipeline.Metadata
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&md); err != nil {
		return nil, fmt.Errorf("metadata %s of dossier %s: %w", key, code, err)
	}
	return &md, nil
}

// text is each PDF page's recognised text.
func (s *Server) text(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, m, ok := s.signedManifest(w, r, cl)
	if !ok {
		return
	}
	type page struct {
		Page       int      `json:"page"`
		Original   string   `json:"original_sha256"`
		SourcePage int      `json:"source_page"`
		Confidence float64  `json:"ocr_confidence"`
		Warnings   []string `json:"warnings,omitempty"`
		Text       string   `json:"text"`
	}
	out := struct {
		Code  string `json:"code"`
		Pages []page `json:"pages"`
	}{Code: d.Code, Pages: []page{}}
	for _, p := range m.Pages {
		out.Pages = append(out.Pages, page{Page: p.Page, Original: p.SHA256, SourcePage: p.SourcePage,
			Confidence: p.OCRConfidence, Warnings: p.Warnings, Text: p.Text})
	}
	if s.record(w, r, d.Code, cl, "read-text", nil) {
		writeJSON(w, http.StatusOK, out)
	}
}

// pdfLink hands out a short-lived URL of the signed PDF.
func (s *Server) pdfLink(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, ok := s.signedDossier(w, r, cl)
	if !ok {
		return
	}
	exp := time.Now().Add(s.cfg.UploadExpiry).UTC().Truncate(time.Second)
	// The link is recorded, and so, by download, is each use of it.
	if !s.record(w, r, d.Code, cl, "pdf-link", map[string]any{"sha256": d.PDFSHA256}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url": s.signDownload(d, actor(cl), exp), "sha256": d.PDFSHA256, "expires": exp,
	})
}

// ack records that the workflow system has taken the dossier over.
// Acknowledging again is not an error.
func (s *Server) ack(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.cfg.Catalog.Move(r.Context(), d.Code, catalog.Signed, catalog.Delivered, actor(cl), nil)
	if errors.Is(err, catalog.ErrIllegalMove) {
		if d, err = s.cfg.Catalog.Get(r.Context(), d.Code); err == nil && d.Status != catalog.Delivered {
			problem(w, http.StatusConflict, fmt.Sprintf("dossier %s is %s: only a signed dossier is picked up", d.Code, d.Status))
			return
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeDossier(w, r, cl, d.Code, http.StatusOK)
}

// record logs an access in the dossier's trail before it happens. When it
// cannot, it refuses the request (503) and reports false: nothing is read
// that the trail does not name.
func (s *Server) record(w http.ResponseWriter, r *http.Request, code string, cl *catalog.Token, action string, detail map[string]any) bool {
	if err := s.cfg.Catalog.Record(r.Context(), code, actor(cl), action, detail); err != nil {
		s.unrecorded(w, r, code, err)
		return false
	}
	return true
}
