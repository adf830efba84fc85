package storage

// Uploads straight from scanner stations: optional capabilities a Store
// may offer, each a small interface that implementations assert at
// compile time (var _ storage.Presigner = (*Store)(nil)) and that callers
// find by type assertion, so that the HTTP service never imports a store's
// package. Whatever way the bytes come, they land on a staging key
// (StagingKey), never among the write-once originals: only the service,
// after checking them, makes an original of them.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Presigned is a request a scanner station makes without credentials: a
// Method (PUT) to URL with exactly Header, all of which the signature
// covers, so the station cannot change size, type or declared hash.
type Presigned struct {
	URL    string      `json:"url"`
	Method string      `json:"method"`
	Header http.Header `json:"headers"`
}

// Presigner is a Store that takes a page in one PUT a station sends
// without credentials.
type Presigner interface {
	// PresignPut signs the upload of exactly size bytes of contentType
	// hashing to sha256hex to key, which must be a StagingKey naming that
	// hash (ErrBadKey, ErrHashMismatch otherwise). The URL stops working
	// after expiry; other bytes, another length or type are refused, and
	// nothing is stored.
	PresignPut(ctx context.Context, key string, size int64, contentType, sha256hex string, expiry time.Duration) (Presigned, error)
}

// UploadServer is a Presigner with no server of its own (storage/local):
// the URLs it signs lead to the service, which hands the requests they
// bring to ServeUpload.
type UploadServer interface {
	Presigner
	// ServeUpload takes a PUT to a URL PresignPut signed and answers it:
	// 201 when the bytes are staged, a problem response when the URL or the
	// request is not what was signed. When storing fails for a reason of
	// the store's own, it answers nothing and returns the error, for the
	// caller to answer and log.
	ServeUpload(w http.ResponseWriter, r *http.Request) error
}

// Multiparter is a Store that takes a large page in parts, each sent
// without credentials, which a station on an unstable link can resume
// after a dropped connection: it asks which parts arrived and sends only
// the others. The parts are put together under the upload's MultipartKey,
// and only bytes that hash to the declared SHA-256 reach the scope's
// StagingKey.
type Multiparter interface {
	// StartMultipart begins an upload, for scope (a dossier code), of size
	// bytes of contentType hashing to sha256hex. It refuses with ErrExists
	// when the scope's staging key already holds those bytes. Starting an
	// upload of the same page to the same scope again drops the earlier
	// one, so that a scope holds one upload of a page.
	StartMultipart(ctx context.Context, scope, sha256hex string, size int64, contentType string) (Multipart, error)
	// PresignPart signs the PUT of part n (1 to m.Parts), of exactly its
	// length (Multipart.PartLen).
	PresignPart(ctx context.Context, m Multipart, n int, expiry time.Duration) (Presigned, error)
	// UploadedParts lists the parts the store holds; ErrNotFound once the
	// upload was completed, aborted or expired.
	UploadedParts(ctx context.Context, m Multipart) ([]Part, error)
	// CompleteMultipart puts the parts together and stages them under
	// StagingKey(m.Scope, m.SHA256): ErrIncomplete, keeping the upload,
	// while a part is missing or of the wrong length; ErrHashMismatch,
	// keeping nothing, when the bytes are not the declared ones; ErrExists
	// when the staging key already holds them (completing twice is
	// harmless).
	CompleteMultipart(ctx context.Context, m Multipart) error
	// AbortMultipart drops the upload and its parts; aborting one already
	// gone is not an error.
	AbortMultipart(ctx context.Context, m Multipart) error
}

// ErrIncomplete: CompleteMultipart was called before every part arrived.
// Nothing was lost; the station uploads the parts UploadedParts does not
// list and completes again.
var ErrIncomplete = errors.New("multipart upload is missing parts")

const (
	// MultipartPartSize is what a station sends per request: small enough
	// to resend cheaply over a rural link, above S3's 5 MiB minimum for all
	// but the last part. With MaxMultipartSize that is at most 640 parts,
	// well under S3's 10,000.
	MultipartPartSize = 8 << 20
	// MaxMultipartSize keeps an upload within what S3 copies in one
	// server-side step (5 GiB). No scanned page comes near it.
	MaxMultipartSize = 5 << 30
)

// Multipart is a resumable upload of one page. The station keeps it (or
// the service hands it back and forth); a store needs only Key and
// UploadID, everything else follows from Key (ResumeMultipart), so a
// stateless service can rebuild it from the two strings a station sends.
type Multipart struct {
	// SHA256 is the lower-case hex SHA-256 the station declared.
	SHA256 string `json:"sha256"`
	// Scope is whose upload it is (a dossier code): the bytes go to
	// StagingKey(Scope, SHA256), and only that dossier's routes may
	// resume or complete it.
	Scope string `json:"scope"`
	// Size is the declared length of the whole object in bytes.
	Size int64 `json:"size"`
	// Key is where the parts are put together (MultipartKey).
	Key string `json:"key"`
	// UploadID is the store's name for the upload.
	UploadID string `json:"upload_id"`
	// PartSize is the length of every part but the last, which holds the
	// rest (1 to PartSize bytes).
	PartSize int64 `json:"part_size"`
	// Parts is the number of parts, numbered 1 to Parts.
	Parts int `json:"parts"`
}

// Part is one part a store holds.
type Part struct {
	Number int    `json:"number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
}

// PartLen is the length part n (1-based) must have.
func (m Multipart) PartLen(n int) int64 {
	if n < m.Parts {
		return m.PartSize
	}
	return m.Size - int64(m.Parts-1)*m.PartSize
}

func (m Multipart) String() string { return m.Key + " (upload " + m.UploadID + ")" }

// NewMultipart describes the upload, for scope, of size bytes hashing to
// sha256hex: all of it but the UploadID, which the store gives when it
// starts the upload.
func NewMultipart(scope, sha256hex string, size int64) (Multipart, error) {
	if size < 1 || size > MaxMultipartSize {
		return Multipart{}, fmt.Errorf("multipart upload of %d bytes: want 1 to %d", size, int64(MaxMultipartSize))
	}
	key, err := MultipartKey(scope, sha256hex, size)
	if err != nil {
		return Multipart{}, err
	}
	return Multipart{SHA256: strings.ToLower(sha256hex), Scope: scope, Size: size, Key: key,
		PartSize: MultipartPartSize, Parts: int((size + MultipartPartSize - 1) / MultipartPartSize)}, nil
}

// ResumeMultipart rebuilds the upload a station names by its key and
// upload ID, the two strings it keeps: everything else follows from the
// key, so a station cannot change part size or count.
func ResumeMultipart(key, uploadID string) (Multipart, error) {
	if uploadID == "" {
		return Multipart{}, fmt.Errorf("%w: empty upload ID", ErrBadKey)
	}
	scope, sum, size, err := ParseMultipartKey(key)
	if err != nil {
		return Multipart{}, err
	}
	m, err := NewMultipart(scope, sum, size)
	if err != nil {
		return Multipart{}, fmt.Errorf("multipart key %q: %w: %v", key, ErrBadKey, err)
	}
	m.UploadID = uploadID
	return m, nil
}

// CheckPresignPut checks what a Presigner is asked to sign: a staging key
// (stations upload nowhere else), the SHA-256 that key names, a size in
// [0, max] and a content type. It returns the key's scope and hash.
func CheckPresignPut(key string, size, max int64, contentType, sha256hex string) (scope, sum string, err error) {
	scope, sum, err = ParseStagingKey(key)
	if err != nil {
		return "", "", fmt.Errorf("%w: stations upload only to staging", err)
	}
	if strings.ToLower(sha256hex) != sum {
		return "", "", fmt.Errorf("%w: declared %s, key names %s", ErrHashMismatch, sha256hex, sum)
	}
	if size < 0 || size > max || contentType == "" {
		return "", "", fmt.Errorf("need a size in [0, %d] and a content type, got %d and %q", max, size, contentType)
	}
	return scope, sum, nil
}
