package s3

// Resumable uploads from scanner stations (storage.Multiparter).
//
// A station on an unstable link uploads a large page in parts with presigned
// URLs, asks which parts arrived after a dropped connection, and sends only
// the missing ones. The parts go to an S3 multipart upload of the object
// storage.MultipartKey names, in the derived bucket, never to the originals
// bucket: an original is locked the moment it exists, so bytes that turn out
// wrong, or that nobody confirms, must never get there. CompleteMultipart
// hashes the assembled object and only when it matches the SHA-256 the
// station declared copies it, server-side, to the upload's staging key
// (storage.StagingKey), where it waits for the station's confirmation like
// a page sent in one PUT.

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

// resume rebuilds m from its Key and UploadID alone, so fields a caller
// changed or left out do not matter.
func resume(m storage.Multipart) (storage.Multipart, error) {
	return storage.ResumeMultipart(m.Key, m.UploadID)
}

// StartMultipart implements storage.Multiparter. contentType is kept on
// the staged object.
//
// An upload started again for the same scope and page drops the earlier
// one and its parts (the key is the same, so MinIO, which lists uploads by
// exact key only, finds them), so that the scope holds at most one upload
// of a page: what the service's quota counts. MinIO drops uploads left
// incomplete for longer than its stale_uploads_expiry (24 hours by
// default).
func (s *Store) StartMultipart(ctx context.Context, scope, sha256hex string, size int64, contentType string) (_ storage.Multipart, err error) {
	defer wrap(&err, "start multipart", sha256hex)
	dst, err := storage.StagingKey(scope, sha256hex)
	if err != nil {
		return storage.Multipart{}, err
	}
	if size < 1 || size > storage.MaxMultipartSize || contentType == "" {
		return storage.Multipart{}, fmt.Errorf("need a size in [1, %d] and a content type, got %d and %q", int64(storage.MaxMultipartSize), size, contentType)
	}
	if _, err := s.stat(ctx, dst); err == nil {
		return storage.Multipart{}, fmt.Errorf("%w: %s", storage.ErrExists, dst)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.Multipart{}, err
	}
	m, err := storage.NewMultipart(scope, sha256hex, size)
	if err != nil {
		return storage.Multipart{}, err
	}
	if err := s.abortUploads(ctx, m.Key); err != nil {
		return storage.Multipart{}, err
	}
	core := minio.Core{Client: s.c}
	m.UploadID, err = core.NewMultipartUpload(ctx, s.cfg.DerivedBucket, m.Key, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return storage.Multipart{}, fmt.Errorf("staging %s: %w", m.Key, mapErr(err))
	}
	return m, nil
}

// PresignPart implements storage.Multiparter. The signature covers the
// upload ID, the part number and Content-Length, which must be exactly the
// part's length: a shorter part would make the upload uncompletable, a
// longer one would shift every later byte.
//
// Presigning is local; an aborted or unknown upload fails at the PUT (404).
func (s *Store) PresignPart(ctx context.Context, m storage.Multipart, n int, expiry time.Duration) (_ storage.Presigned, err error) {
	defer wrap(&err, fmt.Sprintf("presign part %d of", n), m.String())
	if m, err = resume(m); err != nil {
		return storage.Presigned{}, err
	}
	if n < 1 || n > m.Parts {
		return storage.Presigned{}, fmt.Errorf("part number %d outside [1, %d]", n, m.Parts)
	}
	params := url.Values{}
	params.Set("uploadId", m.UploadID)
	params.Set("partNumber", strconv.Itoa(n))
	hdr := http.Header{}
	hdr.Set("Content-Length", strconv.FormatInt(m.PartLen(n), 10))
	u, err := s.c.PresignHeader(ctx, http.MethodPut, s.cfg.DerivedBucket, m.Key, expiry, params, hdr)
	if err != nil {
		return storage.Presigned{}, err
	}
	return storage.Presigned{URL: u.String(), Method: http.MethodPut, Header: hdr}, nil
}

// UploadedParts implements storage.Multiparter, listing the parts by
// number.
func (s *Store) UploadedParts(ctx context.Context, m storage.Multipart) (_ []storage.Part, err error) {
	defer wrap(&err, "list parts of", m.String())
	if m, err = resume(m); err != nil {
		return nil, err
	}
	return s.uploadedParts(ctx, m)
}

func (s *Store) uploadedParts(ctx context.Context, m storage.Multipart) ([]storage.Part, error) {
	core := minio.Core{Client: s.c}
	var parts []storage.Part
	marker := 0
	for {
		res, err := core.ListObjectParts(ctx, s.cfg.DerivedBucket, m.Key, m.UploadID, marker, 1000)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, p := range res.ObjectParts {
			parts = append(parts, storage.Part{Number: p.PartNumber, Size: p.Size, ETag: p.ETag})
		}
		if !res.IsTruncated {
			return parts, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// CompleteMultipart implements storage.Multiparter: it assembles the parts
// and stages them under storage.StagingKey(m.Scope, m.SHA256), or nothing:
//
//  1. With a part missing or of the wrong length it returns
//     storage.ErrIncomplete
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
func (s *Store) CompleteMultipart(ctx context.Context, m storage.Multipart) (err error) {
	defer wrap(&err, "complete", m.String())
	if m, err = resume(m); err != nil {
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
func (s *Store) completeStaging(ctx context.Context, m storage.Multipart, parts []storage.Part) error {
	have := make(map[int]storage.Part, len(parts))
	for _, p := range parts {
		have[p.Number] = p
	}
	var missing []string
	complete := make([]minio.CompletePart, 0, m.Parts)
	for n := 1; n <= m.Parts; n++ {
		p, ok := have[n]
		if !ok || p.Size != m.PartLen(n) {
			missing = append(missing, strconv.Itoa(n))
			continue
		}
		complete = append(complete, minio.CompletePart{PartNumber: n, ETag: p.ETag})
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d of %d parts missing or of the wrong length: %s", storage.ErrIncomplete, len(missing), m.Parts, strings.Join(missing, ", "))
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
func (s *Store) verifyStaging(ctx context.Context, m storage.Multipart) (minio.ObjectInfo, error) {
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
func (s *Store) copyStaged(ctx context.Context, m storage.Multipart, src minio.ObjectInfo, dst string) error {
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

// AbortMultipart implements storage.Multiparter: it drops the upload and
// its parts (and a staging object left by an interrupted
// CompleteMultipart). Aborting an upload that is already gone is not an
// error, as MinIO itself answers it.
func (s *Store) AbortMultipart(ctx context.Context, m storage.Multipart) (err error) {
	defer wrap(&err, "abort", m.String())
	if m, err = resume(m); err != nil {
		return err
	}
	return s.discard(ctx, m)
}

// discard drops whatever the upload left: the parts, the staging object.
func (s *Store) discard(ctx context.Context, m storage.Multipart) error {
	core := minio.Core{Client: s.c}
	err := core.AbortMultipartUpload(ctx, s.cfg.DerivedBucket, m.Key, m.UploadID)
	if noSuchUpload(err) {
		err = nil
	} else if err != nil {
		err = fmt.Errorf("abort: %w", mapErr(err))
	}
	return errors.Join(err, s.removeStaging(ctx, m))
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

func (s *Store) removeStaging(ctx context.Context, m storage.Multipart) error {
	if err := s.c.RemoveObject(ctx, s.cfg.DerivedBucket, m.Key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove staging object: %w", mapErr(err))
	}
	return nil
}
