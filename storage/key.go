package storage

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// OriginalsPrefix is the key prefix of originals; every key under it must be
// an OriginalKey.
const OriginalsPrefix = "originals/"

// Key limits: S3 allows 1024 bytes; a segment must fit a file name with room
// for the local store's sidecar suffix.
const (
	maxKeyLen     = 1024
	maxSegmentLen = 200
)

// OriginalKey returns the key of the original whose SHA-256 is sha256hex:
// "originals/ab/abcdef…", fanned out on the first byte so no folder holds
// millions of entries. The hex must be 64 characters; upper case is folded.
func OriginalKey(sha256hex string) (string, error) {
	h := strings.ToLower(sha256hex)
	if len(h) != 64 {
		return "", fmt.Errorf("original key from %q: %w: want 64 hex digits", sha256hex, ErrBadKey)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("original key from %q: %w: not hex", sha256hex, ErrBadKey)
	}
	return OriginalsPrefix + h[:2] + "/" + h, nil
}

// IsOriginal reports whether key lies in the originals namespace. It does not
// validate the key; CheckKey does.
func IsOriginal(key string) bool { return strings.HasPrefix(key, OriginalsPrefix) }

// OriginalHash returns the SHA-256 hex that an original's key names.
func OriginalHash(key string) (string, error) {
	h := strings.TrimPrefix(key, OriginalsPrefix)
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[i+1:]
	}
	want, err := OriginalKey(h)
	if err != nil || want != key {
		return "", fmt.Errorf("key %q: %w: originals/ holds only originals/<2 hex>/<64 hex>", key, ErrBadKey)
	}
	return h, nil
}

// CheckKey validates key: slash-separated segments, none empty, each
// starting with a letter or digit and made of [A-Za-z0-9._-] (so no "..",
// no hidden files, no leading "/"), at most 1024 bytes; keys under
// OriginalsPrefix must be exactly an OriginalKey. Implementations build
// paths and object names only from keys that pass.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("key %q: %w: empty or longer than %d bytes", key, ErrBadKey, maxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if err := checkSegment(seg, false); err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
	}
	if IsOriginal(key) {
		_, err := OriginalHash(key)
		return err
	}
	return nil
}

// CheckPrefix validates a List prefix: "" or a key's beginning. Its complete
// segments follow CheckKey's rules; the last, partial one only the charset.
func CheckPrefix(prefix string) error {
	if len(prefix) > maxKeyLen {
		return fmt.Errorf("prefix %q: %w: longer than %d bytes", prefix, ErrBadKey, maxKeyLen)
	}
	if prefix == "" {
		return nil
	}
	segs := strings.Split(prefix, "/")
	for i, seg := range segs {
		if err := checkSegment(seg, i == len(segs)-1); err != nil {
			return fmt.Errorf("prefix %q: %w", prefix, err)
		}
	}
	return nil
}

func checkSegment(seg string, partial bool) error {
	if seg == "" {
		if partial {
			return nil
		}
		return fmt.Errorf("%w: empty segment", ErrBadKey)
	}
	if len(seg) > maxSegmentLen {
		return fmt.Errorf("%w: segment longer than %d bytes", ErrBadKey, maxSegmentLen)
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("%w: segment %q must start with a letter or digit", ErrBadKey, seg)
		}
		if !alnum && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: byte %q not allowed", ErrBadKey, c)
		}
	}
	return nil
}

// StagingPrefix is where uploads wait for their confirmation, outside the
// write-once originals: bytes a station sent but nobody confirmed are
// derived objects that expire, not originals kept for twenty years.
const StagingPrefix = "staging/"

// StagingKey returns where an upload of the bytes with SHA-256 sha256hex
// for scope (a dossier code) waits: "staging/<scope>/<sha256>". An upload
// belongs to the dossier that asked for it until it is confirmed and
// becomes an original.
func StagingKey(scope, sha256hex string) (string, error) {
	if _, err := OriginalKey(sha256hex); err != nil {
		return "", err
	}
	if err := checkSegment(scope, false); err != nil {
		return "", fmt.Errorf("staging key for scope %q: %w", scope, err)
	}
	return StagingPrefix + scope + "/" + strings.ToLower(sha256hex), nil
}

// ParseStagingKey returns the scope and SHA-256 a staging key names.
func ParseStagingKey(key string) (scope, sha256hex string, err error) {
	rest, ok := strings.CutPrefix(key, StagingPrefix)
	scope, sum, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return "", "", fmt.Errorf("key %q: %w: want %s<scope>/<64 hex>", key, ErrBadKey, StagingPrefix)
	}
	if want, err := StagingKey(scope, sum); err != nil || want != key {
		return "", "", fmt.Errorf("key %q: %w: want %s<scope>/<64 hex>", key, ErrBadKey, StagingPrefix)
	}
	return scope, sum, nil
}
