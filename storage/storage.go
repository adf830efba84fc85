// Package storage is where sohoa keeps the bytes it must not lose: the
// original scans a citizen brought (write-once, kept for a retention period)
// and the artefacts the pipeline derives from them (overwritable, because a
// derived key is "input hash + stage version", so a rewrite is the same bytes).
//
// Store is the one interface the pipeline, the workers and the HTTP service
// use. Each real implementation lives in its own folder (storage/local, the
// embedded default; storage/s3, MinIO or any S3 with object lock) and passes
// the one conformance suite in storage/storagetest. What a store may offer
// beyond it, uploads straight from scanner stations, is a small optional
// interface of its own (upload.go) that callers find by type assertion.
// Every object's name is computed in layout.go.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors callers act on. Implementations wrap them with the
// operation and the key, so test with errors.Is.
var (
	// ErrNotFound: no object under the key.
	ErrNotFound = errors.New("object not found")
	// ErrExists: an original is already stored under the key; originals are
	// write-once.
	ErrExists = errors.New("original already exists")
	// ErrRetained: the object is within its retention period and cannot be
	// deleted.
	ErrRetained = errors.New("object is within its retention period")
	// ErrHashMismatch: the bytes do not hash to the declared SHA-256 (for an
	// original, the one its key names); nothing was stored.
	ErrHashMismatch = errors.New("SHA-256 of content does not match")
	// ErrBadKey: the key or prefix is not a valid object key.
	ErrBadKey = errors.New("invalid object key")
	// ErrFull: the store has no room for the object (its disk is full);
	// nothing of it was kept, and the same put succeeds once room is
	// made.
	ErrFull = errors.New("storage is full")
)

// Store keeps originals and derived artefacts under validated keys.
//
// Keys under OriginalsPrefix must be OriginalKey(sha256 of the content):
// Put refuses to overwrite them (ErrExists), verifies the content against
// the hash in the key (ErrHashMismatch), and stamps them with the store's
// retention period, within which Delete refuses (ErrRetained). Every other
// valid key holds a derived artefact that Put overwrites and Delete removes.
type Store interface {
	// Put stores size bytes read from r under key. size is -1 when unknown.
	// sha256hex, when not empty, is the SHA-256 the caller declares for the
	// content; if the bytes differ, Put returns ErrHashMismatch and keeps
	// nothing. Readers see either the old object or the whole new one.
	Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex string) error
	// Get opens the object for reading; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns the keys that start with prefix, sorted. prefix "" lists
	// everything.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes the object: ErrRetained within its retention period,
	// ErrNotFound when absent.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	Key  string
	Size int64
	// SHA256 is the lower-case hex SHA-256 of the content, "" when the store
	// does not know it (always known for originals).
	SHA256  string
	ModTime time.Time
	// RetainUntil is when Delete stops refusing; zero for derived artefacts.
	RetainUntil time.Time
}

// RetentionYears is the retention period of n years, the unit archives law
// speaks in, as the time.Duration the stores take (365.25 days a year).
func RetentionYears(n int) time.Duration {
	return time.Duration(n) * 8766 * time.Hour // 365.25 days
}
