// Package reconcile is the stage after extract: it looks up each person a
// dossier's documents name in the population register (package register)
// and says, field by field, whether what OCR read agrees with what the
// register holds. The register's record travels with the result, so the
// workflow reuses it instead of asking the citizen again.
//
// Nothing is corrected here: a field is confirmed, differing (both values
// kept, and how they differ: only in tone marks, say) or absent, and the
// register's copy is attached as the authoritative one. A register that
// cannot answer never fails a dossier: the result is Pending and the
// caller asks again later.
package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/citizen"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/register"
)

// Outcome of a whole reconciliation, as Result.Status says it.
const (
	// Reconciled: every person with a number was looked up (found or not).
	Reconciled = "reconciled"
	// Pending: the register could not answer; ask again later.
	Pending = "pending"
	// Refused: the register refused the agency, officer or credentials; a
	// person has to fix the permission before asking again helps.
	Refused = "refused"
	// NothingToCheck: no person on the documents carries a number to look up.
	NothingToCheck = "nothing_to_check"
)

// A field's verdict.
const (
	Confirmed = "confirmed" // the document and the register agree
	Differing = "differing" // they disagree; Document and Register say how
	Absent    = "absent"    // one side does not give it
)

// How two differing values differ, where that can be said.
const (
	DiffToneMarks = "tone marks only" // equal once diacritics are taken off
	DiffSpelling  = "spelling"
	DiffDate      = "date"
	DiffYearOnly  = "register holds the year only"
	DiffValue     = "value"
)

// A person's outcome.
const (
	Found    = "found"
	NotFound = "not_found" // the register knows no citizen with that number
	NoNumber = "no_number" // the document gives no usable number to look up
)

// Result is the reconciliation of one dossier.
type Result struct {
	Status  string    `json:"status"`
	Checked time.Time `json:"checked"`
	// Error says why the register did not answer (Pending, Refused).
	Error  string   `json:"error,omitempty"`
	People []Person `json:"people,omitempty"`
}

// Person is one person of the documents, checked.
type Person struct {
	Document int    `json:"document"` // index into the dossier's documents
	Role     string `json:"role"`
	// Number is the number looked up; Legacy when it is an old 9-digit
	// identity card number. RequestID names the call in both sides' logs.
	Number    string  `json:"number,omitempty"`
	Legacy    bool    `json:"legacy,omitempty"`
	RequestID string  `json:"request_id,omitempty"`
	Outcome   string  `json:"outcome"`
	Fields    []Check `json:"fields,omitempty"`
	// Record is the register's copy of the citizen, the authoritative
	// values for reuse.
	Record *register.Citizen `json:"register_record,omitempty"`
}

// Check is one field compared.
type Check struct {
	Field      string `json:"field"`
	Status     string `json:"status"`
	Document   string `json:"document,omitempty"`
	Register   string `json:"register,omitempty"`
	Difference string `json:"difference,omitempty"`
}

// Caller is who asks and why: every register call carries it.
type Caller struct {
	Procedure, Service, Agency, Officer string
}

// Call is one register call made, for the dossier's audit trail.
type Call struct {
	RequestID string
	Number    string
	Outcome   string // Found, NotFound, or the error
}

// Reconcile looks up every person of docs (the dossier's documents, as
// extract read them) that carries a number, once per number, and compares
// their fields with the register's record. code, the dossier's code, goes
// into the request IDs so that a repeated reconciliation of the same
// dossier sends the same IDs. It returns the calls made, for the audit
// trail, also when the register failed part way; the error is only ever a
// cancelled ctx: a register that cannot answer gives a Pending result.
func Reconcile(ctx context.Context, reg register.Register, who Caller, code string, docs []extract.Metadata, now time.Time) (*Result, []Call, error) {
	res := &Result{Status: NothingToCheck, Checked: now.UTC()}
	var calls []Call
	asked := map[string]*register.Citizen{}
	for d, doc := range docs {
		for _, p := range doc.People {
			out := Person{Document: d, Role: p.Role, Outcome: NoNumber}
			number, legacy := numberOf(p)
			if number == "" {
				res.People = append(res.People, out)
				continue
			}
			out.Number, out.Legacy = number, legacy
			out.RequestID = RequestID(code, number)
			rec, seen := asked[number]
			if !seen {
				req := register.Request{RequestID: out.RequestID, Procedure: who.Procedure, Service: who.Service,
					Agency: who.Agency, Officer: who.Officer}
				if legacy {
					req.LegacyID = number
				} else {
					req.ID = number
				}
				var err error
				rec, err = reg.Lookup(ctx, req)
				switch {
				case ctx.Err() != nil:
					return res, calls, fmt.Errorf("reconcile dossier %s: %w", code, ctx.Err())
				case err != nil:
					calls = append(calls, Call{RequestID: req.RequestID, Number: number, Outcome: err.Error()})
					res.Status, res.Error = Pending, err.Error()
					if errors.Is(err, register.ErrNotPermitted) {
						res.Status = Refused
					}
					res.People = nil // a half-checked dossier is not a result
					return res, calls, nil
				}
				asked[number] = rec
				outcome := NotFound
				if rec != nil {
					outcome = Found
				}
				calls = append(calls, Call{RequestID: req.RequestID, Number: number, Outcome: outcome})
			}
			res.Status = Reconciled
			if rec == nil {
				out.Outcome = NotFound
			} else {
				out.Outcome, out.Record, out.Fields = Found, rec, compare(p, rec)
			}
			res.People = append(res.People, out)
		}
	}
	return res, calls, nil
}

// RequestID is the register request ID for looking up number for dossier
// code: derived, so a retried reconciliation repeats it, and at most 40
// characters as the contract allows.
func RequestID(code, number string) string {
	sum := sha256.Sum256([]byte(code + "\x00" + number))
	return "sohoa-" + hex.EncodeToString(sum[:17])
}

// numberOf is the number to look p up by: the 12-digit one when its
// structure holds, else the old 9-digit one.
func numberOf(p extract.Person) (number string, legacy bool) {
	if p.ID != nil && p.ID.Value != "" && p.ID.Problem == "" {
		return p.ID.Value, false
	}
	if p.LegacyID != nil && p.LegacyID.Value != "" && p.LegacyID.Problem == "" {
		return p.LegacyID.Value, true
	}
	return "", false
}

// compare checks each field the register and a document can share.
func compare(p extract.Person, c *register.Citizen) []Check {
	var out []Check
	out = append(out, compareName(value(p.Name), c.Name.String()))
	out = append(out, compareBirth(value(p.DateOfBirth), c.Birth))
	out = append(out, compareText(extract.FieldGender, value(p.Gender), genderName(c.Gender)))
	out = append(out, compareText(extract.FieldNationality, value(p.Nationality), nationalityName(c.Nationality)))
	out = append(out, compareText(extract.FieldEthnicity, value(p.Ethnicity), citizen.EthnicityName(c.Ethnicity)))
	out = append(out, compareAddress(extract.FieldPermanentAddress, value(p.PermanentAddress), c.Permanent))
	out = append(out, compareAddress(extract.FieldCurrentAddress, value(p.CurrentAddress), c.Current))
	return out
}

func value(f *extract.Field) string {
	if f == nil || f.Problem != "" {
		return ""
	}
	return f.Value
}

// absent is the check of a field one side does not give.
func absent(field, doc, reg string) (Check, bool) {
	if doc == "" || reg == "" {
		return Check{Field: field, Status: Absent, Document: doc, Register: reg}, true
	}
	return Check{}, false
}

// compareName tells a name that differs only in tone marks (an OCR slip,
// or a register entry typed without them) from another name.
func compareName(doc, reg string) Check {
	if c, ok := absent(extract.FieldName, doc, reg); ok {
		return c
	}
	c := Check{Field: extract.FieldName, Document: doc, Register: reg, Status: Differing, Difference: DiffSpelling}
	switch {
	case canon(doc) == canon(reg):
		c.Status, c.Difference = Confirmed, ""
	case register.FoldName(doc) == register.FoldName(reg):
		c.Difference = DiffToneMarks
	}
	return c
}

// compareBirth compares an extracted date (YYYY-MM-DD, or a year) with the
// register's.
func compareBirth(doc string, reg register.Date) Check {
	regText := ""
	if !reg.IsZero() {
		regText = isoDate(reg)
	}
	if c, ok := absent(extract.FieldDateOfBirth, doc, regText); ok {
		return c
	}
	c := Check{Field: extract.FieldDateOfBirth, Document: doc, Register: regText, Status: Differing, Difference: DiffDate}
	d, err := register.ParseDate(strings.ReplaceAll(doc, "-", ""))
	if err != nil {
		return c
	}
	switch {
	case d == reg:
		c.Status, c.Difference = Confirmed, ""
	case d.Matches(reg) && reg.IsYearOnly():
		c.Status, c.Difference = Confirmed, DiffYearOnly
	case d.Matches(reg): // the document gives the year only
		c.Status, c.Difference = Confirmed, ""
	}
	return c
}

func isoDate(d register.Date) string {
	if d.IsYearOnly() {
		return fmt.Sprintf("%04d", d.Year)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// compareText compares short values (gender, nationality, ethnicity) case-
// and space-blind, and tells a tone-mark difference apart.
func compareText(field, doc, reg string) Check {
	if c, ok := absent(field, doc, reg); ok {
		return c
	}
	c := Check{Field: field, Document: doc, Register: reg, Status: Differing, Difference: DiffValue}
	switch {
	case canon(doc) == canon(reg):
		c.Status, c.Difference = Confirmed, ""
	case fold(doc) == fold(reg):
		c.Difference = DiffToneMarks
	}
	return c
}

// compareAddress holds a document's address against the register's place.
// The register keys a place by the codes of province, district and ward
// plus a detail line (house, street, village); sohoa knows the province
// names, not the thousands of districts' and wards', so the address is
// confirmed when the register's detail line and province name both appear
// in the document's address, compared without diacritics, case or
// punctuation.
func compareAddress(field, doc string, reg register.Place) Check {
	regText := placeText(reg)
	if c, ok := absent(field, doc, regText); ok {
		return c
	}
	c := Check{Field: field, Document: doc, Register: regText, Status: Differing, Difference: DiffValue}
	d := fold(doc)
	detail := fold(reg.Detail)
	province := fold(citizen.ProvinceName(reg.Province))
	switch {
	case canon(doc) == canon(regText):
		c.Status, c.Difference = Confirmed, ""
	case detail != "" && strings.Contains(d, detail) && (province == "" || strings.Contains(d, province)):
		c.Status, c.Difference = Confirmed, ""
		if !strings.Contains(bare(doc), bare(reg.Detail)) {
			c.Difference = DiffToneMarks
		}
	}
	return c
}

// placeText is the register's place as one line: its detail and the
// province's name (districts and wards by their codes, which is all the
// register gives).
func placeText(p register.Place) string {
	var parts []string
	if p.Detail != "" {
		parts = append(parts, p.Detail)
	}
	if p.Ward != "" || p.District != "" {
		parts = append(parts, fmt.Sprintf("(xã %s, huyện %s)", p.Ward, p.District))
	}
	if name := citizen.ProvinceName(p.Province); name != "" {
		parts = append(parts, name)
	} else if p.Province != "" {
		parts = append(parts, "tỉnh "+p.Province)
	}
	return strings.Join(parts, ", ")
}

func genderName(g register.Gender) string {
	switch g {
	case register.Male:
		return "Nam"
	case register.Female:
		return "Nữ"
	}
	return ""
}

func nationalityName(code string) string {
	switch strings.ToUpper(code) {
	case "":
		return ""
	case "VN", "VNM":
		return "Việt Nam"
	}
	return code
}

// canon is s in NFC, lower case, with single spaces: the same text.
func canon(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// bare is s in NFC and lower case with only its letters and digits: the
// same words, whatever the punctuation and spacing.
func bare(s string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(strings.ToLower(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold is s without diacritics (đ as d), case, spaces or punctuation: what
// survives any OCR slip over tone marks.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r == 'đ':
			b.WriteByte('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
