// Package citizen knows the shape of Vietnamese personal data: the
// 12-digit personal identification number (số định danh cá nhân, printed
// on the CCCD card) and what its digits say.
package citizen

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadID: not a personal identification number.
var ErrBadID = errors.New("invalid personal identification number")

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
	if len(s) != 12 {
		return ID{}, fmt.Errorf("%w %q: want 12 digits", ErrBadID, s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return ID{}, fmt.Errorf("%w %q: want 12 digits", ErrBadID, s)
		}
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
