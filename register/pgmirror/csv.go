package pgmirror

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/citizen"
	"github.com/sohoa/sohoa/register"
)

// The export format, one citizen a line, is CSV (RFC 4180, UTF-8, a byte
// order mark allowed) whose first line names the columns, in any order.
// Each column is the table column of the same name. id, family_name,
// given_name and birth are required; a column not in this list is refused,
// so that a misspelt header fails the load instead of loading blanks.
//
//	id                    12-digit personal identification number
//	legacy_id             9-digit CMND number, or empty
//	family_name, middle_name, given_name
//	gender                1 male, 2 female, empty or 0 unknown
//	birth                 yyyyMMdd, or yyyy when only the year is known
//	ethnicity, religion, nationality   catalogue codes
//	{birth_reg,home,permanent,current}_{province,district,ward,detail}
//	{father,mother,spouse,representative,head}_{id,name}
//
// CONTRACT.md in the register folder repeats this for those who produce
// the export.

// column is one column of the CSV and of register.citizens.
type column struct {
	name string
	// text points at the Citizen field the column holds; nil for id,
	// gender and birth, which are parsed.
	text func(c *register.Citizen) *string
}

// columns is every column, in table order.
var columns = func() []column {
	cs := []column{
		{"id", nil},
		{"legacy_id", func(c *register.Citizen) *string { return &c.LegacyID }},
		{"family_name", func(c *register.Citizen) *string { return &c.Name.Family }},
		{"middle_name", func(c *register.Citizen) *string { return &c.Name.Middle }},
		{"given_name", func(c *register.Citizen) *string { return &c.Name.Given }},
		{"gender", nil},
		{"birth", nil},
		{"ethnicity", func(c *register.Citizen) *string { return &c.Ethnicity }},
		{"religion", func(c *register.Citizen) *string { return &c.Religion }},
		{"nationality", func(c *register.Citizen) *string { return &c.Nationality }},
	}
	places := []struct {
		prefix string
		place  func(c *register.Citizen) *register.Place
	}{
		{"birth_reg", func(c *register.Citizen) *register.Place { return &c.BirthRegistration }},
		{"home", func(c *register.Citizen) *register.Place { return &c.HomeTown }},
		{"permanent", func(c *register.Citizen) *register.Place { return &c.Permanent }},
		{"current", func(c *register.Citizen) *register.Place { return &c.Current }},
	}
	for _, p := range places {
		cs = append(cs,
			column{p.prefix + "_province", func(c *register.Citizen) *string { return &p.place(c).Province }},
			column{p.prefix + "_district", func(c *register.Citizen) *string { return &p.place(c).District }},
			column{p.prefix + "_ward", func(c *register.Citizen) *string { return &p.place(c).Ward }},
			column{p.prefix + "_detail", func(c *register.Citizen) *string { return &p.place(c).Detail }})
	}
	relatives := []struct {
		prefix   string
		relative func(c *register.Citizen) *register.Relative
	}{
		{"father", func(c *register.Citizen) *register.Relative { return &c.Father }},
		{"mother", func(c *register.Citizen) *register.Relative { return &c.Mother }},
		{"spouse", func(c *register.Citizen) *register.Relative { return &c.Spouse }},
		{"representative", func(c *register.Citizen) *register.Relative { return &c.Representative }},
		{"head", func(c *register.Citizen) *register.Relative { return &c.HouseholdHead }},
	}
	for _, r := range relatives {
		cs = append(cs,
			column{r.prefix + "_id", func(c *register.Citizen) *string { return &r.relative(c).ID }},
			column{r.prefix + "_name", func(c *register.Citizen) *string { return &r.relative(c).Name }})
	}
	return cs
}()

// columnNames are the names of columns, in table order.
var columnNames = func() []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}()

var required = []string{"id", "family_name", "given_name", "birth"}

// header maps the file's header to the table's columns: index[i] is the
// file field that holds columns[i], or -1.
func header(fields []string) ([]int, error) {
	index := make([]int, len(columns))
	for i := range index {
		index[i] = -1
	}
	byName := make(map[string]int, len(columns))
	for i, c := range columns {
		byName[c.name] = i
	}
	for j, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		if j == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // Excel's byte order mark
		}
		i, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("header: unknown column %q (field %d); the columns are %s", f, j+1, strings.Join(columnNames, ", "))
		}
		if index[i] >= 0 {
			return nil, fmt.Errorf("header: column %q twice (fields %d and %d)", name, index[i]+1, j+1)
		}
		index[i] = j
	}
	for _, name := range required {
		if index[byName[name]] < 0 {
			return nil, fmt.Errorf("header: required column %q missing", name)
		}
	}
	return index, nil
}

// parseRow reads one record into a citizen, checking what the register
// itself guarantees: a valid number whose century-and-sex digit and birth
// year agree with the gender and date of birth, a 9-digit legacy number,
// the name's family and given parts. Text is trimmed and composed (NFC),
// so that what Lookup returns does not depend on the tool that wrote the
// export.
func parseRow(rec []string, index []int, now time.Time) (register.Citizen, error) {
	var c register.Citizen
	field := func(i int) string {
		if index[i] < 0 {
			return ""
		}
		return norm.NFC.String(strings.TrimSpace(rec[index[i]]))
	}
	for i, col := range columns {
		v := field(i)
		if strings.IndexFunc(v, unicode.IsControl) >= 0 || strings.ContainsAny(v, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
			return c, fmt.Errorf("%s: control or bidirectional-override character", col.name)
		}
		if col.text != nil {
			*col.text(&c) = v
		}
	}
	c.ID = field(0)
	id, err := citizen.ParseID(c.ID, now)
	if err != nil {
		return c, fmt.Errorf("id: %w", err)
	}
	if c.LegacyID != "" && !isDigits(c.LegacyID, 9) {
		return c, fmt.Errorf("legacy_id %q: want 9 digits", c.LegacyID)
	}
	if c.Name.Family == "" || c.Name.Given == "" {
		return c, fmt.Errorf("family_name and given_name are required")
	}
	switch g := field(5); g {
	case "", "0":
	case "1", "2":
		c.Gender = register.Gender(g[0] - '0')
		if (c.Gender == register.Female) != id.Female {
			return c, fmt.Errorf("gender %s disagrees with id %s (century-and-sex digit %c)", g, c.ID, c.ID[3])
		}
	default:
		return c, fmt.Errorf("gender %q: want 1 (male), 2 (female) or empty", g)
	}
	if c.Birth, err = register.ParseDate(field(6)); err != nil {
		return c, fmt.Errorf("birth: %w", err)
	}
	if c.Birth.IsZero() {
		return c, fmt.Errorf("birth is required")
	}
	if c.Birth.Year != id.BirthYear {
		return c, fmt.Errorf("birth %s disagrees with id %s (born %d)", c.Birth, c.ID, id.BirthYear)
	}
	for _, r := range []struct {
		role string
		id   string
	}{{"father", c.Father.ID}, {"mother", c.Mother.ID}, {"spouse", c.Spouse.ID},
		{"representative", c.Representative.ID}, {"head", c.HouseholdHead.ID}} {
		if r.id != "" && !isDigits(r.id, 12) && !isDigits(r.id, 9) {
			return c, fmt.Errorf("%s_id %q: want 12 or 9 digits", r.role, r.id)
		}
	}
	return c, nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// record is c as a CSV record, or as a table row, in column order.
func record(c *register.Citizen) []string {
	rec := make([]string, len(columns))
	for i, col := range columns {
		switch col.name {
		case "id":
			rec[i] = c.ID
		case "gender":
			rec[i] = strconv.Itoa(int(c.Gender))
		case "birth":
			rec[i] = c.Birth.String()
		default:
			rec[i] = *col.text(c)
		}
	}
	return rec
}

// WriteCSV writes citizens in the export format, every column, header
// first. It is the format's reference writer: the tests and the benchmark
// make their files with it.
func WriteCSV(w io.Writer, citizens iter.Seq[register.Citizen]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columnNames); err != nil {
		return fmt.Errorf("write register CSV header: %w", err)
	}
	for c := range citizens {
		if err := cw.Write(record(&c)); err != nil {
			return fmt.Errorf("write register CSV row %s: %w", c.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write register CSV: %w", err)
	}
	return nil
}
