package citizen

import (
	"errors"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func TestParseID(t *testing.T) {
	id, err := ParseID("001085012345", now)
	if err != nil || id.Province != "001" || id.Female || id.BirthYear != 1985 {
		t.Errorf("001085012345 = %+v, %v", id, err)
	}
	id, err = ParseID("079305000123", now)
	if err != nil || !id.Female || id.BirthYear != 2005 {
		t.Errorf("079305000123 = %+v, %v", id, err)
	}
}

// Each rule of the number's structure, and of its agreement with the
// holder's document, refuses a number that breaks only that rule.
func TestIDRules(t *testing.T) {
	for _, c := range []struct {
		rule     string
		number   string
		holder   Holder
		disagree bool // the number is well formed, its holder's data is not
	}{
		{rule: "empty", number: ""},
		{rule: "11 digits", number: "00118501234"},
		{rule: "13 digits", number: "0011850123456"},
		{rule: "a letter", number: "00118501234x"},
		{rule: "a letter O read for a zero", number: "0O1085012345"},
		{rule: "spaces inside", number: "001 08501234"},
		{rule: "9 digits is a CMND, not an ID", number: "012345678"},
		{rule: "unknown province 003", number: "003185012345"},
		{rule: "unknown province 097", number: "097185012345"},
		{rule: "unknown province 000", number: "000085012345"},
		{rule: "future year", number: "001299012345"},
		{rule: "future century", number: "001485012345"},
		{rule: "century digit 2 (2000s), born 1925", number: "001225012345", holder: Holder{BirthYear: 1925}, disagree: true},
		{rule: "century digit 0 (1900s), born 2005", number: "001005012345", holder: Holder{BirthYear: 2005}, disagree: true},
		{rule: "year digits 86, born 1985", number: "001086012345", holder: Holder{BirthYear: 1985}, disagree: true},
		{rule: "gender digit male, document female", number: "001085012345", holder: Holder{BirthYear: 1985, Sex: Female}, disagree: true},
		{rule: "gender digit female, document male", number: "001185012345", holder: Holder{Sex: Male}, disagree: true},
	} {
		_, err := ParseIDOf(c.number, c.holder, now)
		if !errors.Is(err, ErrBadID) {
			t.Errorf("%s: %q: err = %v, want ErrBadID", c.rule, c.number, err)
		}
		if errors.Is(err, ErrDisagrees) != c.disagree {
			t.Errorf("%s: %q: err = %v, ErrDisagrees should be %v", c.rule, c.number, err, c.disagree)
		}
		if c.holder == (Holder{}) {
			if _, err := ParseID(c.number, now); !errors.Is(err, ErrBadID) {
				t.Errorf("%s: ParseID(%q) = %v, want ErrBadID", c.rule, c.number, err)
			}
		}
	}
}

func TestIDAgrees(t *testing.T) {
	for _, c := range []struct {
		number string
		holder Holder
		year   int
		female bool
	}{
		{"001085012345", Holder{BirthYear: 1985, Sex: Male}, 1985, false},
		{"027186009213", Holder{BirthYear: 1986, Sex: Female}, 1986, true},
		{"079305000123", Holder{BirthYear: 2005, Sex: Female}, 2005, true},
		{"048224000001", Holder{BirthYear: 2024}, 2024, false},
		{"096100000000", Holder{}, 1900, true}, // nothing stated: nothing checked
		{"001226012345", Holder{Sex: Male}, 2026, false},
	} {
		id, err := ParseIDOf(c.number, c.holder, now)
		if err != nil || id.BirthYear != c.year || id.Female != c.female {
			t.Errorf("%s with %+v = %+v, %v; want born %d, female %v", c.number, c.holder, id, err, c.year, c.female)
		}
	}
}

func TestLegacyID(t *testing.T) {
	for _, good := range []string{"012345678", "271896543", "381234567"} {
		if got, err := ParseLegacyID(good); err != nil || got != good {
			t.Errorf("ParseLegacyID(%q) = %q, %v", good, got, err)
		}
	}
	for _, bad := range []string{"", "01234567", "0123456789", "001085012345", "01234567O", "000000000", "012 345 678"} {
		if _, err := ParseLegacyID(bad); !errors.Is(err, ErrBadID) {
			t.Errorf("ParseLegacyID(%q): err = %v, want ErrBadID", bad, err)
		}
	}
}

func TestCheckNumber(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for s, ok := range map[string]bool{"001085012345": true, "012345678": true, "000000000": false, "003085012345": false, "12345": false, "0010850123456": false} {
		if err := CheckNumber(s, now); (err == nil) != ok {
			t.Errorf("CheckNumber(%q) = %v, want ok %v", s, err, ok)
		}
	}
}
