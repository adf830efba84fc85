// Package registertest is the conformance suite every register.Register
// implementation passes: the PostgreSQL mirror and the SOAP client (against
// the contract server in register/soap/soaptest) are seeded with the same
// synthetic citizens and must answer the same questions the same way.
package registertest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/register"
)

// Seed returns the synthetic citizens the suite asks about. They cover what
// real records hold: a full record with every relative, a woman born after
// 2000 (other century digit), an old man with only a birth year and a
// legacy number, a name with no middle name, a two-word family name and a
// minor with a representative. None is a real person: the sequence parts of
// the numbers were made up.
func Seed() []register.Citizen {
	return []register.Citizen{
		{
			ID: "001085012345", LegacyID: "012345678",
			Name:   register.Name{Family: "Nguyễn", Middle: "Văn", Given: "An"},
			Gender: register.Male, Ethnicity: "01", Religion: "00", Nationality: "VN",
			Birth:             register.Date{Year: 1985, Month: 3, Day: 12},
			BirthRegistration: register.Place{Province: "01", District: "001", Ward: "00001", Detail: "Phúc Xá"},
			HomeTown:          register.Place{Province: "34", District: "336", Ward: "12637", Detail: "Thôn Đông, xã Vũ Tiến"},
			Permanent:         register.Place{Province: "01", District: "005", Ward: "00163", Detail: "Số 12 ngõ 34 phố Tô Hiến Thành"},
			Current:           register.Place{Province: "01", District: "005", Ward: "00163", Detail: "Số 12 ngõ 34 phố Tô Hiến Thành"},
			Father:            register.Relative{ID: "034058001122", Name: "Nguyễn Văn Bình"},
			Mother:            register.Relative{ID: "034160003344", Name: "Phạm Thị Hoa"},
			Spouse:            register.Relative{ID: "001187005566", Name: "Lê Thị Mai"},
			HouseholdHead:     register.Relative{ID: "001085012345", Name: "Nguyễn Văn An"},
		},
		{
			ID:     "027301004567",
			Name:   register.Name{Family: "Đặng", Middle: "Thị Ngọc", Given: "Ánh"},
			Gender: register.Female, Ethnicity: "01", Religion: "01", Nationality: "VN",
			Birth:             register.Date{Year: 2001, Month: 7, Day: 30},
			BirthRegistration: register.Place{Province: "27", District: "256", Ward: "09184"},
			HomeTown:          register.Place{Province: "27", District: "256", Ward: "09184", Detail: "Làng Đình Bảng"},
			Permanent:         register.Place{Province: "27", District: "256", Ward: "09184", Detail: "Khu phố Đình"},
			Current:           register.Place{Province: "79", District: "760", Ward: "26734", Detail: "Phòng 804, 15 Lê Thánh Tôn"},
			Father:            register.Relative{ID: "027070001111", Name: "Đặng Văn Đức"},
			Mother:            register.Relative{Name: "Ngô Thị Lan"},
			HouseholdHead:     register.Relative{ID: "027070001111", Name: "Đặng Văn Đức"},
		},
		{
			ID: "010048000123", LegacyID: "063012345",
			Name:   register.Name{Family: "Lò", Middle: "Văn", Given: "Páo"},
			Gender: register.Male, Ethnicity: "17", Religion: "00", Nationality: "VN",
			Birth:     register.YearOnly(1948),
			HomeTown:  register.Place{Province: "10", District: "082", Ward: "02839", Detail: "Bản Sả Séng"},
			Permanent: register.Place{Province: "10", District: "082", Ward: "02839", Detail: "Bản Sả Séng"},
			Current:   register.Place{Province: "10", District: "082", Ward: "02839", Detail: "Bản Sả Séng"},
		},
		{
			ID:     "079162000777",
			Name:   register.Name{Family: "Trần", Given: "Bé"},
			Gender: register.Female, Ethnicity: "01", Religion: "02", Nationality: "VN",
			Birth:     register.Date{Year: 1962, Month: 12, Day: 1},
			Permanent: register.Place{Province: "79", District: "774", Ward: "27301", Detail: "Hẻm 45 Nguyễn Trãi"},
		},
		{
			ID:     "048310001234",
			Name:   register.Name{Family: "Âu Dương", Middle: "Minh", Given: "Châu"},
			Gender: register.Female, Ethnicity: "01", Religion: "00", Nationality: "VN",
			Birth:             register.Date{Year: 2010, Month: 1, Day: 5},
			BirthRegistration: register.Place{Province: "48", District: "490", Ward: "20194"},
			Permanent:         register.Place{Province: "48", District: "490", Ward: "20194", Detail: "K12/3 Trần Phú"},
			Current:           register.Place{Province: "48", District: "490", Ward: "20194", Detail: "K12/3 Trần Phú"},
			Mother:            register.Relative{ID: "048185009876", Name: "Âu Dương Thị Hạnh"},
			Representative:    register.Relative{ID: "048185009876", Name: "Âu Dương Thị Hạnh"},
			HouseholdHead:     register.Relative{ID: "048185009876", Name: "Âu Dương Thị Hạnh"},
		},
	}
}

// Unknown is a well-formed number no seeded citizen holds.
const Unknown = "001190000001"

// UnknownLegacy is a well-formed legacy number no seeded citizen holds.
const UnknownLegacy = "999999999"

// Ask returns a request with every who-and-why field filled in, as the
// reconcile stage would send it; the test sets what identifies the citizen.
func Ask(id string) register.Request {
	return register.Request{RequestID: "conformance-" + id, Procedure: "1.001612", Service: "CSDLDC-TRACUU",
		Agency: "000.00.01.H26", Officer: "canbo.thu@hanoi", ID: id}
}

// Run runs the suite. open returns a Register that holds exactly the
// citizens it is given (Seed()); it is called once per subtest.
func Run(t *testing.T, open func(t *testing.T, citizens []register.Citizen) register.Register) {
	tests := []struct {
		name string
		fn   func(t *testing.T, r register.Register)
	}{
		{"LookupByID", testLookupByID},
		{"LookupByLegacyID", testLookupByLegacyID},
		{"LookupNotFound", testLookupNotFound},
		{"LookupMismatchHides", testLookupMismatchHides},
		{"Verify", testVerify},
		{"NameFolding", testNameFolding},
		{"BadRequest", testBadRequest},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t, Seed())) })
	}
}

func lookup(t *testing.T, r register.Register, req register.Request) *register.Citizen {
	t.Helper()
	c, err := r.Lookup(context.Background(), req)
	if err != nil {
		t.Fatalf("Lookup(%s/%s): %v", req.ID, req.LegacyID, err)
	}
	return c
}

// same fails the test naming each field where got differs from want.
func same(t *testing.T, got *register.Citizen, want register.Citizen) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: not found", want.ID)
		return
	}
	g, w := reflect.ValueOf(*got), reflect.ValueOf(want)
	for i := range w.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("%s: %s = %+v, want %+v", want.ID, w.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
}

func testLookupByID(t *testing.T, r register.Register) {
	for _, want := range Seed() {
		same(t, lookup(t, r, Ask(want.ID)), want)
	}
}

func testLookupByLegacyID(t *testing.T, r register.Register) {
	n := 0
	for _, want := range Seed() {
		if want.LegacyID == "" {
			continue
		}
		n++
		req := Ask("")
		req.RequestID, req.LegacyID = "legacy-"+want.LegacyID, want.LegacyID
		same(t, lookup(t, r, req), want)
		// Both numbers, when they belong together, find the citizen too.
		req.ID = want.ID
		same(t, lookup(t, r, req), want)
	}
	if n < 2 {
		t.Fatalf("the seed has %d citizens with a legacy number; the test needs 2", n)
	}
}

func testLookupNotFound(t *testing.T, r register.Register) {
	if c := lookup(t, r, Ask(Unknown)); c != nil {
		t.Errorf("Lookup(%s) = %+v, want nil for a number nobody holds", Unknown, c)
	}
	req := Ask("")
	req.RequestID, req.LegacyID = "legacy-unknown", UnknownLegacy
	if c := lookup(t, r, req); c != nil {
		t.Errorf("Lookup(legacy %s) = %+v, want nil", UnknownLegacy, c)
	}
}

// testLookupMismatchHides: a number that exists, asked with someone else's
// name, date or legacy number, is not found: the register does not tell a
// caller who holds only a number whose number it is.
func testLookupMismatchHides(t *testing.T, r register.Register) {
	seed := Seed()
	an, pao := seed[0], seed[2]
	for _, tt := range []struct {
		name   string
		change func(*register.Request)
	}{
		{"other name", func(q *register.Request) { q.Name = "Nguyễn Văn Anh" }},
		{"other date", func(q *register.Request) { q.Birth = register.Date{Year: 1985, Month: 3, Day: 21} }},
		{"other year", func(q *register.Request) { q.Birth = register.YearOnly(1958) }},
		{"other's legacy number", func(q *register.Request) { q.LegacyID = pao.LegacyID }},
	} {
		req := Ask(an.ID)
		tt.change(&req)
		if c := lookup(t, r, req); c != nil {
			t.Errorf("%s: Lookup = %s, want nil", tt.name, c.ID)
		}
	}
	// The same number with the right name and date is found.
	req := Ask(an.ID)
	req.Name, req.Birth = an.Name.String(), an.Birth
	same(t, lookup(t, r, req), an)
}

func testVerify(t *testing.T, r register.Register) {
	seed := Seed()
	an, anh, pao := seed[0], seed[1], seed[2]
	for _, tt := range []struct {
		name  string
		id    string
		fname string
		birth register.Date
		want  bool
	}{
		{"exact", an.ID, "Nguyễn Văn An", an.Birth, true},
		{"other name", an.ID, "Nguyễn Văn Ân", an.Birth, true}, // folds alike: the register cannot tell
		{"wrong given name", an.ID, "Nguyễn Văn Anh", an.Birth, false},
		{"wrong family name", an.ID, "Trần Văn An", an.Birth, false},
		{"name of another citizen", an.ID, anh.Name.String(), an.Birth, false},
		{"wrong day", an.ID, "Nguyễn Văn An", register.Date{Year: 1985, Month: 3, Day: 13}, false},
		{"wrong month", an.ID, "Nguyễn Văn An", register.Date{Year: 1985, Month: 4, Day: 12}, false},
		{"year only, right", an.ID, "Nguyễn Văn An", register.YearOnly(1985), true},
		{"year only, wrong", an.ID, "Nguyễn Văn An", register.YearOnly(1986), false},
		{"record year only, full date asked", pao.ID, "Lò Văn Páo", register.Date{Year: 1948, Month: 6, Day: 1}, true},
		{"record year only, year asked", pao.ID, "LO VAN PAO", register.YearOnly(1948), true},
		{"record year only, wrong year", pao.ID, "Lò Văn Páo", register.YearOnly(1949), false},
		{"unknown number", Unknown, "Nguyễn Văn An", an.Birth, false},
	} {
		req := Ask(tt.id)
		req.Name, req.Birth = tt.fname, tt.birth
		got, err := r.Verify(context.Background(), req)
		if err != nil {
			t.Errorf("%s: Verify: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: Verify(%s, %q, %v) = %v, want %v", tt.name, tt.id, tt.fname, tt.birth, got, tt.want)
		}
	}
	// By legacy number alone.
	req := Ask("")
	req.RequestID, req.LegacyID, req.Name, req.Birth = "verify-legacy", pao.LegacyID, "Lò Văn Páo", pao.Birth
	if ok, err := r.Verify(context.Background(), req); err != nil || !ok {
		t.Errorf("Verify by legacy number = %v, %v; want true", ok, err)
	}
}

// testNameFolding: however the desk typed or OCR read the name (case,
// diacritics, composed or decomposed, spaces), it matches the register's.
func testNameFolding(t *testing.T, r register.Register) {
	seed := Seed()
	anh, chau := seed[1], seed[4]
	for _, tt := range []struct {
		c    register.Citizen
		name string
	}{
		{anh, "Đặng Thị Ngọc Ánh"},
		{anh, "ĐẶNG THỊ NGỌC ÁNH"},
		{anh, "đặng thị ngọc ánh"},
		{anh, "DANG THI NGOC ANH"},
		{anh, "DANGTHINGOCANH"},
		{anh, "  Đặng   Thị Ngọc\tÁnh "},
		{anh, norm.NFD.String("Đặng Thị Ngọc Ánh")},
		{chau, "Âu Dương Minh Châu"},
		{chau, "AU DUONG MINH CHAU"},
		{chau, "Âu DươngMinh Châu"},
	} {
		req := Ask(tt.c.ID)
		req.Name, req.Birth = tt.name, tt.c.Birth
		ok, err := r.Verify(context.Background(), req)
		if err != nil || !ok {
			t.Errorf("Verify(%s, %q) = %v, %v; want true", tt.c.ID, tt.name, ok, err)
		}
		same(t, lookup(t, r, req), tt.c)
	}
	// Folding takes off marks, not letters: Đ is D, never dropped.
	req := Ask(anh.ID)
	req.Name, req.Birth = "Ặng Thị Ngọc Ánh", anh.Birth
	if ok, err := r.Verify(context.Background(), req); err != nil || ok {
		t.Errorf("Verify with Đ dropped = %v, %v; want false", ok, err)
	}
}

func testBadRequest(t *testing.T, r register.Register) {
	an := Seed()[0]
	for _, tt := range []struct {
		name   string
		change func(*register.Request)
		verify bool
	}{
		{"no officer", func(q *register.Request) { q.Officer = "" }, false},
		{"no request ID", func(q *register.Request) { q.RequestID = "" }, false},
		{"request ID of 41", func(q *register.Request) { q.RequestID = strings.Repeat("r", 41) }, false},
		{"no number", func(q *register.Request) { q.ID = "" }, false},
		{"11-digit number", func(q *register.Request) { q.ID = an.ID[:11] }, false},
		{"verify without birth", func(q *register.Request) { q.Name = an.Name.String() }, true},
		{"verify without name", func(q *register.Request) { q.Birth = an.Birth }, true},
	} {
		req := Ask(an.ID)
		tt.change(&req)
		var err error
		if tt.verify {
			_, err = r.Verify(context.Background(), req)
		} else {
			_, err = r.Lookup(context.Background(), req)
		}
		if !errors.Is(err, register.ErrBadRequest) {
			t.Errorf("%s: err = %v, want ErrBadRequest", tt.name, err)
		}
	}
}

func testConcurrent(t *testing.T, r register.Register) {
	seed := Seed()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			want := seed[i%len(seed)]
			req := Ask(want.ID)
			req.RequestID = fmt.Sprintf("concurrent-%d", i)
			c, err := r.Lookup(context.Background(), req)
			switch {
			case err != nil:
				errs <- err
			case c == nil || c.ID != want.ID:
				errs <- fmt.Errorf("lookup %d: got %v, want %s", i, c, want.ID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// provinces are the birth-registration province codes Generate draws from.
var provinces = []string{"001", "027", "010", "079", "031", "048", "034", "036"}

var (
	families = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middles  = []string{"Văn", "Thị", "Hữu", "Đức", "Thị Ngọc", "Minh", "", "Quang", "Thanh", "Xuân"}
	givens   = []string{"An", "Bình", "Châu", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Khánh", "Lan", "Linh", "Mai", "Nam", "Ngọc", "Phúc", "Quỳnh", "Sơn", "Thảo", "Trang", "Tuấn", "Uyên", "Vy", "Yến"}
)

// Generate returns the i-th of a deterministic series of synthetic
// citizens, each valid as the loader checks (number, century digit, gender
// and birth year agree), for benchmarks and volume tests. Numbers are
// unique for i below 8 million; every third citizen has a legacy number,
// every seventh only a birth year.
func Generate(i int) register.Citizen {
	prov := provinces[i%len(provinces)]
	year := 1930 + (i*7)%90
	female := (i/3)%2 == 1
	g := 2 * ((year - 1900) / 100)
	gender := register.Male
	if female {
		g++
		gender = register.Female
	}
	c := register.Citizen{
		ID:     fmt.Sprintf("%s%d%02d%06d", prov, g, year%100, (i/len(provinces))%1000000),
		Name:   register.Name{Family: families[i%len(families)], Middle: middles[(i/7)%len(middles)], Given: givens[(i/3)%len(givens)]},
		Gender: gender, Ethnicity: "01", Religion: "00", Nationality: "VN",
		Birth:     register.Date{Year: year, Month: 1 + i%12, Day: 1 + i%28},
		Permanent: register.Place{Province: prov[1:], District: fmt.Sprintf("%03d", i%700), Ward: fmt.Sprintf("%05d", i%30000), Detail: fmt.Sprintf("Số %d đường Lê Lợi", 1+i%300)},
		Current:   register.Place{Province: prov[1:], District: fmt.Sprintf("%03d", i%700), Ward: fmt.Sprintf("%05d", i%30000), Detail: fmt.Sprintf("Số %d đường Lê Lợi", 1+i%300)},
		Father:    register.Relative{Name: families[i%len(families)] + " Văn " + givens[(i/5)%len(givens)]},
	}
	if i%3 == 0 {
		c.LegacyID = fmt.Sprintf("1%08d", i%100000000)
	}
	if i%7 == 0 {
		c.Birth = register.YearOnly(year)
	}
	return c
}
