package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/citizen"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/storage"
)

// dossierJSON is a dossier as the API shows it.
type dossierJSON struct {
	Code        string     `json:"code"`
	Procedure   string     `json:"procedure"`
	Office      string     `json:"office"`
	Queue       string     `json:"queue"`
	CitizenID   string     `json:"citizen_id,omitempty"`
	ReceiptNo   string     `json:"receipt_no,omitempty"`
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
	Position int      `json:"position"`
	SHA256   string   `json:"sha256"`
	Size     int64    `json:"size"`
	Stage    string   `json:"stage"`
	Status   string   `json:"status"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func (s *Server) dossierView(ctx context.Context, d catalog.Dossier) (dossierJSON, error) {
	pages, err := s.cfg.Catalog.Pages(ctx, d.Code)
	if err != nil {
		return dossierJSON{}, err
	}
	out := dossierJSON{Code: d.Code, Procedure: d.Procedure, Office: d.Office, Queue: d.Queue,
		CitizenID: d.CitizenID, ReceiptNo: d.ReceiptNo,
		Status: string(d.Status), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PDFSHA256: d.PDFSHA256,
		Pages: []pageJSON{}}
	if !d.SubmittedAt.IsZero() {
		out.SubmittedAt = &d.SubmittedAt
	}
	for _, p := range pages {
		out.Pages = append(out.Pages, pageJSON{Position: p.Position, SHA256: p.SHA256, Size: p.Size,
			Stage: p.Stage, Status: string(p.Status), Warnings: p.Warnings, Error: p.Error})
	}
	if d.Status == catalog.Failed {
		evs, err := s.cfg.Catalog.Events(ctx, d.Code)
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

// writeDossier answers with the dossier as it now stands.
func (s *Server) writeDossier(w http.ResponseWriter, r *http.Request, cl *catalog.Token, code string, status int) {
	d, err := s.dossierFor(r.Context(), cl, code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.dossierView(r.Context(), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

// maxStream bounds one progress stream.
const maxStream = 30 * time.Minute

// vietnam is the time zone dossier codes are dated in.
var vietnam = time.FixedZone("ICT", 7*3600)

// createDossier opens a dossier for the operator's office and gives it
// its code, OFFICE-YYMMDD-NNNN.
func (s *Server) createDossier(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	var req struct {
		Procedure string `json:"procedure"`
		Office    string `json:"office"`
		Queue     string `json:"queue"`
		CitizenID string `json:"citizen_id"`
		ReceiptNo string `json:"receipt_no"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	office := cl.Office
	if cl.Role == catalog.RoleAdmin {
		office = req.Office
	} else if req.Office != "" && req.Office != cl.Office {
		problem(w, http.StatusForbidden, fmt.Sprintf("this token works for office %s, not %s", cl.Office, req.Office))
		return
	}
	if err := catalog.CheckOffice(office); err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if req.Procedure == "" || len(req.Procedure) > 64 {
		problem(w, http.StatusUnprocessableEntity, "procedure: the procedure (TTHC) code is required, at most 64 bytes")
		return
	}
	// Every text field is checked before a code is given out: a value the
	// database refuses must not cost a number in the office's sequence.
	for _, f := range []struct{ name, v string }{{"procedure", req.Procedure}, {"receipt_no", req.ReceiptNo}} {
		if err := checkText(f.v); err != nil {
			problem(w, http.StatusUnprocessableEntity, f.name+": "+err.Error())
			return
		}
	}
	if req.Queue != "" && req.Queue != catalog.QueueDesk && req.Queue != catalog.QueueBulk {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("queue %q: want %q or %q", req.Queue, catalog.QueueDesk, catalog.QueueBulk))
		return
	}
	if req.CitizenID != "" {
		if _, err := citizen.ParseID(req.CitizenID, time.Now()); err != nil {
			problem(w, http.StatusUnprocessableEntity, "citizen_id: "+err.Error())
			return
		}
	}
	if len(req.ReceiptNo) > 64 {
		problem(w, http.StatusUnprocessableEntity, "receipt_no: at most 64 bytes")
		return
	}
	code, err := s.cfg.Catalog.NextCode(r.Context(), office, time.Now().In(vietnam))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.cfg.Catalog.CreateDossier(r.Context(), catalog.Dossier{Code: code, Procedure: req.Procedure,
		Office: office, Queue: req.Queue, CitizenID: req.CitizenID, ReceiptNo: req.ReceiptNo}, actor(cl))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/dossiers/"+code)
	s.writeDossier(w, r, cl, code, http.StatusCreated)
}

func (s *Server) getDossier(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	s.writeDossier(w, r, cl, r.PathValue("code"), http.StatusOK)
}

// progress streams the dossier as server-sent events: one "dossier"
// event now and one whenever it changes, until it is signed, delivered
// or failed, or the client goes.
func (s *Server) progress(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	ctx := r.Context()
	code := r.PathValue("code")
	if _, err := s.dossierFor(ctx, cl, code); err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	var last []byte
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	// A stream lasts at most maxStream (the client reconnects), and a
	// client that stops reading is dropped after a write stalls.
	end := time.Now().Add(maxStream)
	for time.Now().Before(end) {
		// A token revoked while the stream is open ends it at the next
		// tick, as it would refuse the next request.
		if err := s.cfg.Catalog.Active(ctx, cl.Name); errors.Is(err, catalog.ErrBadToken) {
			rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(w, "event: error\ndata: {\"detail\":\"the API token is no longer valid\"}\n\n")
			rc.Flush()
			return
		} else if err != nil {
			return // the catalog is unreachable: the client reconnects
		}
		d, err := s.cfg.Catalog.Get(ctx, code)
		if err != nil {
			return
		}
		view, err := s.dossierView(ctx, d)
		if err != nil {
			return
		}
		b, _ := json.Marshal(view)
		if string(b) != string(last) {
			rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := fmt.Fprintf(w, "event: dossier\ndata: %s\n\n", b); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last = b
		}
		switch d.Status {
		case catalog.Signed, catalog.Delivered, catalog.Failed:
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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
	if u.Size <= 0 {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("size %d: a page has at least 1 byte", u.Size))
		return "", false
	}
	if u.Size > s.cfg.MaxPageBytes {
		problem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("size %d: a page is at most %d bytes", u.Size, s.cfg.MaxPageBytes))
		return "", false
	}
	return key, true
}

// uploading fetches the dossier for a change to its pages, which only
// one not yet submitted allows.
func (s *Server) uploading(w http.ResponseWriter, r *http.Request, cl *catalog.Token) (catalog.Dossier, bool) {
	d, err := s.dossierFor(r.Context(), cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	if d.Status != catalog.Created && d.Status != catalog.Uploading {
		problem(w, http.StatusConflict, fmt.Sprintf("dossier %s is %s: its pages change only before it is submitted", d.Code, d.Status))
		return d, false
	}
	return d, true
}

// requestUpload answers with where to PUT the page, or with exists: true
// when there is nothing to send: the dossier's staging already holds the
// bytes (a resumed station), or its office holds them as an original (a
// page shared by two of its dossiers). A scan only another office holds is
// answered as one nobody holds: the station sends the bytes, which proves
// it has them, and the answer tells nothing of other offices' scans.
func (s *Server) requestUpload(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	var req uploadRequest
	if !readJSON(w, r, &req) {
		return
	}
	// The dossier first: a client that may not touch it learns nothing
	// about what it would have accepted.
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return
	}
	key, ok := s.checkUpload(w, req)
	if !ok {
		return
	}
	sum := strings.ToLower(req.SHA256)
	resp := struct {
		Key     string             `json:"key"`
		Exists  bool               `json:"exists"`
		Upload  *storage.Presigned `json:"upload,omitempty"`
		Expires *time.Time         `json:"expires,omitempty"`
	}{Key: key}
	src, err := s.uploadedFor(r.Context(), d, sum)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if src != "" {
		resp.Exists = true
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if req.Multipart && s.multipart == nil {
		problem(w, http.StatusBadRequest, "this service's storage takes a page in one PUT; ask without multipart")
		return
	}
	if err := s.cfg.Catalog.ReserveUpload(r.Context(), d.Code, d.Office, sum, req.Size, s.cfg.OfficeQuota, s.cfg.StagingTTL); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Multipart {
		s.startMultipart(w, r, req, d.Code, key)
		return
	}
	exp := time.Now().Add(s.cfg.UploadExpiry).UTC().Truncate(time.Second)
	staged, err := storage.StagingKey(d.Code, sum)
	var p storage.Presigned
	if err == nil {
		p, err = s.presign.PresignPut(r.Context(), staged, req.Size, req.ContentType, sum, s.cfg.UploadExpiry)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.Upload, resp.Expires = &p, &exp
	writeJSON(w, http.StatusOK, resp)
}

// uploadedFor returns where dossier d may take the page with SHA-256 sum
// from without an upload: its staging key, when the station sent the
// bytes there, or the original, when d's office already holds it; "" when
// neither.
func (s *Server) uploadedFor(ctx context.Context, d catalog.Dossier, sum string) (string, error) {
	staged, err := storage.StagingKey(d.Code, sum)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.Stat(ctx, staged); err == nil {
		return staged, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	orig, err := storage.OriginalKey(sum)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.Stat(ctx, orig); errors.Is(err, storage.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	offices, err := s.cfg.Catalog.OriginalOffices(ctx, sum)
	if err != nil || !slices.Contains(offices, d.Office) {
		return "", err
	}
	return orig, nil
}

// takePage takes the page with SHA-256 sha for dossier d from where the
// station put it (or its office holds it) and checks it: its bytes must
// hash to sha and be a scan sohoa can read, with no more pages than a
// file may have. Then record records it; staged bytes become the
// original, write-once, only inside that recording (catalog.PageWrite),
// so that a page the catalog refuses leaves no original to keep for
// twenty years. It answers the request itself when any of it fails, and
// reports whether the page was recorded.
func (s *Server) takePage(w http.ResponseWriter, r *http.Request, cl *catalog.Token, d catalog.Dossier, sha string,
	record func(catalog.Page, catalog.PageWrite) error) bool {
	key, err := storage.OriginalKey(sha)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "sha256: want 64 hex digits")
		return false
	}
	sum := strings.ToLower(sha)
	release, ok := s.acquireHeavy(w, r, cl)
	if !ok {
		return false
	}
	defer release()
	src, err := s.uploadedFor(r.Context(), d, sum)
	var data []byte
	if err == nil && src != "" {
		data, err = s.readBounded(r, src, s.cfg.MaxPageBytes)
	}
	// Nothing staged, or swept while this request was on its way.
	if src == "" || errors.Is(err, storage.ErrNotFound) {
		problem(w, http.StatusConflict, fmt.Sprintf("dossier %s received no upload with SHA-256 %s: upload the page first", d.Code, sum))
		return false
	}
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("stored bytes do not hash to the declared SHA-256 %s", sum))
		return false
	}
	// Probe only (headers, page count, pixel and byte limits): a wrong
	// file is told to the operator now, not after it reached a worker.
	f, err := scan.OpenBytes(sum, data, scan.Options{MaxPages: s.cfg.MaxFramesPerFile})
	if err != nil {
		status := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, scan.ErrUnsupported):
			status = http.StatusUnsupportedMediaType
		case errors.Is(err, scan.ErrTooLarge):
			status = http.StatusRequestEntityTooLarge
		}
		problem(w, status, "not a readable scan: "+err.Error())
		return false
	}
	// And a glance at its first page, so that a blank page or one
	// scanned too coarse is told while the citizen is still at the desk,
	// not after submission (the page stage later says the rest: turned,
	// blurred, poorly read).
	// A page whose pixels do not decode is recorded all the same: its
	// page task fails it, naming the fault, as for any other.
	warnings, _ := glance(f.Format, sum, data)
	p := catalog.Page{OriginalKey: key, SHA256: sum, Size: int64(len(data)), Frames: f.Pages, Warnings: warnings}
	pw := catalog.PageWrite{MaxFrames: s.cfg.MaxDossierPages}
	if src != key {
		pw.Keep = func() error {
			// Stored already (another dossier's page, an earlier
			// attempt) is as good.
			err := s.cfg.Store.Put(r.Context(), key, bytes.NewReader(data), int64(len(data)), sum)
			if errors.Is(err, storage.ErrExists) {
				return nil
			}
			return err
		}
	}
	if err := record(p, pw); err != nil {
		s.fail(w, r, err)
		return false
	}
	s.unstage(r.Context(), d.Code, sum)
	return true
}

// glanceMaxPixels bounds the pages confirm glances at: an A4 page at
// 300 dpi has 8.7 million pixels; a larger page, and any image-only PDF
// (whose decoding holds several copies of the image), waits for its page
// task's warnings, so that a confirm holds little more than the file.
const glanceMaxPixels = 40_000_000

// glance decodes the file's first page for pipeline.Glance; the raster is
// dropped before the page is recorded. PDFs and pages over glanceMaxPixels
// get no warnings here.
func glance(format, sum string, data []byte) ([]string, error) {
	if format == "pdf" {
		return nil, nil
	}
	f, err := scan.OpenBytes(sum, data, scan.Options{MaxPixels: glanceMaxPixels})
	if err != nil {
		return nil, err
	}
	first, err := f.Page(1)
	if err != nil {
		return nil, err
	}
	return pipeline.Glance(first), nil
}

// unstage drops an upload's staging copy and reservation once its page is
// recorded. A failure costs only space until Sweep: the original is kept.
func (s *Server) unstage(ctx context.Context, code, sum string) {
	if staged, err := storage.StagingKey(code, sum); err == nil {
		if err := s.cfg.Store.Delete(ctx, staged); err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.cfg.Log.Warn("drop staged upload", "dossier", code, "sha256", sum, "err", err)
		}
	}
	if err := s.cfg.Catalog.ReleaseUpload(ctx, code, sum); err != nil {
		s.cfg.Log.Warn("release upload", "dossier", code, "sha256", sum, "err", err)
	}
}

// confirmPage accepts an uploaded original as page position.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
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
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return
	}
	ok = s.takePage(w, r, cl, d, req.SHA256, func(p catalog.Page, pw catalog.PageWrite) error {
		p.Position = req.Position
		_, err := s.cfg.Catalog.AddPageWith(r.Context(), d.Code, p, actor(cl), pw)
		if errors.Is(err, catalog.ErrExists) {
			// The same page confirmed again (a retry after a lost
			// answer) is not an error; another page at that position,
			// or this page at another, is.
			if cur, perr := s.cfg.Catalog.Page(r.Context(), d.Code, req.Position); perr == nil && cur.SHA256 == p.SHA256 {
				err = nil
			}
		}
		return err
	})
	if ok {
		s.writeDossier(w, r, cl, d.Code, http.StatusOK)
	}
}

// replacePage puts a re-scan in place of a page, before submission.
func (s *Server) replacePage(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	pos, ok := position(w, r)
	if !ok {
		return
	}
	var req struct {
		SHA256 string `json:"sha256"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return
	}
	ok = s.takePage(w, r, cl, d, req.SHA256, func(p catalog.Page, pw catalog.PageWrite) error {
		return s.cfg.Catalog.ReplacePageWith(r.Context(), d.Code, pos, p, actor(cl), pw)
	})
	if ok {
		s.writeDossier(w, r, cl, d.Code, http.StatusOK)
	}
}

func (s *Server) deletePage(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	pos, ok := position(w, r)
	if !ok {
		return
	}
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return
	}
	if err := s.cfg.Catalog.DeletePage(r.Context(), d.Code, pos, actor(cl)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeDossier(w, r, cl, d.Code, http.StatusOK)
}

func (s *Server) reorderPages(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	var req struct {
		Order []int `json:"order"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	d, ok := s.uploading(w, r, cl)
	if !ok {
		return
	}
	if err := s.cfg.Catalog.ReorderPages(r.Context(), d.Code, req.Order, actor(cl)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeDossier(w, r, cl, d.Code, http.StatusOK)
}

// submit hands the dossier to the workers. Submitting it again is not an
// error and queues nothing: the dossier is processed once.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, cl *catalog.Token) {
	ctx := r.Context()
	d, err := s.dossierFor(ctx, cl, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.cfg.Catalog.Move(ctx, d.Code, catalog.Uploading, catalog.Submitted, actor(cl), nil)
	if errors.Is(err, catalog.ErrIllegalMove) {
		if d, err = s.cfg.Catalog.Get(ctx, d.Code); err != nil {
			s.fail(w, r, err)
			return
		}
		if d.Status == catalog.Created || d.Status == catalog.Uploading {
			problem(w, http.StatusConflict, fmt.Sprintf("dossier %s has no pages to submit", d.Code))
			return
		}
		s.writeDossier(w, r, cl, d.Code, http.StatusOK) // already submitted
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Should this fail, the dossier is submitted all the same and the
	// workers' reconciler queues its pages.
	code := d.Code
	if d, err = s.cfg.Catalog.Get(ctx, code); err == nil {
		var pages []catalog.Page
		if pages, err = s.cfg.Catalog.Pages(ctx, code); err == nil {
			_, err = s.cfg.Queue.Pages(ctx, d, pages)
		}
	}
	if err != nil {
		s.cfg.Log.Warn("submit: queueing failed; the reconciler will queue the pages", "dossier", code, "err", err)
	}
	s.writeDossier(w, r, cl, code, http.StatusAccepted)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Queue.Ping(); err != nil {
		problem(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	}
	if _, err := s.cfg.Store.List(ctx, storage.HealthPrefix); err != nil {
		problem(w, http.StatusServiceUnavailable, "storage: "+err.Error())
		return
	}
	if _, err := s.cfg.Catalog.Get(ctx, "health-probe"); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		problem(w, http.StatusServiceUnavailable, "catalog: "+err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkText refuses what has no place in a short text field a person
// typed: bytes that are not UTF-8, control characters (NUL among them,
// which PostgreSQL refuses), invisible format characters such as the
// bidirectional overrides that make a value read differently than it is
// stored, line and paragraph separators, and private-use characters.
func checkText(v string) error {
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8")
	}
	for i, c := range v {
		if unicode.In(c, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) {
			return fmt.Errorf("character %U at byte %d is a control or formatting character", c, i)
		}
	}
	return nil
}
