package s3

// Resumable uploads of originals from scanner stations.
//
// A station on an unstable link uploads a large page in parts with presigned
// URLs, asks which parts arrived after a dropped connection, and sends only
// the missing ones. The parts go to a staging object in the derived bucket,
// not to the originals bucket: an original is locked the moment it exists,
// so bytes that turn out wrong must never get there. CompleteMultipart
// hashes the assembled staging object and only when it matches the SHA-256
// the station declared copies it, server-side and write-once, to the
// original's key.

import (
	"context"
	"crypto/rand"
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

	"github.com/minio/minio-go/v7"

	"github.com/sohoa/sohoa/storage"
)

// ErrIncomplete: CompleteMultipart was called before every part arrived.
// Nothing was lost; the station uploads the parts UploadedParts does not
// list and completes again.
var ErrIncomplete = errors.New("multipart upload is missing parts")

const (
	// stagingPrefix holds the staging objects, in the derived bucket.
	stagingPrefix = "uploads/"
	// partSize is what a station sends per request: small enough to resend
	// cheaply over a rural link, above S3's 5 MiB minimum for all but the
	// last part. With maxMultipart that is at most 640 parts, well under
	// S3's 10,000.
	partSize = 8 << 20
	// maxMultipart keeps an upload within one server-side part copy
	// (UploadPartCopy takes at most 5 GiB), so the original is copied in
	// one step. No scanned page comes near it.
	maxMultipart = maxSinglePut
)

// Multipart is a resumable upload of one original. The station keeps it
// (or the service hands it back and forth); the Store needs only Key and
// UploadID, everything else is derived from Key, so a stateless service can
// rebuild it from the two strings a station sends.
type Multipart struct {
	// SHA256 is the lower-case hex SHA-256 the station declared; the
	// original will be stored under storage.OriginalKey(SHA256).
	SHA256 string `json:"sha256"`
	// Size is the declared length of the whole object in bytes.
	Size int64 `json:"size"`
	// Key is the staging object, "uploads/<sha256>/<size>/<nonce>" in the
	// derived bucket.
	Key string `json:"key"`
	// UploadID is the S3 multipart upload ID of the staging object.
	UploadID string `json:"upload_id"`
	// PartSize is the length of every part but the last, which holds the
	// rest (1 to PartSize bytes).
	PartSize int64 `json:"part_size"`
	// Parts is the number of parts, numbered 1 to Parts.
	Parts int `json:"parts"`
}

// Part is one part the server holds.
type Part struct {
	Number int    `json:"number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
}

// partLen is the length part n (1-based) must have.
func (m Multipart) partLen(n int) int64 {
	if n < m.Parts {
		return m.PartSize
	}
	return m.Size - int64(m.Parts-1)*m.PartSize
}

func (m Multipart) String() string { return m.Key + " (upload " + m.UploadID + ")" }

// parseStaging derives a Multipart, all but UploadID, from its staging key.
func parseStaging(key string) (Multipart, error) {
	bad := fmt.Errorf("staging key %q: %w: want %s<64 hex>/<size>/<32 hex>", key, storage.ErrBadKey, stagingPrefix)
	segs := strings.Split(strings.TrimPrefix(key, stagingPrefix), "/")
	if !strings.HasPrefix(key, stagingPrefix) || len(segs) != 3 || storage.CheckKey(key) != nil {
		return Multipart{}, bad
	}
	h, sizeText, nonce := segs[0], segs[1], segs[2]
	if _, err := storage.OriginalKey(h); err != nil || strings.ToLower(h) != h {
		return Multipart{}, bad
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 1 || size > maxMultipart || strconv.FormatInt(size, 10) != sizeText {
		return Multipart{}, bad
	}
	if raw, err := hex.DecodeString(nonce); err != nil || len(raw) != 16 || strings.ToLower(nonce) != nonce {
		return Multipart{}, bad
	}
	return Multipart{
		SHA256: h, Size: size, Key: key,
		PartSize: partSize, Parts: int((size + partSize - 1) / partSize),
	}, nil
}

// multipart rebuilds m from its Key and UploadID alone, so fields a caller
// changed or left out do not matter.
func multipart(m Multipart) (Multipart, error) {
	if m.UploadID == "" {
		return Multipart{}, fmt.Errorf("%w: empty upload ID", storage.ErrBadKey)
	}
	d, err := parseStaging(m.Key)
	d.UploadID = m.UploadID
	return d, err
}

// StartMultipart begins a resumable upload of the original whose SHA-256 the
// station declares. It refuses with storage.ErrExists when that original is
// already stored, so a station does not upload a page twice. contentType is
// kept on the original, as with PresignPut.
//
// The staging key carries a random nonce, so two stations uploading the same
// page do not share parts; whichever completes second gets ErrExists.
// MinIO drops uploads left incomplete for longer than its
// stale_uploads_expiry (24 hours by default).
func (s *Store) StartMultipart(ctx context.Context, sha256hex string, size int64, contentType string) (_ Multipart, err error) {
	defer wrap(&err, "start multipart", sha256hex)
	orig, err := storage.OriginalKey(sha256hex)
	if err != nil {
		return Multipart{}, err
	}
	if size < 1 || size > maxMultipart || contentType == "" {
		return Multipart{}, fmt.Errorf("need a size in [1, %d] and a content type, got %d and %q", int64(maxMultipart), size, contentType)
	}
	if _, err := s.stat(ctx, orig); err == nil {
		return Multipart{}, fmt.Errorf("%w: %s", storage.ErrExists, orig)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return Multipart{}, err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return Multipart{}, err
	}
	h := strings.ToLower(sha256hex)
	m, err := parseStaging(fmt.Sprintf("%s%s/%d/%x", stagingPrefix, h, size, nonce))
	if err != nil {
		return Multipart{}, err
	}
	core := minio.Core{Client: s.c}
	m.UploadID, err = core.NewMultipartUpload(ctx, s.cfg.DerivedBucket, m.Key, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return Multipart{}, fmt.Errorf("staging %s: %w", m.Key, mapErr(err))
	}
	return m, nil
}

// PresignPart lets a station upload part n (1 to m.Parts) with a PUT to the
// returned URL, without credentials. The signature covers the upload ID, the
// part number and Content-Length, which must be exactly the part's length:
// a shorter part would make the upload uncompletable, a longer one would
// shift every later byte.
//
// Presigning is local; an aborted or unknown upload fails at the PUT (404).
func (s *Store) PresignPart(ctx context.Context, m Multipart, n int, expiry time.Duration) (_ Presigned, err error) {
	defer wrap(&err, fmt.Sprintf("presign part %d of", n), m.String())
	if m, err = multipart(m); err != nil {
		return Presigned{}, err
	}
	if n < 1 || n > m.Parts {
		return Presigned{}, fmt.Errorf("part number %d outside [1, %d]", n, m.Parts)
	}
	params := url.Values{}
	params.Set("uploadId", m.UploadID)
	params.Set("partNumber", strconv.Itoa(n))
	hdr := http.Header{}
	hdr.Set("Content-Length", strconv.FormatInt(m.partLen(n), 10))
	u, err := s.c.PresignHeader(ctx, http.MethodPut, s.cfg.DerivedBucket, m.Key, expiry, params, hdr)
	if err != nil {
		return Presigned{}, err
	}
	return Presigned{URL: u.String(), Method: http.MethodPut, Header: hdr}, nil
}

// UploadedParts lists the parts the server holds, by number, so a station
// whose link dropped resends only the others. storage.ErrNotFound when the
// upload was completed, aborted or expired.
func (s *Store) UploadedParts(ctx context.Context, m Multipart) (_ []Part, err error) {
	defer wrap(&err, "list parts of", m.String())
	if m, err = multipart(m); err != nil {
		return nil, err
	}
	return s.uploadedParts(ctx, m)
}

func (s *Store) uploadedParts(ctx context.Context, m Multipart) ([]Part, error) {
	core := minio.Core{Client: s.c}
	var parts []Part
	marker := 0
	for {
		res, err := core.ListObjectParts(ctx, s.cfg.DerivedBucket, m.Key, m.UploadID, marker, 1000)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, p := range res.ObjectParts {
			parts = append(parts, Part{Number: p.PartNumber, Size: p.Size, ETag: p.ETag})
		}
		if !res.IsTruncated {
			return parts, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// CompleteMultipart assembles the parts and stores them as the original
// storage.OriginalKey(m.SHA256), or nothing:
//
//  1. With a part missing or of the wrong length it returns ErrIncomplete
//     and keeps the upload, so the station can resume.
//  2. It completes the staging object and reads it back, hashing it. When
//     the bytes do not hash to the declared SHA-256 or have the wrong
//     length, it deletes the staging object and returns
//     storage.ErrHashMismatch.
//  3. It copies the staging object server-side to the original, with the
//     COMPLIANCE retention and x-amz-meta-sha256 that Put gives, and
//     If-None-Match: * so that an existing original is never replaced, then
//     deletes the staging object.
//
// When the original already exists (another station uploaded the same page,
// or this upload was completed before) it discards the upload and returns
// storage.ErrExists, which tells a station the page is stored: completing
// twice is harmless. A call interrupted after step 2 can be repeated and
// goes on from the staging object.
func (s *Store) CompleteMultipart(ctx context.Context, m Multipart) (err error) {
	defer wrap(&err, "complete", m.String())
	if m, err = multipart(m); err != nil {
		return err
	}
	orig, _ := storage.OriginalKey(m.SHA256)
	if _, err := s.stat(ctx, orig); err == nil {
		if err := s.discard(ctx, m); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", storage.ErrExists, orig)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}

	parts, err := s.uploadedParts(ctx, m)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		// No upload: completed by an earlier call that stopped before
		// the copy (the staging object says so), or aborted.
	case err != nil:
		return err
	default:
		if err := s.completeStaging(ctx, m, parts); err != nil {
			return err
		}
	}

	src, err := s.verifyStaging(ctx, m)
	if err != nil {
		return err
	}
	if err := s.copyOriginal(ctx, m, src, orig); err != nil {
		if errors.Is(err, storage.ErrExists) {
			err = errors.Join(err, s.removeStaging(ctx, m))
		}
		return err
	}
	if err := s.removeStaging(ctx, m); err != nil {
		return fmt.Errorf("original %s stored, but: %w", orig, err)
	}
	return nil
}

// completeStaging turns the parts into the staging object, after checking
// that each of 1..m.Parts is there with its length: S3 would happily
// complete a subset, which then fails the hash and loses the station's work.
func (s *Store) completeStaging(ctx context.Context, m Multipart, parts []Part) error {
	have := make(map[int]Part, len(parts))
	for _, p := range parts {
		have[p.Number] = p
	}
	var missing []string
	complete := make([]minio.CompletePart, 0, m.Parts)
	for n := 1; n <= m.Parts; n++ {
		p, ok := have[n]
		if !ok || p.Size != m.partLen(n) {
			missing = append(missing, strconv.Itoa(n))
			continue
		}
		complete = append(complete, minio.CompletePart{PartNumber: n, ETag: p.ETag})
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d of %d parts missing or of the wrong length: %s", ErrIncomplete, len(missing), m.Parts, strings.Join(missing, ", "))
	}
	core := minio.Core{Client: s.c}
	if _, err := core.CompleteMultipartUpload(ctx, s.cfg.DerivedBucket, m.Key, m.UploadID, complete, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("assemble staging object: %w", mapErr(err))
	}
	return nil
}

// verifyStaging hashes the staging object and returns what it hashed, whose
// ETag pins the copy to exactly these bytes. On a mismatch it deletes the
// staging object.
func (s *Store) verifyStaging(ctx context.Context, m Multipart) (minio.ObjectInfo, error) {
	obj, err := s.c.GetObject(ctx, s.cfg.DerivedBucket, m.Key, minio.GetObjectOptions{})
	if err != nil {
		return minio.ObjectInfo{}, mapErr(err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return minio.ObjectInfo{}, fmt.Errorf("no upload and no staging object: %w", mapErr(err))
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(obj, m.Size+1))
	if err != nil {
		return minio.ObjectInfo{}, fmt.Errorf("read staging object: %w", mapErr(err))
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != m.Size || got != m.SHA256 {
		err := fmt.Errorf("%w: declared %s (%d bytes), uploaded %s (%d bytes)", storage.ErrHashMismatch, m.SHA256, m.Size, got, n)
		return minio.ObjectInfo{}, errors.Join(err, s.removeStaging(ctx, m))
	}
	return info, nil
}

// copyOriginal copies the verified staging object to the original,
// server-side. Not with CopyObject: MinIO ignores If-None-Match on it and
// adds a second version over an existing original (tried on the MinIO the
// tests run). A one-part multipart copy honours If-None-Match at initiation
// and, atomically, at completion; x-amz-copy-source-if-match pins the source
// to the ETag that was hashed.
func (s *Store) copyOriginal(ctx context.Context, m Multipart, src minio.ObjectInfo, orig string) error {
	core := minio.Core{Client: s.c}
	opts := minio.PutObjectOptions{
		ContentType:     src.ContentType,
		UserMetadata:    map[string]string{"sha256": m.SHA256},
		Mode:            minio.Compliance,
		RetainUntilDate: time.Now().Add(s.cfg.Retention).UTC(),
	}
	opts.SetMatchETagExcept("*")
	id, err := core.NewMultipartUpload(ctx, s.cfg.OriginalsBucket, orig, opts)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", orig, mapErr(err))
	}
	part, err := core.CopyObjectPart(ctx, s.cfg.DerivedBucket, m.Key, s.cfg.OriginalsBucket, orig, id, 1, 0, src.Size,
		map[string]string{"x-amz-copy-source-if-match": src.ETag})
	if err == nil {
		done := minio.PutObjectOptions{}
		done.SetMatchETagExcept("*")
		_, err = core.CompleteMultipartUpload(ctx, s.cfg.OriginalsBucket, orig, id, []minio.CompletePart{part}, done)
		err = mapErr(err) // 412 here is the original appearing meanwhile
	} else if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
		err = fmt.Errorf("staging object changed after it was hashed: %w", err)
	}
	if err != nil {
		// Nothing was stored; do not leave the parts in the locked bucket.
		if aerr := core.AbortMultipartUpload(ctx, s.cfg.OriginalsBucket, orig, id); aerr != nil && !noSuchUpload(aerr) {
			err = errors.Join(err, aerr)
		}
		return fmt.Errorf("copy to %s: %w", orig, err)
	}
	return nil
}

// AbortMultipart drops the upload and its parts (and a staging object left
// by an interrupted CompleteMultipart). Aborting an upload that is already
// gone is not an error, as MinIO itself answers it.
func (s *Store) AbortMultipart(ctx context.Context, m Multipart) (err error) {
	defer wrap(&err, "abort", m.String())
	if m, err = multipart(m); err != nil {
		return err
	}
	return s.discard(ctx, m)
}

// discard drops whatever the upload left: the parts, the staging object.
func (s *Store) discard(ctx context.Context, m Multipart) error {
	core := minio.Core{Client: s.c}
	err := core.AbortMultipartUpload(ctx, s.cfg.DerivedBucket, m.Key, m.UploadID)
	if noSuchUpload(err) {
		err = nil
	} else if err != nil {
		err = fmt.Errorf("abort: %w", mapErr(err))
	}
	return errors.Join(err, s.removeStaging(ctx, m))
}

// noSuchUpload reports whether an abort found no upload: S3 answers 404,
// which minio-go returns without the status code; MinIO answers 204.
func noSuchUpload(err error) bool {
	return err != nil && minio.ToErrorResponse(err).Code == minio.NoSuchUpload
}

func (s *Store) removeStaging(ctx context.Context, m Multipart) error {
	if err := s.c.RemoveObject(ctx, s.cfg.DerivedBucket, m.Key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove staging object: %w", mapErr(err))
	}
	return nil
}

// ResumeMultipart rebuilds the upload a station names by its staging key
// and upload ID, the two strings it keeps: everything else follows from
// the key, so a station cannot change part size or count.
func ResumeMultipart(key, uploadID string) (Multipart, error) {
	return multipart(Multipart{Key: key, UploadID: uploadID})
}
