// Package s3 is the Store on MinIO (or any S3 with object lock), for the
// service deployment where workers on several machines share one archive.
//
// Layout: two buckets, the object key (storage's layout) used unchanged as
// the object name.
//
//   - Originals bucket (created with object lock, hence versioning): only
//     keys under storage.OriginalsPrefix. Every object carries a
//     COMPLIANCE-mode retention set on Put, so not even the root user can
//     delete or overwrite that version before it expires; the server, not
//     this code, is what refuses.
//   - Derived bucket (no lock, no versioning): every other key.
//
// Each object with a known SHA-256 carries it as x-amz-meta-sha256 (for
// Stat) and is uploaded with x-amz-checksum-sha256, so the server verifies
// the bytes and stores nothing when they differ.
package s3

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa/sohoa/storage"
)

// maxSinglePut is S3's limit for one PUT. Objects are always sent in one
// PUT so that the declared checksum covers the whole object.
const maxSinglePut = 5 << 30

// Config says where the buckets are.
type Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Secure    bool // https
	Region    string

	OriginalsBucket string // created with object lock when missing
	DerivedBucket   string // created plain when missing
	// Retention is how long originals stay in compliance-mode retention.
	Retention time.Duration
	// StallTimeout is how long one read of an object's bytes may wait
	// for data before it fails (default 1 min). A connection that died
	// without a word (a network cut, a firewall that forgot it) would
	// otherwise hold the read, and the task doing it, until the task's
	// own timeout: minio-go bounds the wait for a response's headers, not
	// for its body.
	StallTimeout time.Duration
}

// Store is the S3 storage.Store.
type Store struct {
	c   *minio.Client
	cfg Config
}

// The capabilities the service asks a store for (storage/upload.go).
var (
	_ storage.Store       = (*Store)(nil)
	_ storage.Presigner   = (*Store)(nil)
	_ storage.Multiparter = (*Store)(nil)
)

// New connects and makes sure both buckets exist; an existing originals
// bucket without object lock is refused, since it would not protect them.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Retention <= 0 {
		return nil, fmt.Errorf("s3 store: Retention must be positive, got %v", cfg.Retention)
	}
	if cfg.OriginalsBucket == "" || cfg.DerivedBucket == "" || cfg.OriginalsBucket == cfg.DerivedBucket {
		return nil, fmt.Errorf("s3 store: OriginalsBucket and DerivedBucket must be set and differ")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
		// Needed for Put to send its own x-amz-checksum-sha256.
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store %s: %w", cfg.Endpoint, err)
	}
	for _, b := range []struct {
		name string
		lock bool
	}{{cfg.OriginalsBucket, true}, {cfg.DerivedBucket, false}} {
		ok, err := c.BucketExists(ctx, b.name)
		if err != nil {
			return nil, fmt.Errorf("s3 store: bucket %s: %w", b.name, err)
		}
		if !ok {
			if err := c.MakeBucket(ctx, b.name, minio.MakeBucketOptions{Region: cfg.Region, ObjectLocking: b.lock}); err != nil {
				return nil, fmt.Errorf("s3 store: create bucket %s: %w", b.name, err)
			}
			continue
		}
		if b.lock {
			enabled, _, _, _, err := c.GetObjectLockConfig(ctx, b.name)
			if err != nil || enabled != "Enabled" {
				return nil, fmt.Errorf("s3 store: originals bucket %s has no object lock (%v); create it with object lock", b.name, err)
			}
		}
	}
	return &Store{c: c, cfg: cfg}, nil
}

// Client is the underlying minio-go client, for tests and tools.
func (s *Store) Client() *minio.Client { return s.c }

func (s *Store) bucket(key string) string {
	if storage.IsOriginal(key) {
		return s.cfg.OriginalsBucket
	}
	return s.cfg.DerivedBucket
}

// Put implements storage.Store.
//
// Write-once for originals is a conditional PUT (If-None-Match: *), which
// MinIO evaluates atomically, so of concurrent puts exactly one succeeds and
// the others get 412, mapped to storage.ErrExists. (A StatObject first
// would race.) An unknown size is spooled to a temp file first, because
// a single PUT needs the length.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex string) (err error) {
	defer wrap(&err, "put", key)
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	want := strings.ToLower(sha256hex)
	opts := minio.PutObjectOptions{DisableMultipart: true, UserMetadata: map[string]string{}}
	if storage.IsOriginal(key) {
		h, _ := storage.OriginalHash(key)
		if want != "" && want != h {
			return fmt.Errorf("%w: declared %s, key names %s", storage.ErrHashMismatch, want, h)
		}
		want = h
		opts.Mode = minio.Compliance
		opts.RetainUntilDate = time.Now().Add(s.cfg.Retention).UTC()
		opts.SetMatchETagExcept("*")
	}
	if want != "" {
		raw, err := hex.DecodeString(want)
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("%w: declared SHA-256 %q is not 64 hex digits", storage.ErrHashMismatch, sha256hex)
		}
		opts.UserMetadata["x-amz-checksum-sha256"] = base64.StdEncoding.EncodeToString(raw)
		opts.UserMetadata["sha256"] = want
	}
	if size < 0 {
		f, n, err := spool(ctx, r)
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		r, size = f, n
	}
	if size > maxSinglePut {
		return fmt.Errorf("object of %d bytes exceeds the %d-byte single PUT limit", size, maxSinglePut)
	}
	_, err = s.c.PutObject(ctx, s.bucket(key), key, r, size, opts)
	return mapErr(err)
}

func spool(ctx context.Context, r io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "sohoa-s3-put-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "get", key)
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	obj, err := s.c.GetObject(ctx, s.bucket(key), key, minio.GetObjectOptions{})
	if err != nil {
		cancel()
		return nil, mapErr(err)
	}
	if _, err := obj.Stat(); err != nil { // GetObject is lazy; learn "not found" now
		obj.Close()
		cancel()
		return nil, mapErr(err)
	}
	stall := s.cfg.StallTimeout
	if stall <= 0 {
		stall = time.Minute
	}
	return &stallReader{obj: obj, cancel: cancel, stall: stall}, nil
}

// stallReader fails a read that waits longer than stall for data, by
// cancelling the request, which ends the read at once. Only the time
// inside Read counts: a caller that pauses between reads (a slow
// download's client) stalls nothing.
type stallReader struct {
	obj     *minio.Object
	cancel  context.CancelFunc
	stall   time.Duration
	stalled atomic.Bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	t := time.AfterFunc(r.stall, func() { r.stalled.Store(true); r.cancel() })
	n, err := r.obj.Read(p)
	t.Stop()
	if err != nil && r.stalled.Load() {
		err = fmt.Errorf("s3 store: read stalled: no data for %v: %w", r.stall, err)
	}
	return n, err
}

func (r *stallReader) Close() error {
	err := r.obj.Close()
	r.cancel()
	return err
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (_ storage.Info, err error) {
	defer wrap(&err, "stat", key)
	oi, err := s.stat(ctx, key)
	if err != nil {
		return storage.Info{}, err
	}
	info := storage.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified, SHA256: oi.UserMetadata["Sha256"]}
	if v := oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"); v != "" {
		if info.RetainUntil, err = time.Parse(time.RFC3339, v); err != nil {
			return storage.Info{}, fmt.Errorf("retain-until %q: %w", v, err)
		}
	}
	return info, nil
}

func (s *Store) stat(ctx context.Context, key string) (minio.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return minio.ObjectInfo{}, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket(key), key, minio.StatObjectOptions{})
	return oi, mapErr(err)
}

// List implements storage.Store, merging the two buckets in key order.
func (s *Store) List(ctx context.Context, prefix string) (_ []string, err error) {
	defer wrap(&err, "list", prefix)
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, err
	}
	var buckets []string
	if strings.HasPrefix(storage.OriginalsPrefix, prefix) || strings.HasPrefix(prefix, storage.OriginalsPrefix) {
		buckets = append(buckets, s.cfg.OriginalsBucket)
	}
	if !strings.HasPrefix(prefix, storage.OriginalsPrefix) {
		buckets = append(buckets, s.cfg.DerivedBucket)
	}
	var keys []string
	for _, b := range buckets {
		for oi := range s.c.ListObjects(ctx, b, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if oi.Err != nil {
				return nil, mapErr(oi.Err)
			}
			keys = append(keys, oi.Key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete implements storage.Store. An original is deleted by version: a
// delete without a version ID would only add a delete marker, which object
// lock allows, hiding a retained original instead of refusing.
func (s *Store) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "delete", key)
	oi, err := s.stat(ctx, key)
	if err != nil {
		return err
	}
	opts := minio.RemoveObjectOptions{}
	if storage.IsOriginal(key) {
		opts.VersionID = oi.VersionID
	}
	return mapErr(s.c.RemoveObject(ctx, s.bucket(key), key, opts))
}

// PresignPut implements storage.Presigner: a station uploads one page
// straight to its staging key. The signature covers Content-Length,
// Content-Type and the x-amz-checksum-sha256, so MinIO refuses other
// bytes; a request that changes or drops any of them fails the signature
// check.
func (s *Store) PresignPut(ctx context.Context, key string, size int64, contentType, sha256hex string, expiry time.Duration) (_ storage.Presigned, err error) {
	defer wrap(&err, "presign put", key)
	_, h, err := storage.CheckPresignPut(key, size, maxSinglePut, contentType, sha256hex)
	if err != nil {
		return storage.Presigned{}, err
	}
	raw, _ := hex.DecodeString(h)
	hdr := http.Header{}
	hdr.Set("Content-Length", fmt.Sprint(size))
	hdr.Set("Content-Type", contentType)
	hdr.Set("X-Amz-Checksum-Sha256", base64.StdEncoding.EncodeToString(raw))
	hdr.Set("X-Amz-Meta-Sha256", h)
	u, err := s.c.PresignHeader(ctx, http.MethodPut, s.cfg.DerivedBucket, key, expiry, nil, hdr)
	if err != nil {
		return storage.Presigned{}, err
	}
	return storage.Presigned{URL: u.String(), Method: http.MethodPut, Header: hdr}, nil
}

// mapErr turns the server's answers callers act on into storage's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket":
		return fmt.Errorf("%w (%s)", storage.ErrNotFound, resp.Code)
	case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%w (%s)", storage.ErrExists, resp.Code)
	case resp.Code == "XAmzContentChecksumMismatch" || resp.Code == "BadDigest" || resp.Code == "XAmzContentSHA256Mismatch":
		return fmt.Errorf("%w (%s: %s)", storage.ErrHashMismatch, resp.Code, resp.Message)
	case resp.Code == "ObjectLocked" || strings.Contains(resp.Message, "WORM protected"):
		return fmt.Errorf("%w (%s: %s)", storage.ErrRetained, resp.Code, resp.Message)
	}
	return err
}

func wrap(err *error, op, key string) {
	if *err != nil && !strings.HasPrefix((*err).Error(), "s3 store: ") {
		*err = fmt.Errorf("s3 store: %s %s: %w", op, key, *err)
	}
}
