// Package extract reads a dossier's metadata off the words OCR found: the
// document type, its date and issuing office, and the people it names
// (the registered person, the applicant, parents, spouse, household head,
// the two sides of an authorization ...), each with identification number,
// name, date of birth, gender, nationality, ethnicity, addresses and phone.
//
// It is the stage after ocr: its input is each page's words with their
// boxes, confidences and line numbers, as the manifest carries them
// (pipeline.WordBox), so that it runs on a fresh reading or on a stored
// manifest alike. It does not import pipeline; pipeline calls it.
//
// OCR errors are the normal case. Labels are found by comparing
// tone-mark-folded, lower-cased text, with 0/O, 1/l/I and đ/d confused, at a
// small edit distance, so "H0 va ten", "Ho và tên" and "Họ và tén" are all
// "Họ và tên". Values are never corrected silently: every field keeps the
// words as read (Raw) beside the value normalised from them (Value), and a
// value that cannot be what its label says (an identification number
// whose digits contradict the holder's date of birth, a date that is no
// date, an address that stops at "tỉnh") keeps its Raw with an empty
// Value and the Problem found; so does a name or an address with a word
// OCR only guessed (its confidence in the word), as nothing else can
// check those.
package extract

import (
	"time"
)

// Word is one recognised word, as the manifest's word boxes carry it.
type Word struct {
	Text       string  `json:"text"`
	Box        [4]int  `json:"box"` // x0, y0, x1, y1 in the page's OCR pixels
	Confidence float64 `json:"conf"`
	Line       int     `json:"line"` // numbered from 0 in reading order
}

// Page is one page's words. Number is its position in the dossier,
// 1-based; zero means its position in the slice Extract is given.
type Page struct {
	Number int    `json:"page"`
	Words  []Word `json:"words"`
}

// Field is one value read off a page.
type Field struct {
	// Raw is the words as OCR read them, joined by spaces.
	Raw string `json:"raw"`
	// Value is Raw normalised for its field (dates as YYYY-MM-DD or a year
	// alone, numbers as digits, text in NFC with single spaces); empty when
	// Raw cannot be a value of the field, Problem saying why.
	Value   string `json:"value"`
	Problem string `json:"problem,omitempty"`
	Page    int    `json:"page"`
	// Boxes are the words' boxes on the page.
	Boxes [][4]int `json:"boxes"`
	// Confidence, 0 to 1, combines OCR's confidence in the words, how well
	// the label was matched and whether the value checked out.
	Confidence float64 `json:"confidence"`
}

// Roles of the people a document names.
const (
	RoleRegistered    = "registered" // whom the document is about: the child born, the resident, the owner
	RoleApplicant     = "applicant"  // who asks: người yêu cầu, người đề nghị, người nộp hồ sơ
	RoleFather        = "father"
	RoleMother        = "mother"
	RoleSpouse        = "spouse"
	RoleHouseholdHead = "household_head"
	RoleMember        = "member"    // a member of the household listed on the form
	RolePrincipal     = "principal" // who gives an authorization
	RoleAgent         = "agent"     // who acts under it
)

// Person is one person a document names, with the role it names them in.
type Person struct {
	Role             string `json:"role"`
	ID               *Field `json:"id,omitempty"`        // 12-digit personal identification number
	LegacyID         *Field `json:"legacy_id,omitempty"` // 9-digit number of the old identity card (CMND)
	Name             *Field `json:"name,omitempty"`
	DateOfBirth      *Field `json:"date_of_birth,omitempty"`
	Gender           *Field `json:"gender,omitempty"` // "Nam" or "Nữ"
	Nationality      *Field `json:"nationality,omitempty"`
	Ethnicity        *Field `json:"ethnicity,omitempty"`
	PermanentAddress *Field `json:"permanent_address,omitempty"`
	CurrentAddress   *Field `json:"current_address,omitempty"`
	Phone            *Field `json:"phone,omitempty"`
}

// Field names, as Person's JSON names them.
const (
	FieldID               = "id"
	FieldLegacyID         = "legacy_id"
	FieldName             = "name"
	FieldDateOfBirth      = "date_of_birth"
	FieldGender           = "gender"
	FieldNationality      = "nationality"
	FieldEthnicity        = "ethnicity"
	FieldPermanentAddress = "permanent_address"
	FieldCurrentAddress   = "current_address"
	FieldPhone            = "phone"
)

// Fields lists a person's field names in the order they are reported.
var Fields = []string{FieldID, FieldLegacyID, FieldName, FieldDateOfBirth, FieldGender, FieldNationality,
	FieldEthnicity, FieldPermanentAddress, FieldCurrentAddress, FieldPhone}

// Field returns the person's field of the given name (see Fields), nil
// when the document does not give it.
func (p *Person) Field(name string) *Field { return *p.slot(name) }

func (p *Person) slot(name string) **Field {
	switch name {
	case FieldID:
		return &p.ID
	case FieldLegacyID:
		return &p.LegacyID
	case FieldName:
		return &p.Name
	case FieldDateOfBirth:
		return &p.DateOfBirth
	case FieldGender:
		return &p.Gender
	case FieldNationality:
		return &p.Nationality
	case FieldEthnicity:
		return &p.Ethnicity
	case FieldPermanentAddress:
		return &p.PermanentAddress
	case FieldCurrentAddress:
		return &p.CurrentAddress
	case FieldPhone:
		return &p.Phone
	}
	panic("extract: no person field " + name)
}

// Metadata is what extraction found in one document.
type Metadata struct {
	// DocumentType names the kind of document its title says it is (the
	// Type constants); empty when no title was recognised.
	DocumentType           string  `json:"document_type,omitempty"`
	DocumentTypeConfidence float64 `json:"document_type_confidence"`
	Title                  *Field  `json:"title,omitempty"`
	// IssueDate is the date of the document's date line ("Hà Nội, ngày 05
	// tháng 3 năm 2025"): when an office issued it, or a citizen signed it.
	IssueDate *Field `json:"issue_date,omitempty"`
	// IssuingOffice is the body named last in the heading above the
	// national motto ("CÔNG AN PHƯỜNG ..."); citizens' applications have
	// none.
	IssuingOffice *Field   `json:"issuing_office,omitempty"`
	People        []Person `json:"people,omitempty"`
}

// OpensDocument reports whether p begins a document of its own: whether a
// title heads it. It is the first step of Extract alone, so that splitting
// a dossier into documents does not extract every page twice.
func OpensDocument(p Page) bool {
	n := p.Number
	if n == 0 {
		n = 1
	}
	_, _, title := documentType(rows(p.Words, n))
	return title != nil
}

// Extract reads the metadata of one document from its pages' words. now
// bounds the years of birth an identification number may give.
func Extract(pages []Page, now time.Time) Metadata {
	var m Metadata
	var all [][]*row
	for i, p := range pages {
		n := p.Number
		if n == 0 {
			n = i + 1
		}
		all = append(all, rows(p.Words, n))
	}
	if len(all) > 0 {
		m.DocumentType, m.DocumentTypeConfidence, m.Title = documentType(all[0])
		m.IssuingOffice = issuingOffice(all[0])
	}
	m.IssueDate = issueDate(all)
	m.People = people(all, now)
	return m
}
