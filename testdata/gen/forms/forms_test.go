package forms

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/citizen"
	"golang.org/x/text/unicode/norm"
)

// One form of each type: every truth is on its page, every number fits
// its holder, every page is scanned with a hard fault, and a form is the
// same bytes however many are generated with it.
func TestForms(t *testing.T) {
	n := len(Types)
	fs, err := Generate(n, Seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(Types) < 8 || Count < 60 {
		t.Errorf("%d types, %d forms in the benchmark's set: want 8 and 60 or more", len(Types), Count)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := regexp.MustCompile(`^\d{4}(-\d{2}-\d{2})?$`)
	for i, f := range fs {
		tr := f.Truth
		if tr.DocumentType != Types[i] || tr.Class == "" || tr.DPI < 200 || tr.DPI > 300 || len(tr.Degradations) == 0 {
			t.Errorf("%s: type %q class %q at %d dpi, faults %v", f.Name, tr.DocumentType, tr.Class, tr.DPI, tr.Degradations)
		}
		if len(f.File.Pages) != 1 || len(f.File.Data) == 0 {
			t.Fatalf("%s: %d pages, %d bytes", f.Name, len(f.File.Pages), len(f.File.Data))
		}
		// What the page says, folded to compare: the truth's numbers and
		// words must all be printed on it.
		text := norm.NFC.String(strings.ToLower(strings.Join(strings.Fields(f.File.Pages[0].Text), " ")))
		printed := func(v string) bool {
			return strings.Contains(text, strings.ToLower(v)) || strings.Contains(strings.ReplaceAll(text, " ", ""), v)
		}
		if tr.IssueDate != "" && !date.MatchString(tr.IssueDate) {
			t.Errorf("%s: issue date %q", f.Name, tr.IssueDate)
		}
		if tr.IssuingOffice != "" && !printed(tr.IssuingOffice) {
			t.Errorf("%s: office %q is not on the page", f.Name, tr.IssuingOffice)
		}
		if len(tr.People) == 0 {
			t.Errorf("%s: nobody on the form", f.Name)
		}
		for _, p := range tr.People {
			for field, v := range p.Fields {
				switch field {
				case FieldDateOfBirth:
					if !date.MatchString(v) {
						t.Errorf("%s: %s born %q", f.Name, p.Role, v)
					}
				case FieldPhone:
					if !printed(v) && !printed(v[:4]) {
						t.Errorf("%s: phone %q is not on the page", f.Name, v)
					}
				default:
					if !printed(v) {
						t.Errorf("%s: %s %s %q is not on the page", f.Name, p.Role, field, v)
					}
				}
			}
			if id := p.Fields[FieldID]; id != "" {
				h := citizen.Holder{}
				if d := p.Fields[FieldDateOfBirth]; d != "" {
					h.BirthYear = atoi(d[:4])
				}
				switch p.Fields[FieldGender] {
				case "Nam":
					h.Sex = citizen.Male
				case "Nữ":
					h.Sex = citizen.Female
				}
				if _, err := citizen.ParseIDOf(id, h, now); err != nil {
					t.Errorf("%s: %s: %v", f.Name, p.Role, err)
				}
			}
			if old := p.Fields[FieldLegacyID]; old != "" {
				if _, err := citizen.ParseLegacyID(old); err != nil {
					t.Errorf("%s: %s: %v", f.Name, p.Role, err)
				}
			}
		}
	}
	again, err := Generate(2, Seed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again[1].File.Data, fs[1].File.Data) || again[1].Name != fs[1].Name {
		t.Errorf("form 1 differs in a set of 2 from a set of %d", n)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
