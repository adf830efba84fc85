package citizen

import (
	"errors"
	"fmt"
	"testing"
)

// idSeeds are numbers on either side of each rule: well formed, each
// province edge, each century digit, the year of birth at now, the old
// card's 9 digits, and the near misses a reader makes (a letter O, a
// space, one digit too many).
var idSeeds = []string{
	"001085012345", "079305000123", "096999999999", "001099000000", "001226000001",
	"003185012345", "097185012345", "000085012345", "001927012345", "001426000000",
	"012345678", "000000000", "999999999", "", "0O1085012345", "001 08501234",
	"0011850123456", "00118501234", "٠٠١٠٨٥٠١٢٣٤٥", "00108501234\x00",
}

// FuzzParseIDOf: ParseID and ParseIDOf never panic; what they refuse wraps
// ErrBadID; a number they accept is 12 digits under a known province code,
// born no later than now, and rebuilds from what it was read as (province,
// century and sex, year, serial) to the same number; and ParseIDOf accepts
// it for the holder it describes and for no holder it contradicts.
func FuzzParseIDOf(f *testing.F) {
	for i, s := range idSeeds {
		f.Add(s, 1900+i*7, uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, s string, birthYear int, sex uint8) {
		h := Holder{BirthYear: birthYear, Sex: Sex(sex % 3)}
		id, err := ParseID(s, now)
		got, errOf := ParseIDOf(s, h, now)
		if err != nil {
			if !errors.Is(err, ErrBadID) {
				t.Fatalf("ParseID(%q): %v does not wrap ErrBadID", s, err)
			}
			if errOf == nil {
				t.Fatalf("ParseIDOf(%q) accepted what ParseID refused: %v", s, err)
			}
			return
		}
		if id.Number != s || !provinces[id.Province] || id.Province != s[:3] {
			t.Fatalf("ParseID(%q) = %+v: number or province wrong", s, id)
		}
		if id.BirthYear < 1900 || id.BirthYear > now.Year() {
			t.Fatalf("ParseID(%q) = %+v: year of birth outside 1900..%d", s, id, now.Year())
		}
		g := (id.BirthYear/100-19)*2 + map[bool]int{false: 0, true: 1}[id.Female]
		if re := fmt.Sprintf("%s%d%02d%s", id.Province, g, id.BirthYear%100, s[6:]); re != s {
			t.Fatalf("ParseID(%q) = %+v, which rebuilds to %q", s, id, re)
		}
		own := Holder{BirthYear: id.BirthYear, Sex: Male}
		if id.Female {
			own.Sex = Female
		}
		if back, err := ParseIDOf(s, own, now); err != nil || back != id {
			t.Fatalf("ParseIDOf(%q, its own holder %+v) = %+v, %v", s, own, back, err)
		}
		agrees := (h.BirthYear == 0 || h.BirthYear == id.BirthYear) &&
			(h.Sex == SexUnknown || (h.Sex == Female) == id.Female)
		switch {
		case agrees && (errOf != nil || got != id):
			t.Fatalf("ParseIDOf(%q, %+v) = %+v, %v; the holder agrees with %+v", s, h, got, errOf, id)
		case !agrees && (!errors.Is(errOf, ErrDisagrees) || !errors.Is(errOf, ErrBadID)):
			t.Fatalf("ParseIDOf(%q, %+v) = %v, want ErrDisagrees and ErrBadID", s, h, errOf)
		}
	})
}

// FuzzCheckNumber: CheckNumber never panics and accepts exactly the 9-digit
// card numbers ParseLegacyID accepts (9 ASCII digits, not all zero) and the
// numbers ParseID accepts; ParseLegacyID gives back what it was given.
func FuzzCheckNumber(f *testing.F) {
	for _, s := range idSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		legacy, lerr := ParseLegacyID(s)
		ascii9 := len(s) == 9
		for i := range len(s) {
			ascii9 = ascii9 && s[i] >= '0' && s[i] <= '9'
		}
		if wantOK := ascii9 && s != "000000000"; (lerr == nil) != wantOK || lerr == nil && legacy != s {
			t.Fatalf("ParseLegacyID(%q) = %q, %v; want accepted: %v", s, legacy, lerr, wantOK)
		}
		if lerr != nil && !errors.Is(lerr, ErrBadID) {
			t.Fatalf("ParseLegacyID(%q): %v does not wrap ErrBadID", s, lerr)
		}
		_, perr := ParseID(s, now)
		err := CheckNumber(s, now)
		want := perr
		if len(s) == 9 {
			want = lerr
		}
		if (err == nil) != (want == nil) {
			t.Fatalf("CheckNumber(%q) = %v, but the parser for its length says %v", s, err, want)
		}
		if err != nil && !errors.Is(err, ErrBadID) {
			t.Fatalf("CheckNumber(%q): %v does not wrap ErrBadID", s, err)
		}
	})
}
