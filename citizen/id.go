// Package citizen knows the shape of Vietnamese personal data: the
// 12-digit personal identification number (số định danh cá nhân, printed
// on the CCCD card), what its digits say and whether they agree with the
// date of birth and gender written beside them, and the 9-digit number of
// the old identity card (CMND) it replaced. The API checks numbers typed
// at a station with it; extraction (pipeline/extract) checks numbers read
// off a page against the rest of that page.
package citizen

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadID: not a personal identification number.
var ErrBadID = errors.New("invalid personal identification number")

// ErrDisagrees: a well-formed number whose digits contradict the date of
// birth or the gender its holder's document states. Errors that wrap it
// wrap ErrBadID too: one of the two was written or read wrong, and the
// number cannot be trusted.
var ErrDisagrees = errors.New("disagrees with its holder")

// provinces are the codes of the provinces of birth registration the
// numbers are issued under (001-096, with gaps; unchanged by the 2025
// province mergers, since numbers already issued do not change).
var provinces = map[string]bool{}

func init() {
	for _, p := range []string{"001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
		"020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040",
		"042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060", "062", "064", "066",
		"067", "068", "070", "072", "074", "075", "077", "079", "080", "082", "083", "084", "086", "087", "089",
		"091", "092", "093", "094", "095", "096"} {
		provinces[p] = true
	}
}

// ID is what a personal identification number says about its holder.
type ID struct {
	Number    string
	Province  string // code of the province of birth registration
	Female    bool
	BirthYear int
}

// ParseID checks a 12-digit number PPP G YY NNNNNN: a known province code,
// then the century-and-sex digit and the year of birth, which must not
// lie after now.
func ParseID(s string, now time.Time) (ID, error) {
	if len(s) != 12 || !digits(s) {
		return ID{}, fmt.Errorf("%w %q: want 12 digits", ErrBadID, s)
	}
	id := ID{Number: s, Province: s[:3]}
	if !provinces[id.Province] {
		return ID{}, fmt.Errorf("%w %q: %s is no province code", ErrBadID, s, id.Province)
	}
	g := int(s[3] - '0')
	// 0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 2300s; even
	// digits for men, odd for women.
	century := 1900 + 100*(g/2)
	id.Female = g%2 == 1
	id.BirthYear = century + int(s[4]-'0')*10 + int(s[5]-'0')
	if id.BirthYear > now.Year() {
		return ID{}, fmt.Errorf("%w %q: says born in %d", ErrBadID, s, id.BirthYear)
	}
	return id, nil
}

// Sex is the gender a document states, as the number encodes it.
type Sex int

const (
	SexUnknown Sex = iota
	Male
	Female
)

// Holder is what the number's own document says about its holder; zero
// fields are not stated there and are not checked.
type Holder struct {
	BirthYear int
	Sex       Sex
}

// ParseIDOf is ParseID, then the check that the number fits its holder:
// the century-and-sex digit names the century of the year of birth and the
// gender, the next two digits the year within it. There is no check digit,
// so this agreement is all that tells a misread digit from a real number.
func ParseIDOf(s string, h Holder, now time.Time) (ID, error) {
	id, err := ParseID(s, now)
	if err != nil {
		return ID{}, err
	}
	bad := func(format string, args ...any) (ID, error) {
		return ID{}, fmt.Errorf("%w %q: %w: %s", ErrBadID, s, ErrDisagrees, fmt.Sprintf(format, args...))
	}
	if h.BirthYear != 0 {
		if c := h.BirthYear / 100 * 100; c != id.BirthYear/100*100 {
			return bad("digit %c says born in the %ds, the document says %d", s[3], id.BirthYear/100*100, h.BirthYear)
		}
		if h.BirthYear != id.BirthYear {
			return bad("digits %s say born in %d, the document says %d", s[4:6], id.BirthYear, h.BirthYear)
		}
	}
	if h.Sex == Female && !id.Female || h.Sex == Male && id.Female {
		says, doc := "a man", "a woman"
		if id.Female {
			says, doc = doc, says
		}
		return bad("digit %c says %s, the document says %s", s[3], says, doc)
	}
	return id, nil
}

// ParseLegacyID checks the number of the old identity card (chứng minh
// nhân dân, CMND): 9 digits. The card carries no check digit and its first
// digits name only the police office that issued it, so the length and the
// digits are all there is to check. Numbers of the 12-digit CMND issued
// from 2012 have the structure of the personal identification number:
// ParseID reads them.
func ParseLegacyID(s string) (string, error) {
	if len(s) != 9 || !digits(s) {
		return "", fmt.Errorf("%w %q: an identity card (CMND) number has 9 digits", ErrBadID, s)
	}
	if s == "000000000" {
		return "", fmt.Errorf("%w %q: no card has this number", ErrBadID, s)
	}
	return s, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CheckNumber checks s as either number a citizen may be looked up by: a
// 9-digit old identity card number (ParseLegacyID) or a 12-digit personal
// identification number (ParseID).
func CheckNumber(s string, now time.Time) error {
	if len(s) == 9 {
		_, err := ParseLegacyID(s)
		return err
	}
	_, err := ParseID(s, now)
	return err
}
