package storage

import (
	"fmt"
	"strings"
)

// Key limits: S3 allows 1024 bytes; a segment must fit a file name with room
// for the local store's sidecar suffix.
const (
	maxKeyLen     = 1024
	maxSegmentLen = 200
)

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
