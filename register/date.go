package register

import (
	"fmt"
	"time"
)

// Date is a date of birth as the register keeps it: a full date, or only
// the year for the many older citizens whose papers never recorded more.
// Month and Day are 0 for a year-only date; the zero Date is "no date".
type Date struct {
	Year, Month, Day int
}

// DateOf is the full date t names.
func DateOf(t time.Time) Date { return Date{t.Year(), int(t.Month()), t.Day()} }

// YearOnly is a date of which only the year is known.
func YearOnly(year int) Date { return Date{Year: year} }

// ParseDate reads the wire form: yyyyMMdd for a full date, yyyy for a year.
// The empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	switch len(s) {
	case 0:
		return Date{}, nil
	case 4:
		y, ok := digits(s)
		if !ok || y == 0 {
			return Date{}, fmt.Errorf("date %q: want yyyyMMdd or yyyy", s)
		}
		return Date{Year: y}, nil
	case 8:
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[4:6])
		d, ok3 := digits(s[6:])
		if !ok1 || !ok2 || !ok3 || y == 0 {
			return Date{}, fmt.Errorf("date %q: want yyyyMMdd or yyyy", s)
		}
		// time.Date normalises 31 February into March; a date that does
		// not survive the round trip does not exist.
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Year() != y || int(t.Month()) != m || t.Day() != d {
			return Date{}, fmt.Errorf("date %q: no such day", s)
		}
		return Date{y, m, d}, nil
	}
	return Date{}, fmt.Errorf("date %q: want yyyyMMdd or yyyy", s)
}

func digits(s string) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// String is the wire form: yyyyMMdd, yyyy for a year-only date, "" for the
// zero Date.
func (d Date) String() string {
	switch {
	case d.IsZero():
		return ""
	case d.IsYearOnly():
		return fmt.Sprintf("%04d", d.Year)
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
}

// IsZero reports whether no date is given.
func (d Date) IsZero() bool { return d == Date{} }

// IsYearOnly reports whether only the year is known.
func (d Date) IsYearOnly() bool { return d.Year != 0 && d.Month == 0 }

// Matches reports whether d and o can be the same date of birth: equal
// full dates, or equal years when either side knows only the year. A
// citizen whose record holds only 1950 and whose papers say 12 March 1950
// is the same citizen; the register cannot say more.
func (d Date) Matches(o Date) bool {
	if d.IsZero() || o.IsZero() {
		return false
	}
	if d.IsYearOnly() || o.IsYearOnly() {
		return d.Year == o.Year
	}
	return d == o
}
