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

// The local store's uploads come to this server: a PUT to
// /v1/uploads/SHA256?size=N&type=T&expires=UNIX&sig=HMAC, where the HMAC
// (SHA-256, the server's upload secret) covers hash, size, type and
// expiry, as a presigned S3 URL's signature does.

func (s *Server) uploadSignature(sum string, size int64, ctype string, exp int64) string {
	m := hmac.New(sha256.New, s.cfg.URLSecret)
	fmt.Fprintf(m, "PUT\n%s\n%d\n%s\n%d", sum, size, ctype, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) signLocalUpload(u uploadRequest, exp time.Time) storage.Presigned {
	sum := strings.ToLower(u.SHA256)
	q := url.Values{}
	q.Set("size", strconv.FormatInt(u.Size, 10))
	q.Set("type", u.ContentType)
	q.Set("expires", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", s.uploadSignature(sum, u.Size, u.ContentType, exp.Unix()))
	h := http.Header{}
	h.Set("Content-Type", u.ContentType)
	h.Set("Content-Length", strconv.FormatInt(u.Size, 10))
	return storage.Presigned{URL: s.cfg.BaseURL + "/v1/uploads/" + sum + "?" + q.Encode(), Method: http.MethodPut, Header: h}
}

// upload takes a page for the local store. The bytes must be exactly the
// signed size and hash to the signed SHA-256, or nothing is stored.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	if s.cfg.Presigner != nil {
		problem(w, http.StatusNotFound, "uploads go straight to object storage")
		return
	}
	sum := strings.ToLower(r.PathValue("sha256"))
	q := r.URL.Query()
	size, err1 := strconv.ParseInt(q.Get("size"), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	ctype := q.Get("type")
	if err1 != nil || err2 != nil ||
		!hmac.Equal([]byte(q.Get("sig")), []byte(s.uploadSignature(sum, size, ctype, exp))) {
		problem(w, http.StatusForbidden, "upload URL signature does not match")
		return
	}
	if time.Now().Unix() > exp {
		problem(w, http.StatusForbidden, "upload URL expired: ask for a new one")
		return
	}
	if r.Header.Get("Content-Type") != ctype {
		problem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q, signed for %q", r.Header.Get("Content-Type"), ctype))
		return
	}
	if r.ContentLength < 0 {
		problem(w, http.StatusLengthRequired, fmt.Sprintf("send Content-Length: %d", size))
		return
	}
	if r.ContentLength != size {
		problem(w, http.StatusBadRequest, fmt.Sprintf("content length %d, signed for %d", r.ContentLength, size))
		return
	}
	// A page that trickles in is cut off when its URL expires.
	http.NewResponseController(w).SetReadDeadline(time.Unix(exp, 0).Add(time.Minute))
	key, err := storage.OriginalKey(sum)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return
	}
	err = s.cfg.Store.Put(r.Context(), key, http.MaxBytesReader(w, r.Body, size), size, sum)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.Is(err, storage.ErrExists):
		// Resumed or repeated upload of bytes already held.
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, "uploaded bytes do not hash to the declared SHA-256; nothing was stored")
	default:
		s.fail(w, r, err)
	}
}

// Downloads of the local store's PDFs, likewise: GET
// /v1/downloads/KEY?expires=UNIX&sig=HMAC over key and expiry.

func (s *Server) downloadSignature(key string, exp int64) string {
	m := hmac.New(sha256.New, s.cfg.URLSecret)
	fmt.Fprintf(m, "GET\n%s\n%d", key, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) signLocalDownload(key string, exp time.Time) string {
	q := url.Values{}
	q.Set("expires", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", s.downloadSignature(key, exp.Unix()))
	return s.cfg.BaseURL + "/v1/downloads/" + key + "?" + q.Encode()
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	if s.cfg.Presigner != nil {
		problem(w, http.StatusNotFound, "downloads come straight from object storage")
		return
	}
	key := r.PathValue("key")
	exp, err := strconv.ParseInt(r.URL.Query().Get("expires"), 10, 64)
	if err != nil || storage.CheckKey(key) != nil ||
		!hmac.Equal([]byte(r.URL.Query().Get("sig")), []byte(s.downloadSignature(key, exp))) {
		problem(w, http.StatusForbidden, "download URL signature does not match")
		return
	}
	if time.Now().Unix() > exp {
		problem(w, http.StatusForbidden, "download URL expired: ask for a new one")
		return
	}
	rc, err := s.cfg.Store.Get(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	if strings.HasSuffix(key, ".pdf") {
		w.Header().Set("Content-Type", "application/pdf")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	io.Copy(w, rc)
}
