// Package webhook tells the province's workflow system, by HTTP POST, when
// a dossier is ready (signed), has failed, or, announced ready while the
// population register could not answer for it, has been reconciled since.
// Each event carries a summary of the dossier's metadata (the body is a
// catalog.OutboxEvent). It sits at the end of the flow, beside the API
// server: the catalog puts an event in its outbox in the same transaction
// that moves the dossier or records the register's answer, and a
// Dispatcher posts the outbox's events to each configured receiver until
// it answers 2xx.
//
// Delivery is at least once: an event may arrive more than once (a
// receiver that accepted it but whose answer was lost, a dispatcher that
// died before recording it), so receivers de-duplicate by the
// X-Sohoa-Event-Id header (the body's "id"). Events are not ordered
// across dossiers; for one dossier a larger id is a later event.
//
// Each request is signed: X-Sohoa-Timestamp holds the Unix time in
// seconds and X-Sohoa-Signature "sha256=" and the hex HMAC-SHA256, under
// the shared secret, of the timestamp, a dot, the event id (as in
// X-Sohoa-Event-Id), a dot and the body. The event id is signed because
// receivers de-duplicate by it: were it not, whoever could replay a
// request within the tolerance could give it a fresh id and have it
// taken a second time. Receivers check all three with Verify, which also
// refuses a timestamp too far from now, so a recorded request cannot be
// replayed later.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request headers.
const (
	HeaderTimestamp = "X-Sohoa-Timestamp" // Unix seconds when the request was signed
	HeaderSignature = "X-Sohoa-Signature" // "sha256=" + hex HMAC-SHA256 of "<timestamp>.<event-id>.<body>"
	HeaderEventID   = "X-Sohoa-Event-Id"  // the event's id (the body's "id"), for de-duplication; signed
)

// DefaultTolerance is how far from now Verify accepts a timestamp when
// given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns, for receivers to answer 401 on.
var (
	// ErrBadSignature: the signature is missing, malformed, or not the
	// secret's over this timestamp, event id and body; or the event id
	// is not the body's.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the timestamp is further from now than the tolerance.
	ErrStale = errors.New("webhook: timestamp outside tolerance")
)

// Sign returns the X-Sohoa-Signature value for the event eventID (which
// holds no dot) with body, sent at ts.
func Sign(secret []byte, ts time.Time, eventID string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write([]byte(eventID))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks, for a receiver, that body with header was signed with
// secret, together with the header's event id, at a time within tolerance
// of now (DefaultTolerance when tolerance is 0), and that the event id is
// the body's "id" when the body has one. It returns nil, or an error
// wrapping ErrBadSignature or ErrStale.
func Verify(secret []byte, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret to verify with", ErrBadSignature)
	}
	tsText, sig, id := header.Get(HeaderTimestamp), header.Get(HeaderSignature), header.Get(HeaderEventID)
	if tsText == "" || sig == "" || id == "" {
		return fmt.Errorf("%w: %s, %s or %s missing", ErrBadSignature, HeaderTimestamp, HeaderEventID, HeaderSignature)
	}
	if strings.Contains(id, ".") {
		// The dots frame what is signed: with one in the id, bytes could
		// move between id and body under the same signature.
		return fmt.Errorf("%w: %s %q holds a dot", ErrBadSignature, HeaderEventID, id)
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrBadSignature, HeaderTimestamp, tsText)
	}
	ts := time.Unix(sec, 0)
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, id, body))) {
		return ErrBadSignature
	}
	if bodyID, ok := eventID(body); ok && bodyID != id {
		return fmt.Errorf("%w: %s %q, body id %s", ErrBadSignature, HeaderEventID, id, bodyID)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(ts).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed %s, %s from now", ErrStale, ts.UTC().Format(time.RFC3339), skew.Round(time.Second))
	}
	return nil
}

// eventID returns the "id" of a JSON object body, a number or a string,
// as text; false when the body has none.
func eventID(body []byte) (string, bool) {
	var b struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &b) != nil || len(b.ID) == 0 || string(b.ID) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(b.ID, &s) == nil {
		return s, true
	}
	return string(b.ID), true
}
