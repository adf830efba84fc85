// Package local is the filesystem Store, the embedded default that lets
// sohoa run on one desk PC with no server. Stations upload to it through
// the service that holds it (upload.go).
//
// Layout under the root directory:
//
//	data/<key>        the object's bytes (originals made read-only, 0444)
//	meta/<key>.json   sidecar: {"sha256", "retain_until"}; written before the
//	                  object appears, so a visible object always has one
//	tmp/              files being written; never read, swept by nobody but
//	                  harmless (a crash leaves at most a stray temp file)
//
// A sidecar rather than an xattr because xattrs are lost by ordinary copies
// and backups and are missing on some filesystems (FAT USB drives, some
// NAS shares) a service center might keep its archive on.
//
// Writes are atomic: bytes go to a temp file in tmp/ (same filesystem),
// are fsynced, then appear under their key in one step. Derived objects
// appear by rename (replacing the old version); originals by link(2), which
// fails if the name exists, so of two concurrent puts of one original exactly
// one wins and the loser gets storage.ErrExists.
package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// Options configure a Store.
type Options struct {
	// Retention is how long originals are kept undeletable.
	Retention time.Duration
	// Now is the clock retention and upload URLs are judged by; time.Now
	// when nil (tests set it).
	Now func() time.Time
	// UploadURL and URLSecret let scanner stations upload pages
	// (upload.go): URLs under UploadURL, where the service that serves
	// ServeUpload is reached (for sohoa serve, its base URL and
	// /v1/uploads/), signed with URLSecret (at least 32 bytes, the same
	// for every process that serves them). Without them PresignPut
	// refuses: a worker's store needs neither.
	UploadURL string
	URLSecret []byte
}

// Store keeps objects in a directory tree. Safe for concurrent use by
// goroutines and by processes sharing the directory.
type Store struct {
	root    string
	opts    Options
	uploads *uploads // nil: no upload URLs
}

// The capabilities the service asks a store for (storage/upload.go).
var (
	_ storage.Store        = (*Store)(nil)
	_ storage.Presigner    = (*Store)(nil)
	_ storage.UploadServer = (*Store)(nil)
)

// sidecar is the JSON kept beside each object in meta/.
type sidecar struct {
	SHA256      string    `json:"sha256,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
}

// Open returns the Store rooted at dir, creating the directories it needs.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("open local store %s: negative retention %v", dir, opts.Retention)
	}
	up, err := newUploads(opts)
	if err != nil {
		return nil, fmt.Errorf("open local store %s: %w", dir, err)
	}
	for _, sub := range []string{"data", "meta", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("open local store: %w", err)
		}
	}
	return &Store{root: dir, opts: opts, uploads: up}, nil
}

// dataPath and metaPath take only keys that passed storage.CheckKey.
func (s *Store) dataPath(key string) string {
	return filepath.Join(s.root, "data", filepath.FromSlash(key))
}

func (s *Store) metaPath(key string) string {
	return filepath.Join(s.root, "meta", filepath.FromSlash(key)+".json")
}

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex string) (err error) {
	defer wrap(&err, "put", key)
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	want := strings.ToLower(sha256hex)
	original := storage.IsOriginal(key)
	if original {
		h, _ := storage.OriginalHash(key)
		if want != "" && want != h {
			return fmt.Errorf("%w: declared %s, key names %s", storage.ErrHashMismatch, want, h)
		}
		want = h
		// Cheap early answer; link below is what actually guarantees write-once.
		if _, err := os.Lstat(s.dataPath(key)); err == nil {
			return storage.ErrExists
		}
	}

	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after link or rename it is gone or a second name
	defer tmp.Close()

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("read %d bytes, caller said %d", n, size)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want != "" && got != want {
		return fmt.Errorf("%w: got %s, want %s", storage.ErrHashMismatch, got, want)
	}
	if original {
		if err := tmp.Chmod(0o444); err != nil {
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}

	meta := sidecar{SHA256: got}
	if original {
		meta.RetainUntil = s.opts.Now().Add(s.opts.Retention).UTC()
	}
	dst := s.dataPath(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if !original {
		if err := s.writeMeta(key, meta); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return err
		}
		return syncDir(filepath.Dir(dst))
	}
	// Original: the sidecar must never be replaced once the object is
	// visible, so it is written only by the put that wins the link. If the
	// process dies between link and sidecar, retainUntil falls back to the
	// file's mtime plus the retention (see Stat).
	if err := os.Link(tmp.Name(), dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return storage.ErrExists
		}
		return err
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return s.writeMeta(key, meta)
}

func (s *Store) writeMeta(key string, m sidecar) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dst := s.metaPath(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "meta-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "get", key)
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(s.dataPath(key))
	if err != nil {
		return nil, notFound(err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, storage.ErrNotFound
	}
	return f, nil
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (_ storage.Info, err error) {
	defer wrap(&err, "stat", key)
	if err := storage.CheckKey(key); err != nil {
		return storage.Info{}, err
	}
	fi, err := os.Lstat(s.dataPath(key))
	if err != nil {
		return storage.Info{}, notFound(err)
	}
	if !fi.Mode().IsRegular() {
		return storage.Info{}, storage.ErrNotFound
	}
	info := storage.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}
	var m sidecar
	b, err := os.ReadFile(s.metaPath(key))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &m); err != nil {
			return storage.Info{}, fmt.Errorf("sidecar: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return storage.Info{}, err
	}
	info.SHA256 = m.SHA256
	if storage.IsOriginal(key) {
		info.SHA256, _ = storage.OriginalHash(key)
		info.RetainUntil = m.RetainUntil
		if info.RetainUntil.IsZero() { // crashed before the sidecar: fail safe
			info.RetainUntil = fi.ModTime().Add(s.opts.Retention).UTC()
		}
	}
	return info, nil
}

// List implements storage.Store. It walks only the folder the prefix's
// complete segments name.
func (s *Store) List(ctx context.Context, prefix string) (_ []string, err error) {
	defer wrap(&err, "list", prefix)
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, err
	}
	base := filepath.Join(s.root, "data")
	start := base
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(base, filepath.FromSlash(prefix[:i]))
	}
	var keys []string
	err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	// WalkDir goes in lexical order per folder, which is not key order
	// ("a/b" sorts after "a-c" as a key but is walked first).
	sort.Strings(keys)
	return keys, err
}

// Delete implements storage.Store.
func (s *Store) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "delete", key)
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	if now := s.opts.Now(); now.Before(info.RetainUntil) {
		return fmt.Errorf("%w until %s", storage.ErrRetained, info.RetainUntil.Format(time.RFC3339))
	}
	if err := os.Remove(s.dataPath(key)); err != nil {
		return notFound(err)
	}
	if err := os.Remove(s.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || errors.Is(err, syscall.ENOTDIR) {
		return storage.ErrNotFound
	}
	return err
}

// wrap names the operation and the key: "local store: put derived/x: …".
// Errors from Stat called inside Delete are already wrapped.
// A full disk (or a user's quota spent) is storage.ErrFull, which the
// service answers 507 and a worker retries.
func wrap(err *error, op, key string) {
	if *err == nil || strings.HasPrefix((*err).Error(), "local store: ") {
		return
	}
	if errors.Is(*err, syscall.ENOSPC) || errors.Is(*err, syscall.EDQUOT) {
		*err = fmt.Errorf("local store: %s %s: %w: %w", op, key, storage.ErrFull, *err)
		return
	}
	*err = fmt.Errorf("local store: %s %s: %w", op, key, *err)
}

// ctxReader stops a long copy when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
