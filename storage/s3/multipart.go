package s3

// Resumable uploads of originals from scanner stations.
//
// A station on an unstable link uploads a large page in parts with presigned
// URLs, asks which parts arrived after a dropped connection, and sends only
// the missing ones. The parts go to a multipart object in the derived
// bucket, never to the originals bucket: an original is locked the moment
// it exists, so bytes that turn out wrong, or that nobody confirms, must
// never get there. CompleteMultipart hashes the assembled object and only
// when it matches the SHA-256 the station declared copies it, server-side,
// to the upload's staging key (storage.StagingKey), where it waits for the
// station's confirmation like a page sent in one PUT.

import (
	"context"
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
	// stagingPrefix holds the multipart objects, in the derived bucket.
	stagingPrefix = "uploads/"
	// partSize is what a station sends per request: small enough to resend
	// cheaply over a rural link, above S3's 5 MiB minimum for all but the
	// last part. With maxMultipart that is at most 640 parts, well under
	// S3's 10,000.
	partSize = 8 << 20
	// maxMultipart keeps an upload within one server-side part copy
	// (a server-side copy takes at most 5 GiB), so the upload is copied in
	// one step. No scanned page comes near it.
	maxMultipart = maxSinglePut
)

// Multipart is a resumable upload of one original. The station keeps it
// (or the service hands it back and forth); the Store needs only Key and
// UploadID, everything else is derived from Key, so a stateless service can
// rebuild it from the two strings a station sends.
type Multipart struct {
	// SHA256 is the lower-case hex SHA-256 the station declared.
	SHA256 string `json:"sha256"`
	// Scope is whose upload it is (a dossier code): the bytes go to
	// storage.StagingKey(Scope, SHA256), and only that dossier's routes
	// may resume or complete it.
	Scope string `json:"scope"`
	// Size is the declared length of the whole object in bytes.
	Size int64 `json:"size"`
	// Key is the multipart object,
	// "uploads/<scope>/<sha256>/<size>/<tag>" in the derived bucket, the
	// tag derived from the rest (uploadTag).
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
	bad := fmt.Errorf("multipart key %q: %w: want %s<scope>/<64 hex>/<size>/<32 hex>", key, storage.ErrBadKey, stagingPrefix)
	segs := strings.Split(strings.TrimPrefix(key, stagingPrefix), "/")
	if !strings.HasPrefix(key, stagingPrefix) || len(segs) != 4 || storage.CheckKey(key) != nil {
		return Multipart{}, bad
	}
	scope, h, sizeText, tag := segs[0], segs[1], segs[2], segs[3]
	if _, err := storage.StagingKey(scope, h); err != nil || strings.ToLower(h) != h {
		return Multipart{}, bad
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 1 || size > maxMultipart || strconv.FormatInt(size, 10) != sizeText {
		return Multipart{}, bad
	}
	if tag != uploadTag(scope, h, size) {
		return Multipart{}, bad
	}
	return Multipart{
		SHA256: h, Scope: scope, Size: size, Key: key,
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

// StartMultipart begins a resumable upload, for scope (a dossier code), of
// the page whose SHA-256 the station declares. It refuses with
// storage.ErrExists when the scope's staging key already holds those
// bytes, so a station does not upload a page twice. contentType is kept on
// the staged object.
//
// An upload started again for the same scope and page drops the earlier
// one and its parts (the key is the same, so MinIO, which lists uploads by
// exact key only, finds them), so that the scope holds at most one upload
// of a page: what the service's quota counts. MinIO drops uploads left
// incomplete for longer than its stale_uploads_expiry (24 hours by
// default).
func (s *Store) StartMultipart(ctx context.Context, scope, sha256hex string, size int64, contentType string) (_ Multipart, err error) {
	defer wrap(&err, "start multipart", sha256hex)
	dst, err := storage.StagingKey(scope, sha256hex)
	if err != nil {
		return Multipart{}, err
	}
	if size < 1 || size > maxMultipart || contentType == "" {
		return Multipart{}, fmt.Errorf("need a size in [1, %d] and a content type, got %d and %q", int64(maxMultipart), size, contentType)
	}
	if _, err := s.stat(ctx, dst); err == nil {
		return Multipart{}, fmt.Errorf("%w: %s", storage.ErrExists, dst)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return Multipart{}, err
	}
	h := strings.ToLower(sha256hex)
	m, err := parseStaging(fmt.Sprintf("%s%s/%s/%d/%s", stagingPrefix, scope, h, size, uploadTag(scope, h, size)))
	if err != nil {
		return Multipart{}, err
	}
	if err := s.abortUploads(ctx, m.Key); err != nil {
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

// CompleteMultipart assembles the parts and stages them under
// storage.StagingKey(m.Scope, m.SHA256), or nothing:
//
//  1. With a part missing or of the wrong length it returns ErrIncomplete
//     and keeps the upload, so the station can resume.
//  2. It completes the staging object and reads it back, hashing it. When
//     the bytes do not hash to the declared SHA-256 or have the wrong
//     length, it deletes the staging object and returns
//     storage.ErrHashMismatch.
//  3. It copies the object server-side to the staging key, pinned to the
//     ETag it hashed and with the x-amz-meta-sha256 that Put gives, then
//     deletes the multipart object.
//
// When the staging key already holds the bytes (this upload was completed
// before) it discards the upload and returns storage.ErrExists, which
// tells a station the page is there: completing twice is harmless. A call
// interrupted after step 2 can be repeated and goes on from the object.
func (s *Store) CompleteMultipart(ctx context.Context, m Multipart) (err error) {
	defer wrap(&err, "complete", m.String())
	if m, err = multipart(m); err != nil {
		return err
	}
	dst, _ := storage.StagingKey(m.Scope, m.SHA256)
	if _, err := s.stat(ctx, dst); err == nil {
		if err := s.discard(ctx, m); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", storage.ErrExists, dst)
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
	if err := s.copyStaged(ctx, m, src, dst); err != nil {
		return err
	}
	if err := s.removeStaging(ctx, m); err != nil {
		return fmt.Errorf("upload %s staged, but: %w", dst, err)
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

// copyStaged copies the verified multipart object to its staging key,
// server-side, pinned by x-amz-copy-source-if-match to the ETag that was
// hashed.
func (s *Store) copyStaged(ctx context.Context, m Multipart, src minio.ObjectInfo, dst string) error {
	_, err := s.c.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.cfg.DerivedBucket, Object: dst, ReplaceMetadata: true,
			UserMetadata: map[string]string{"sha256": m.SHA256, "Content-Type": src.ContentType}},
		minio.CopySrcOptions{Bucket: s.cfg.DerivedBucket, Object: m.Key, MatchETag: src.ETag})
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
			return fmt.Errorf("copy to %s: multipart object changed after it was hashed: %w", dst, err)
		}
		return fmt.Errorf("copy to %s: %w", dst, mapErr(err))
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

// uploadTag ends a multipart key: a check on the rest of it, so that a
// station cannot make up keys, and the same for every upload of one page
// to one scope, so that they can be found.
func uploadTag(scope, sum string, size int64) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", scope, sum, size))
	return hex.EncodeToString(h[:16])
}

// abortUploads drops every incomplete upload of the object key.
func (s *Store) abortUploads(ctx context.Context, key string) error {
	core := minio.Core{Client: s.c}
	keyMarker, idMarker := "", ""
	for {
		res, err := core.ListMultipartUploads(ctx, s.cfg.DerivedBucket, key, keyMarker, idMarker, "", 1000)
		if err != nil {
			return fmt.Errorf("list uploads of %s: %w", key, mapErr(err))
		}
		for _, u := range res.Uploads {
			if u.Key != key {
				continue
			}
			if err := core.AbortMultipartUpload(ctx, s.cfg.DerivedBucket, u.Key, u.UploadID); err != nil && !noSuchUpload(err) {
				return fmt.Errorf("drop earlier upload %s: %w", u.Key, mapErr(err))
			}
		}
		if !res.IsTruncated {
			return nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
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
