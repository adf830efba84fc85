// Package webhook tells the province's workflow system, by HTTP POST, when
// a dossier is ready (signed) or has failed. It sits at the end of the
// flow, beside the API server: the catalog puts an event in its outbox in
// the same transaction that moves the dossier, and a Dispatcher posts the
// outbox's events to each configured receiver until it answers 2xx.
//
// Delivery is at least once: an event may arrive more than once (a
// receiver that accepted it but whose answer was lost, a dispatcher that
// died before recording it), so receivers de-duplicate by the
// X-Sohoa-Event-Id header (the body's "id"). Events are not ordered
// across dossiers; for one dossier a larger id is a later event.
//
// Each request is signed: X-Sohoa-Timestamp holds the Unix time in
// seconds and X-Sohoa-Signature "sha256=" and the hex HMAC-SHA256, under
// the shared secret, of the timestamp, a dot and the body. Receivers check
// both with Verify, which also refuses a timestamp too far from now, so a
// recorded request cannot be replayed later.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Request headers.
const (
	HeaderTimestamp = "X-Sohoa-Timestamp" // Unix seconds when the request was signed
	HeaderSignature = "X-Sohoa-Signature" // "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"
	HeaderEventID   = "X-Sohoa-Event-Id"  // the event's id, for de-duplication
)

// DefaultTolerance is how far from now Verify accepts a timestamp when
// given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns, for receivers to answer 401 on.
var (
	// ErrBadSignature: the signature is missing, malformed, or not the
	// secret's over this timestamp and body.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the timestamp is further from now than the tolerance.
	ErrStale = errors.New("webhook: timestamp outside tolerance")
)

// Sign returns the X-Sohoa-Signature value for body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks, for a receiver, that body with header was signed with
// secret at a time within tolerance of now (DefaultTolerance when
// tolerance is 0). It returns nil, or an error wrapping ErrBadSignature
// or ErrStale.
func Verify(secret []byte, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret to verify with", ErrBadSignature)
	}
	tsText, sig := header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return fmt.Errorf("%w: %s or %s missing", ErrBadSignature, HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrBadSignature, HeaderTimestamp, tsText)
	}
	ts := time.Unix(sec, 0)
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(ts).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed %s, %s from now", ErrStale, ts.UTC().Format(time.RFC3339), skew.Round(time.Second))
	}
	return nil
}
