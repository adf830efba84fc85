package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// upload takes a page sent to a URL the store signed when the store has
// no server of its own (the local store): the store checks the signature
// and keeps the bytes.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	us, ok := s.cfg.Store.(storage.UploadServer)
	if !ok {
		problem(w, http.StatusNotFound, "uploads go straight to object storage")
		return
	}
	if err := us.ServeUpload(w, r); err != nil {
		s.fail(w, r, err)
	}
}

// Downloads of dossier PDFs come through this server whatever the store,
// so that every download, not only the link, is in the dossier's trail:
// GET /v1/downloads/CODE/pdf?sha256=H&actor=A&expires=UNIX&sig=HMAC, the
// HMAC over dossier, PDF hash, who asked for the link, and expiry.

func (s *Server) downloadSignature(code, sum, who string, exp int64) string {
	m := hmac.New(sha256.New, s.cfg.URLSecret)
	fmt.Fprintf(m, "GET\n%s\n%s\n%s\n%d", code, sum, who, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) signDownload(d catalog.Dossier, who string, exp time.Time) string {
	q := url.Values{}
	q.Set("sha256", d.PDFSHA256)
	q.Set("actor", who)
	q.Set("expires", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", s.downloadSignature(d.Code, d.PDFSHA256, who, exp.Unix()))
	return s.cfg.BaseURL + "/v1/downloads/" + d.Code + "/pdf?" + q.Encode()
}

// download serves a dossier's signed PDF under a link pdfLink signed,
// recording the download first: when it cannot be recorded, nothing is
// sent.
func (s *Server) download(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	code, q := r.PathValue("code"), r.URL.Query()
	sum, who := q.Get("sha256"), q.Get("actor")
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("sig")), []byte(s.downloadSignature(code, sum, who, exp))) {
		problem(w, http.StatusForbidden, "download URL signature does not match")
		return
	}
	if time.Now().Unix() > exp {
		problem(w, http.StatusForbidden, "download URL expired: ask for a new one")
		return
	}
	// A link lives no longer than the token it was given to.
	_, name, _ := strings.Cut(who, ":")
	if err := s.cfg.Catalog.Active(r.Context(), name); errors.Is(err, catalog.ErrBadToken) {
		problem(w, http.StatusForbidden, "the token this link was given to is revoked")
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.cfg.Catalog.Get(r.Context(), code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.PDFKey == "" || d.PDFSHA256 != sum {
		problem(w, http.StatusNotFound, fmt.Sprintf("dossier %s has no signed PDF %s", code, sum))
		return
	}
	rc, err := s.cfg.Store.Get(r.Context(), d.PDFKey)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	if err := s.cfg.Catalog.Record(r.Context(), code, who, "download-pdf", map[string]any{"sha256": sum}); err != nil {
		s.unrecorded(w, r, code, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", code+".pdf"))
	w.Header().Set("X-Content-SHA256", sum)
	send(w, rc)
}

// send copies r to w with a write deadline on each 64 KiB: a client on a
// slow link may read at a few KiB/s, but one that stops reading does not
// hold the connection, the file and the store's stream for ever. The
// server has no whole-response deadline, which would cut a large PDF on
// a commune's link.
// The status is sent by then: a failure midway can only end the
// connection, which net/http does.
func send(w http.ResponseWriter, r io.Reader) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// unrecorded refuses an access the trail could not record: an auditor
// must be able to rely on the trail naming every read.
func (s *Server) unrecorded(w http.ResponseWriter, r *http.Request, code string, err error) {
	s.cfg.Log.Error("access not recorded, refused", "dossier", code, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "5")
	problem(w, http.StatusServiceUnavailable, "the access could not be recorded in the dossier's trail, so it was refused: try again")
}
