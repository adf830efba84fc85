package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics on any header and body a stranger can
// send; it refuses with ErrBadSignature or ErrStale, and what it accepts
// carries exactly the signature Sign makes for that timestamp, id and body.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"id": 7, "type": "dossier.ready"}`)
	good := Sign(testSecret, now, "7", body)
	for _, s := range []struct{ ts, id, sig, body string }{
		{"1750000000", "7", good, string(body)},
		{"1750000000", "7", strings.ToUpper(good), string(body)},
		{"1750000000", "8", good, string(body)},
		{"1750000000", "7.1", good, string(body)},
		{"01750000000", "7", good, string(body)},
		{"-9223372036854775808", "7", good, `{"id":"7"}`},
		{"9223372036854775807", "x", "sha256=", `[1,2]`},
		{"", "", "", ""},
		{"1750000000", "7", "sha256=zz", `{"id":null}`},
		{"1750000000", "\"7\"", good, `{"id":"\"7\""}`},
	} {
		f.Add(s.ts, s.id, s.sig, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ts, id, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderEventID, id)
		h.Set(HeaderSignature, sig)
		err := Verify(testSecret, h, body, 0, now)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrStale) {
				t.Fatalf("Verify: %v wraps neither ErrBadSignature nor ErrStale", err)
			}
			return
		}
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || sig != Sign(testSecret, time.Unix(sec, 0), id, body) {
			t.Fatalf("Verify accepted timestamp %q, id %q, signature %q over %q: not what Sign makes", ts, id, sig, body)
		}
	})
}

// FuzzSignVerify: a request signed by Sign verifies (given a secret, an id
// without a dot that is the body's own id if the body names one), and any
// change to one byte of its body, event id, timestamp or signature makes
// Verify refuse it.
func FuzzSignVerify(f *testing.F) {
	f.Add(testSecret, int64(1_750_000_000), "7", []byte(`{"id": 7, "type": "dossier.ready"}`), uint8(0), uint16(5), byte('8'))
	f.Add(testSecret, int64(1_750_000_000), "7", []byte(`{"id": 7}`), uint8(1), uint16(0), byte(1))
	f.Add([]byte("k"), int64(0), "evt-1", []byte(`{"id":"evt-1"}`), uint8(2), uint16(0), byte('0'))
	f.Add([]byte("k"), int64(-1), "a", []byte{}, uint8(2), uint16(0), byte('-'))
	f.Add([]byte("k"), int64(9), "a", []byte("not json"), uint8(3), uint16(70), byte(0x20))
	f.Fuzz(func(t *testing.T, secret []byte, sec int64, id string, body []byte, field uint8, pos uint16, b byte) {
		bodyID, named := eventID(body)
		if len(secret) == 0 || id == "" || strings.Contains(id, ".") || named && bodyID != id {
			return // what Sign's contract excludes; FuzzVerify covers it
		}
		ts := time.Unix(sec, 0)
		fields := [][]byte{append([]byte(nil), body...), []byte(id), []byte(strconv.FormatInt(sec, 10)), []byte(Sign(secret, ts, id, body))}
		send := func() error {
			h := http.Header{}
			h.Set(HeaderEventID, string(fields[1]))
			h.Set(HeaderTimestamp, string(fields[2]))
			h.Set(HeaderSignature, string(fields[3]))
			return Verify(secret, h, fields[0], 0, ts)
		}
		if err := send(); err != nil {
			t.Fatalf("signed request refused: %v", err)
		}
		fld := fields[int(field)%len(fields)]
		if len(fld) == 0 {
			return
		}
		i := int(pos) % len(fld)
		fld[i] ^= b | 1 // a change, whatever b is
		if err := send(); err == nil {
			t.Fatalf("field %d changed at byte %d (%q) and still verified", int(field)%len(fields), i, fld)
		}
	})
}
