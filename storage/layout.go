package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The layout: every object sohoa keeps is named here and nowhere else, so
// that what lies where in a store can be read in one place:
//
//	originals/<ab>/<sha256>                         an original scan, write-once (OriginalKey)
//	staging/<dossier>/<sha256>                      an upload waiting for its page's confirmation (StagingKey)
//	uploads/<dossier>/<sha256>/<size>/<tag>         a resumable upload's parts, being put together (MultipartKey)
//	results/pages/<ab>/<sha256>/<digest>.json       what the page stages made of an original (PageResultKey)
//	results/pages/<ab>/<sha256>/<digest>-p<n>.json  frame n's result, while a file of frames is processed (PageFrameKey)
//	results/pages/<ab>/<sha256>/<digest>-p<n>.img   frame n's image, when the PDF cannot carry the original's bytes (PageImageKey)
//	dossiers/<code>/assembled-<digest>.pdf          the dossier PDF/A before signing (AssembledKey)
//	dossiers/<code>/assembled-<digest>.json         its manifest (AssembledManifestKey)
//	dossiers/<code>/signed-<sha256>.pdf             a signed dossier PDF, named by its own hash (SignedKey)
//	dossiers/<code>/signed-<sha256>.json            its manifest (SignedManifestKey)
//	dossiers/<code>/metadata-<sha256>.json          what the documents say and the register made of it, by its own hash (MetadataKey)
//	health/                                         listed by readiness checks, never written
//
// <ab> is the first byte of the hash in hex, so that no folder holds
// millions of entries. A digest is a hash of everything that decides a
// derived object (its inputs, the stage's version, the settings), which
// the stage that makes it computes: the same work always gets the same
// name, so doing it again is harmless.

// OriginalsPrefix is the key prefix of originals; every key under it must be
// an OriginalKey.
const OriginalsPrefix = "originals/"

// OriginalKey returns the key of the original whose SHA-256 is sha256hex:
// "originals/ab/abcdef…". The hex must be 64 characters; upper case is
// folded.
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

// MultipartPrefix holds resumable uploads while their parts arrive (see
// Multiparter); a completed one is moved to its StagingKey.
const MultipartPrefix = "uploads/"

// MultipartKey returns the object a resumable upload, for scope, of size
// bytes hashing to sha256hex is put together under:
// "uploads/<scope>/<sha256>/<size>/<tag>". The tag is a check on the rest
// (multipartTag), so that a station cannot make keys up, and it is the same
// for every upload of one page to one scope, so that they can be found.
func MultipartKey(scope, sha256hex string, size int64) (string, error) {
	if _, err := StagingKey(scope, sha256hex); err != nil {
		return "", err
	}
	if size < 1 {
		return "", fmt.Errorf("multipart key of %d bytes: %w: want at least 1", size, ErrBadKey)
	}
	h := strings.ToLower(sha256hex)
	return fmt.Sprintf("%s%s/%s/%d/%s", MultipartPrefix, scope, h, size, multipartTag(scope, h, size)), nil
}

// ParseMultipartKey returns the scope, SHA-256 and size a MultipartKey
// names, refusing any key MultipartKey would not have made.
func ParseMultipartKey(key string) (scope, sha256hex string, size int64, err error) {
	bad := fmt.Errorf("multipart key %q: %w: want %s<scope>/<64 hex>/<size>/<32 hex>", key, ErrBadKey, MultipartPrefix)
	rest, ok := strings.CutPrefix(key, MultipartPrefix)
	segs := strings.Split(rest, "/")
	if !ok || len(segs) != 4 {
		return "", "", 0, bad
	}
	size, err = strconv.ParseInt(segs[2], 10, 64)
	if err != nil {
		return "", "", 0, bad
	}
	if want, err := MultipartKey(segs[0], segs[1], size); err != nil || want != key {
		return "", "", 0, bad
	}
	return segs[0], segs[1], size, nil
}

// multipartTag ends a multipart key: a hash of the rest of it.
func multipartTag(scope, sum string, size int64) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", scope, sum, size))
	return hex.EncodeToString(h[:16])
}

// PageResultsPrefix is where the page stages' results for the original
// with SHA-256 sha256hex lie, whatever made them.
func PageResultsPrefix(sha256hex string) string {
	return fmt.Sprintf("results/pages/%s/%s/", sha256hex[:2], sha256hex)
}

// PageResultKey is where the page stages' result for the original with
// SHA-256 sha256hex lies, made as digest says (stage version, tools,
// settings).
func PageResultKey(sha256hex, digest string) string {
	return PageResultsPrefix(sha256hex) + digest + ".json"
}

// PageFrameKey is where the result of frame n (1-based) of that original
// lies while a file of several frames is being processed: a checkpoint a
// stopped task resumes from.
func PageFrameKey(sha256hex, digest string, n int) string {
	return fmt.Sprintf("%s%s-p%d.json", PageResultsPrefix(sha256hex), digest, n)
}

// PageImageKey is where frame n's image lies when the dossier PDF cannot
// embed the original's bytes (PNG data, TIFF frames, PDF pages).
func PageImageKey(sha256hex, digest string, n int) string {
	return fmt.Sprintf("%s%s-p%d.img", PageResultsPrefix(sha256hex), digest, n)
}

// dossierPrefix holds what is made for the dossier with that code.
func dossierPrefix(code string) string { return "dossiers/" + code + "/" }

// AssembledKey is where dossier code's PDF/A, assembled as digest says
// (its page results, its date, the stage's version), lies before signing.
func AssembledKey(code, digest string) string {
	return dossierPrefix(code) + "assembled-" + digest + ".pdf"
}

// AssembledManifestKey is where the manifest of the PDF at
// AssembledKey(code, digest) lies, for the sign stage to complete.
func AssembledManifestKey(code, digest string) string {
	return dossierPrefix(code) + "assembled-" + digest + ".json"
}

// ParseAssembledKey returns the dossier code and digest an AssembledKey
// names.
func ParseAssembledKey(key string) (code, digest string, err error) {
	rest, ok := strings.CutPrefix(key, "dossiers/")
	code, name, ok2 := strings.Cut(rest, "/")
	digest, ok3 := strings.CutPrefix(strings.TrimSuffix(name, ".pdf"), "assembled-")
	if !ok || !ok2 || !ok3 || digest == "" || AssembledKey(code, digest) != key {
		return "", "", fmt.Errorf("key %q: %w: want dossiers/<code>/assembled-<digest>.pdf", key, ErrBadKey)
	}
	return code, digest, nil
}

// SignedPrefix is where dossier code's signed PDFs lie: two signings of
// one PDF differ (time, the signature's randomness), so each gets its own
// object and the catalog records which is the dossier's.
func SignedPrefix(code string) string { return dossierPrefix(code) + "signed-" }

// SignedKey names a signed PDF of dossier code by its SHA-256.
func SignedKey(code, sha256hex string) string { return SignedPrefix(code) + sha256hex + ".pdf" }

// SignedManifestKey is where the manifest of the signed PDF at
// SignedKey(code, sha256hex) lies: the dossier's manifest.
func SignedManifestKey(code, sha256hex string) string {
	return SignedPrefix(code) + sha256hex + ".json"
}

// MetadataKey names, by its SHA-256, a metadata document of dossier code:
// what extraction read off its documents and what the population register
// made of them. A dossier gets a new one each time the register is asked
// again (a reconciliation left pending); the catalog records which is
// current. It lies outside SignedPrefix, whose stray objects the sign
// stage sweeps.
func MetadataKey(code, sha256hex string) string {
	return dossierPrefix(code) + "metadata-" + sha256hex + ".json"
}

// HealthPrefix is what readiness checks list: a store that answers a
// List answers. Nothing is stored under it.
const HealthPrefix = "health/"
