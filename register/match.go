package register

import (
	"fmt"
	"time"

	"github.com/sohoa/sohoa/citizen"
)

// MaxRequestID is the longest request ID the contract allows.
const MaxRequestID = 40

// Check reports, as ErrBadRequest naming the field, what makes req one the
// register would refuse; forVerify also requires the name and the date of
// birth that Verify compares. Both implementations call it first, so that
// a request the SOAP service would refuse is refused by the mirror too.
func (req Request) Check(forVerify bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
	}
	if req.RequestID == "" || len(req.RequestID) > MaxRequestID {
		return bad("request ID %q: want 1 to %d characters", req.RequestID, MaxRequestID)
	}
	for _, c := range req.RequestID {
		if c < 0x21 || c > 0x7e {
			return bad("request ID %q: want printable ASCII without spaces", req.RequestID)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"procedure code", req.Procedure}, {"service code", req.Service},
		{"agency code", req.Agency}, {"officer", req.Officer},
	} {
		if f.v == "" {
			return bad("request %s: %s is required", req.RequestID, f.name)
		}
	}
	if req.ID == "" && req.LegacyID == "" {
		return bad("request %s: an ID number or a legacy ID number is required", req.RequestID)
	}
	if req.ID != "" {
		// The year check uses a clock far ahead: a number "born next
		// year" is the register's to refuse, not a format error.
		if _, err := citizen.ParseID(req.ID, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			return bad("request %s: %v", req.RequestID, err)
		}
	}
	if req.LegacyID != "" {
		if _, ok := digits(req.LegacyID); !ok || len(req.LegacyID) != 9 {
			return bad("request %s: legacy ID %q: want 9 digits", req.RequestID, req.LegacyID)
		}
	}
	if forVerify && FoldName(req.Name) == "" {
		return bad("request %s: verify needs the name", req.RequestID)
	}
	if forVerify && req.Birth.IsZero() {
		return bad("request %s: verify needs the date or year of birth", req.RequestID)
	}
	return nil
}

// Matches reports whether c is the citizen req asks about: every number,
// name and date of birth the request gives equals c's (names compared
// folded, dates by Date.Matches). It is the register's rule, applied by the
// mirror to its rows and by the SOAP client to its cached records.
func Matches(req Request, c *Citizen) bool {
	if c == nil {
		return false
	}
	if req.ID != "" && req.ID != c.ID {
		return false
	}
	if req.LegacyID != "" && req.LegacyID != c.LegacyID {
		return false
	}
	if req.Name != "" && FoldName(req.Name) != FoldName(c.Name.String()) {
		return false
	}
	if !req.Birth.IsZero() && !req.Birth.Matches(c.Birth) {
		return false
	}
	return true
}
