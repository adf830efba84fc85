// Package forms makes the synthetic Vietnamese administrative forms that
// metadata extraction (pipeline/extract) is measured on: applications,
// declarations, notices and receipts of nine document types, filled in with
// made-up citizens (names, dates of birth, addresses, identification
// numbers that agree with them), laid out in varied ways with the wordings
// real forms use, then typeset and scanned by testdata/gen/scanset with
// the faults of its hard set: heavy noise, specks, JPEG 40, a seal and a
// signature over the text, a lid's border, bleed-through, uneven light,
// skew to 15°, all of them at once, each page in one of four quarter turns,
// at 200 or 300 dpi. Every form comes with its truth: the document type,
// issue date and issuing office, and each person's fields by role.
//
// Forms are generated on the fly from a seed: form i is the same page
// whatever the size of the set, so a test can take the first twelve of the
// benchmark's set and cover every type.
package forms

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

// Seed fixes the set the tests and the benchmark generate.
const Seed = 20251101

// Count is the size of the benchmark's set.
const Count = 63

// Document types, as extraction names them.
const (
	TypeLandChange            = "land_change"            // đơn đăng ký biến động đất đai
	TypeBirthRegistration     = "birth_registration"     // tờ khai đăng ký khai sinh
	TypeHouseholdRegistration = "household_registration" // tờ khai thay đổi thông tin cư trú, phiếu báo thay đổi hộ khẩu
	TypeVehicleRegistration   = "vehicle_registration"   // giấy khai đăng ký xe
	TypeMaritalStatus         = "marital_status"         // xác nhận tình trạng hôn nhân
	TypeAuthorization         = "authorization"          // giấy ủy quyền
	TypeNotice                = "notice"                 // thông báo
	TypeReceipt               = "receipt"                // giấy tiếp nhận hồ sơ, giấy biên nhận
	TypeResidenceConfirmation = "residence_confirmation" // giấy xác nhận thông tin về cư trú
)

// Types lists the document types in the order the set cycles through them.
var Types = []string{TypeLandChange, TypeBirthRegistration, TypeHouseholdRegistration, TypeVehicleRegistration,
	TypeMaritalStatus, TypeAuthorization, TypeNotice, TypeReceipt, TypeResidenceConfirmation}

// Fields of a person, as extraction names them.
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

// Roles of people on a form, as extraction names them.
const (
	RoleRegistered    = "registered" // whom the document is about: the child born, the resident, the owner
	RoleApplicant     = "applicant"  // who asks: người yêu cầu, người đề nghị, người nộp hồ sơ
	RoleFather        = "father"
	RoleMother        = "mother"
	RoleSpouse        = "spouse"
	RoleHouseholdHead = "household_head"
	RoleMember        = "member" // a household member listed on the form
	RolePrincipal     = "principal"
	RoleAgent         = "agent" // who acts under an authorization
)

// Classes are the scan set's hard classes the forms are degraded with:
// all but the two below 200 dpi.
var Classes = []string{scanset.ClassNoise, scanset.ClassSpeckle, scanset.ClassJPEG40, scanset.ClassSealSignature,
	scanset.ClassLidBorder, scanset.ClassBleedThrough, scanset.ClassUnevenLight, scanset.ClassSkew, scanset.ClassDeskMix}

// Form is one generated scan and its truth.
type Form struct {
	Name  string
	File  scanset.File
	Truth Truth
}

// Truth is what a form says, with values as extraction normalises them:
// dates as YYYY-MM-DD (a year alone as YYYY), numbers as digits, text as
// printed.
type Truth struct {
	DocumentType  string   `json:"document_type"`
	IssueDate     string   `json:"issue_date,omitempty"`
	IssuingOffice string   `json:"issuing_office,omitempty"`
	People        []Person `json:"people"`
	// Class, DPI and Turn say how the page was scanned; Degradations
	// lists the faults, as the scan set describes them.
	Class        string   `json:"class"`
	DPI          int      `json:"dpi"`
	Turn         int      `json:"turn_deg"`
	Degradations []string `json:"degradations,omitempty"`
}

// Person is one person named on a form: role and fields.
type Person struct {
	Role   string            `json:"role"`
	Fields map[string]string `json:"fields"`
}

// Generate makes forms 0 to n-1 of the set fixed by seed: the document
// types in turn, the classes shifted by one every round of types so that
// each type meets every class, turns and resolutions drawn per form.
func Generate(n int, seed uint64) ([]Form, error) {
	if n < 0 {
		return nil, fmt.Errorf("generate forms: n must not be negative, got %d", n)
	}
	out := make([]Form, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), 4); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = generate(i, seed)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

func generate(i int, seed uint64) (Form, error) {
	typ := Types[i%len(Types)]
	round := i / len(Types)
	class := Classes[(i+round)%len(Classes)]
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	f := &form{rng: rng, truth: Truth{DocumentType: typ, Class: class}}
	builders[typ](f)
	f.truth.People = nil
	for _, p := range f.people {
		f.truth.People = append(f.truth.People, *p)
	}
	f.truth.Turn = pick(rng, []int{0, 90, 180, 270})
	f.truth.DPI = pick(rng, []int{200, 300})
	name := fmt.Sprintf("%02d-%s-%s", i+1, strings.ReplaceAll(typ, "_", "-"), class)
	file, err := scanset.HardScan(name, f.d, scanset.HardSpec{Class: class, Index: round, Turn: f.truth.Turn,
		DPI: f.truth.DPI, Stream: uint64(i + 1), ColourHalf: true}, seed)
	if err != nil {
		return Form{}, fmt.Errorf("form %d (%s): %w", i, typ, err)
	}
	f.truth.Degradations = file.Pages[0].Degradations
	return Form{Name: name, File: file, Truth: f.truth}, nil
}

var builders = map[string]func(*form){
	TypeLandChange:            landChange,
	TypeBirthRegistration:     birthRegistration,
	TypeHouseholdRegistration: householdRegistration,
	TypeVehicleRegistration:   vehicleRegistration,
	TypeMaritalStatus:         maritalStatus,
	TypeAuthorization:         authorization,
	TypeNotice:                notice,
	TypeReceipt:               receipt,
	TypeResidenceConfirmation: residenceConfirmation,
}

// form is a page being laid out, and the truth it accumulates.
type form struct {
	d      *scanset.Doc
	rng    *rand.Rand
	truth  Truth
	people []*Person
	// numbered fields get "1.", "2." ... when set.
	numbered bool
	n        int
}

func (f *form) person(role string) *Person {
	p := &Person{Role: role, Fields: map[string]string{}}
	f.people = append(f.people, p)
	return p
}

func (p *Person) set(field, value string) { p.Fields[field] = value }

// label numbers a label when the form numbers its fields.
func (f *form) label(l string) string {
	if !f.numbered {
		return l
	}
	f.n++
	return fmt.Sprintf("%d. %s", f.n, l)
}

// field prints a labelled value, now and then on the dotted line below its
// label, as forms with narrow label columns have it.
func (f *form) field(label, value string) {
	if value != "" && f.rng.IntN(8) == 0 {
		f.d.Field(label, "")
		f.d.Field("", value)
		return
	}
	f.d.Field(label, value)
}

var (
	nameLabels      = []string{"Họ và tên:", "Họ, chữ đệm, tên:", "Họ, chữ đệm và tên:", "Họ tên:", "Họ và tên (viết chữ in hoa):"}
	dobLabels       = []string{"Ngày, tháng, năm sinh:", "Ngày sinh:", "Sinh ngày:", "Ngày tháng năm sinh:", "Ngày/tháng/năm sinh:"}
	idLabels        = []string{"Số định danh cá nhân:", "Số CCCD:", "Số căn cước công dân:", "Số định danh cá nhân/CCCD:", "CCCD số:", "Số căn cước:"}
	cmndLabels      = []string{"Số CMND:", "Số chứng minh nhân dân:", "CMND số:"}
	permanentLabels = []string{"Nơi thường trú:", "Địa chỉ thường trú:", "Hộ khẩu thường trú:", "Nơi đăng ký thường trú:"}
	currentLabels   = []string{"Nơi ở hiện tại:", "Chỗ ở hiện nay:", "Địa chỉ liên hệ:", "Nơi cư trú:", "Địa chỉ:"}
	phoneLabels     = []string{"Số điện thoại:", "Điện thoại:", "Số điện thoại liên hệ:", "ĐT liên hệ:"}
)

// name prints a person's name, in capitals as forms are filled in, or
// now and then as written by hand in a letter.
func (f *form) name(p *Person, label string, q person) {
	v := q.name
	if f.rng.IntN(6) == 0 {
		v = q.display()
	}
	f.field(f.label(label), v)
	p.set(FieldName, v)
}

func (f *form) dob(p *Person, q person) {
	f.field(f.label(pick(f.rng, dobLabels)), q.born.written(f.rng))
	p.set(FieldDateOfBirth, q.born.iso())
}

// dobGender prints the date of birth and the gender on one line, or on
// two.
func (f *form) dobGender(p *Person, q person) {
	if f.rng.IntN(3) == 0 {
		f.dob(p, q)
		f.gender(p, q)
		return
	}
	dob := q.born.slash()
	f.d.Fields(scanset.Field{Label: f.label(pick(f.rng, dobLabels)), Value: dob},
		scanset.Field{Label: f.label("Giới tính:"), Value: q.gender(), Col: 0.64})
	p.set(FieldDateOfBirth, q.born.iso())
	p.set(FieldGender, q.gender())
}

func (f *form) gender(p *Person, q person) {
	f.field(f.label("Giới tính:"), q.gender())
	p.set(FieldGender, q.gender())
}

// id prints the person's number: the old card's where they have one and
// the form allows it, else the personal identification number.
func (f *form) id(p *Person, q person, legacyOK bool) {
	if legacyOK && q.cmnd != "" {
		f.field(f.label(pick(f.rng, cmndLabels)), q.cmnd)
		p.set(FieldLegacyID, q.cmnd)
		return
	}
	v := q.id
	if f.rng.IntN(10) == 0 {
		v = q.id[:3] + " " + q.id[3:6] + " " + q.id[6:]
	}
	f.field(f.label(pick(f.rng, idLabels)), v)
	p.set(FieldID, q.id)
}

func (f *form) ethnicNationality(p *Person, q person) {
	f.d.Fields(scanset.Field{Label: f.label("Dân tộc:"), Value: q.ethnicity},
		scanset.Field{Label: f.label("Quốc tịch:"), Value: "Việt Nam", Col: 0.5})
	p.set(FieldEthnicity, q.ethnicity)
	p.set(FieldNationality, "Việt Nam")
}

func (f *form) permanent(p *Person, q person) {
	f.field(f.label(pick(f.rng, permanentLabels)), q.home.String())
	p.set(FieldPermanentAddress, q.home.String())
}

func (f *form) current(p *Person, q person) {
	f.field(f.label(pick(f.rng, currentLabels)), q.current.String())
	p.set(FieldCurrentAddress, q.current.String())
}

func (f *form) phone(p *Person, q person) {
	f.field(f.label(pick(f.rng, phoneLabels)), q.phone)
	p.set(FieldPhone, digitsOf(q.phone))
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dateLine prints "Place, ngày ... tháng ... năm ..." and records it as the
// document's date.
func (f *form) dateLine(place string, d date) {
	f.d.DateLine(place + ", " + d.long())
	f.truth.IssueDate = d.iso()
}

// agency prints the issuing body's heading; the last line, the body
// itself, is the issuing office.
func (f *form) agency(lines ...string) {
	f.d.Agency(lines...)
	f.truth.IssuingOffice = lines[len(lines)-1]
}

// household is a family at one address.
type household struct {
	husband, wife person
	children      []person
}

func randomHousehold(rng *rand.Rand) household {
	h := household{husband: randomPerson(rng, false, 1958, 1995)}
	h.wife = relative(rng, h.husband, true, h.husband.born.year-3, h.husband.born.year+6, "")
	for range 1 + rng.IntN(2) {
		h.children = append(h.children, relative(rng, h.husband, rng.IntN(2) == 0,
			max(h.wife.born.year+20, 2005), 2024, surname(h.husband)))
	}
	return h
}
