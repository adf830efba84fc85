package local

// Uploads from scanner stations (storage.UploadServer). A filesystem has no
// server of its own to take a presigned PUT, so the service that holds the
// store takes it: PresignPut signs a URL under Options.UploadURL,
//
//	<UploadURL><scope>/<sha256>?size=N&type=T&expires=UNIX&sig=HMAC
//
// whose HMAC (SHA-256, Options.URLSecret) covers scope, hash, size, type
// and expiry, as a presigned S3 URL's signature does, and the service hands
// the PUTs that arrive there to ServeUpload. The bytes go to the scope's
// staging key, never straight to the originals.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// minURLSecret is the shortest URLSecret Open takes: a shorter HMAC key
// is guessable.
const minURLSecret = 32

// uploads is what PresignPut and ServeUpload need, from Options.
type uploads struct {
	base   string // UploadURL, ending in "/"
	secret []byte
}

func newUploads(opts Options) (*uploads, error) {
	if opts.UploadURL == "" && opts.URLSecret == nil {
		return nil, nil
	}
	if len(opts.URLSecret) < minURLSecret {
		return nil, fmt.Errorf("upload URLs need a secret of at least %d bytes, got %d", minURLSecret, len(opts.URLSecret))
	}
	base := opts.UploadURL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("upload URL %q: want an absolute URL without a query", opts.UploadURL)
	}
	return &uploads{base: base, secret: opts.URLSecret}, nil
}

func (u *uploads) signature(scope, sum string, size int64, ctype string, exp int64) string {
	m := hmac.New(sha256.New, u.secret)
	fmt.Fprintf(m, "PUT\n%s\n%s\n%d\n%s\n%d", scope, sum, size, ctype, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// PresignPut implements storage.Presigner. The URL leads to ServeUpload,
// by way of the service at Options.UploadURL.
func (s *Store) PresignPut(ctx context.Context, key string, size int64, contentType, sha256hex string, expiry time.Duration) (_ storage.Presigned, err error) {
	defer wrap(&err, "presign put", key)
	if s.uploads == nil {
		return storage.Presigned{}, errors.New("this store signs no upload URLs: open it with an UploadURL and a URLSecret")
	}
	scope, sum, err := storage.CheckPresignPut(key, size, math.MaxInt64, contentType, sha256hex)
	if err != nil {
		return storage.Presigned{}, err
	}
	exp := s.opts.Now().Add(expiry).Unix()
	q := url.Values{}
	q.Set("size", strconv.FormatInt(size, 10))
	q.Set("type", contentType)
	q.Set("expires", strconv.FormatInt(exp, 10))
	q.Set("sig", s.uploads.signature(scope, sum, size, contentType, exp))
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	return storage.Presigned{URL: s.uploads.base + scope + "/" + sum + "?" + q.Encode(), Method: http.MethodPut, Header: h}, nil
}

// ServeUpload implements storage.UploadServer. The bytes must be exactly
// the signed size and hash to the signed SHA-256, or nothing is stored.
func (s *Store) ServeUpload(w http.ResponseWriter, r *http.Request) error {
	if s.uploads == nil {
		problem(w, http.StatusNotFound, "this store signs no upload URLs")
		return nil
	}
	// The path ends in scope and hash, which the signature covers; what
	// comes before them is the service's business (a proxy may add to it).
	dir, sum := path.Split(r.URL.Path)
	scope := path.Base(dir)
	sum = strings.ToLower(sum)
	q := r.URL.Query()
	size, err1 := strconv.ParseInt(q.Get("size"), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	ctype := q.Get("type")
	if err1 != nil || err2 != nil ||
		!hmac.Equal([]byte(q.Get("sig")), []byte(s.uploads.signature(scope, sum, size, ctype, exp))) {
		problem(w, http.StatusForbidden, "upload URL signature does not match")
		return nil
	}
	if s.opts.Now().Unix() > exp {
		problem(w, http.StatusForbidden, "upload URL expired: ask for a new one")
		return nil
	}
	if r.Header.Get("Content-Type") != ctype {
		problem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q, signed for %q", r.Header.Get("Content-Type"), ctype))
		return nil
	}
	if r.ContentLength < 0 {
		problem(w, http.StatusLengthRequired, fmt.Sprintf("send Content-Length: %d", size))
		return nil
	}
	if r.ContentLength != size {
		problem(w, http.StatusBadRequest, fmt.Sprintf("content length %d, signed for %d", r.ContentLength, size))
		return nil
	}
	// A server's read timeout is for requests of a few KiB; a page on a
	// commune's link may take minutes, so its own deadline is the URL's
	// expiry: a page that trickles in is cut off then.
	http.NewResponseController(w).SetReadDeadline(time.Unix(exp, 0).Add(time.Minute))
	key, err := storage.StagingKey(scope, sum)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return nil
	}
	err = s.Put(r.Context(), key, http.MaxBytesReader(w, r.Body, size), size, sum)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.Is(err, storage.ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, "uploaded bytes do not hash to the declared SHA-256; nothing was stored")
	default:
		return err
	}
	return nil
}

// problem answers with an RFC 9457 problem document, as the service
// answers everything else.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
	})
}
