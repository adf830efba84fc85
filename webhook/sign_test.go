package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"id": 7, "type": "dossier.ready"}`)
	signedAs := func(secret []byte, ts time.Time, id string, body []byte) http.Header {
		h := http.Header{}
		h.Set(HeaderEventID, id)
		h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, ts, id, body))
		return h
	}
	signed := func(secret []byte, ts time.Time, body []byte) http.Header {
		return signedAs(secret, ts, "7", body)
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		body   []byte
		secret []byte
		want   error
	}{
		{"valid", signed(testSecret, now, body), body, testSecret, nil},
		{"signed a little ahead", signed(testSecret, now.Add(time.Minute), body), body, testSecret, nil},
		{"tampered body", signed(testSecret, now, body), []byte(`{"id": 8, "type": "dossier.ready"}`), testSecret, ErrBadSignature},
		{"wrong secret", signed([]byte("another secret, also 32 bytes ok"), now, body), body, testSecret, ErrBadSignature},
		{"no secret", signed(nil, now, body), body, nil, ErrBadSignature},
		{"old timestamp", signed(testSecret, now.Add(-10*time.Minute), body), body, testSecret, ErrStale},
		{"future timestamp", signed(testSecret, now.Add(10*time.Minute), body), body, testSecret, ErrStale},
		{"timestamp changed", func() http.Header {
			h := signed(testSecret, now.Add(-10*time.Minute), body)
			h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
			return h
		}(), body, testSecret, ErrBadSignature},
		{"no signature", func() http.Header {
			h := signed(testSecret, now, body)
			h.Del(HeaderSignature)
			return h
		}(), body, testSecret, ErrBadSignature},
		{"no timestamp", func() http.Header {
			h := signed(testSecret, now, body)
			h.Del(HeaderTimestamp)
			return h
		}(), body, testSecret, ErrBadSignature},
		{"bad timestamp", func() http.Header {
			h := signed(testSecret, now, body)
			h.Set(HeaderTimestamp, "yesterday")
			return h
		}(), body, testSecret, ErrBadSignature},
		// Receivers de-duplicate by the event id: a replay given a fresh
		// one must not pass for a new event.
		{"event id changed", func() http.Header {
			h := signed(testSecret, now, body)
			h.Set(HeaderEventID, "8")
			return h
		}(), body, testSecret, ErrBadSignature},
		// On a body without an id, the signature alone binds the header's.
		{"event id changed, body without id", func() http.Header {
			h := signedAs(testSecret, now, "9", []byte(`{}`))
			h.Set(HeaderEventID, "8")
			return h
		}(), []byte(`{}`), testSecret, ErrBadSignature},
		{"no event id", func() http.Header {
			h := signed(testSecret, now, body)
			h.Del(HeaderEventID)
			return h
		}(), body, testSecret, ErrBadSignature},
		{"event id signed, not the body's", signedAs(testSecret, now, "8", body), body, testSecret, ErrBadSignature},
		{"string id", signedAs(testSecret, now, "ev-7", []byte(`{"id":"ev-7"}`)), []byte(`{"id":"ev-7"}`), testSecret, nil},
		{"body without id", signedAs(testSecret, now, "9", []byte(`{}`)), []byte(`{}`), testSecret, nil},
		// "7" and "{..." signed as "<ts>.7.{...": "7.{" and "..." would
		// give the same signature.
		{"dot in event id", signedAs(testSecret, now, "7.{", []byte(`"id": 7}`)), []byte(`"id": 7}`), testSecret, ErrBadSignature},
	} {
		err := Verify(tc.secret, tc.header, tc.body, 5*time.Minute, now)
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSignFormat(t *testing.T) {
	// Computed independently:
	// printf '1700000000.42.{}' | openssl dgst -sha256 -hmac key
	const want = "sha256=0cee1a8b8ce96f4862164c33ec70d7fa4de4653bf7192ea0ed25b089b4511d46"
	if got := Sign([]byte("key"), time.Unix(1_700_000_000, 0), "42", []byte("{}")); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestBackoff(t *testing.T) {
	first, limit := 5*time.Second, 10*time.Minute
	for _, tc := range []struct {
		attempt int
		full    time.Duration
	}{
		{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second},
		{7, 320 * time.Second}, {8, limit}, {1000, limit},
	} {
		for range 50 {
			d := backoff(tc.attempt, first, limit)
			if d < tc.full/2 || d > tc.full {
				t.Fatalf("backoff(%d) = %v, want between %v and %v", tc.attempt, d, tc.full/2, tc.full)
			}
		}
	}
}
