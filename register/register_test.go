package register

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFoldName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Nguyễn Văn An", "NGUYENVANAN"},
		{"Đặng Thị  Ngọc Ánh", "DANGTHINGOCANH"},
		{"đỗ đức đạt", "DODUCDAT"},
		{"Trương Ưu Ơn", "TRUONGUUON"},
		{"Lê\tHồng\u00a0Phúc", "LEHONGPHUC"}, // tab and no-break space
		{"NGUYENVANAN", "NGUYENVANAN"},
		{"Bùi Quỳnh Ý", "BUIQUYNHY"},
		{"Âu Dương Ẩn", "AUDUONGAN"},
		{"", ""},
	} {
		if got := FoldName(tt.in); got != tt.want {
			t.Errorf("FoldName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Decomposed input (as some keyboards and OCR give) folds the same.
		if got := FoldName(norm.NFD.String(tt.in)); got != tt.want {
			t.Errorf("FoldName(NFD %q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"19850312", Date{1985, 3, 12}, false},
		{"1950", Date{Year: 1950}, false},
		{"", Date{}, false},
		{"20000229", Date{2000, 2, 29}, false},
		{"19000229", Date{}, true}, // 1900 was no leap year
		{"19851301", Date{}, true},
		{"19850100", Date{}, true},
		{"0000", Date{}, true},
		{"85", Date{}, true},
		{"1985-03-12", Date{}, true},
		{"198503a2", Date{}, true},
	} {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("ParseDate(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestDateMatches(t *testing.T) {
	full, other, year, otherYear := Date{1985, 3, 12}, Date{1985, 3, 13}, YearOnly(1985), YearOnly(1986)
	for _, tt := range []struct {
		a, b Date
		want bool
	}{
		{full, full, true},
		{full, other, false},
		{full, year, true},
		{year, full, true},
		{year, year, true},
		{year, otherYear, false},
		{full, otherYear, false},
		{full, Date{}, false},
		{Date{}, Date{}, false},
	} {
		if got := tt.a.Matches(tt.b); got != tt.want {
			t.Errorf("%v.Matches(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	good := Request{RequestID: "sohoa-1", Procedure: "1.001612", Service: "CSDLDC", Agency: "000.00.01.H26",
		Officer: "canbo01", ID: "001085012345", Name: "Nguyễn Văn An", Birth: Date{1985, 3, 12}}
	if err := good.Check(true); err != nil {
		t.Fatalf("good request: %v", err)
	}
	for _, tt := range []struct {
		name      string
		change    func(*Request)
		forVerify bool
		field     string
	}{
		{"no request ID", func(r *Request) { r.RequestID = "" }, false, "request ID"},
		{"long request ID", func(r *Request) { r.RequestID = strings.Repeat("x", 41) }, false, "request ID"},
		{"request ID with space", func(r *Request) { r.RequestID = "a b" }, false, "request ID"},
		{"no officer", func(r *Request) { r.Officer = "" }, false, "officer"},
		{"no agency", func(r *Request) { r.Agency = "" }, false, "agency"},
		{"no procedure", func(r *Request) { r.Procedure = "" }, false, "procedure"},
		{"no service", func(r *Request) { r.Service = "" }, false, "service"},
		{"no number", func(r *Request) { r.ID = "" }, false, "ID number"},
		{"11 digits", func(r *Request) { r.ID = "00108501234" }, false, "12 digits"},
		{"no such province", func(r *Request) { r.ID = "003085012345" }, false, "province"},
		{"legacy of 8", func(r *Request) { r.ID, r.LegacyID = "", "12345678" }, false, "legacy"},
		{"verify without name", func(r *Request) { r.Name = " " }, true, "name"},
		{"verify without birth", func(r *Request) { r.Birth = Date{} }, true, "birth"},
	} {
		r := good
		tt.change(&r)
		err := r.Check(tt.forVerify)
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: Check = %v, want ErrBadRequest naming %q", tt.name, err, tt.field)
		}
	}
	// A lookup needs neither name nor birth; a legacy number alone will do.
	r := good
	r.ID, r.LegacyID, r.Name, r.Birth = "", "012345678", "", Date{}
	if err := r.Check(false); err != nil {
		t.Errorf("lookup by legacy number alone: %v", err)
	}
}

func TestMatches(t *testing.T) {
	c := &Citizen{ID: "001085012345", LegacyID: "012345678", Name: Name{"Đặng", "Văn", "An"}, Birth: Date{1985, 3, 12}}
	for _, tt := range []struct {
		name string
		req  Request
		want bool
	}{
		{"number only", Request{ID: c.ID}, true},
		{"all", Request{ID: c.ID, LegacyID: c.LegacyID, Name: "DANG VAN AN", Birth: YearOnly(1985)}, true},
		{"other number", Request{ID: "001085012346"}, false},
		{"other legacy", Request{ID: c.ID, LegacyID: "012345679"}, false},
		{"other name", Request{ID: c.ID, Name: "Đặng Văn Ân"}, true}, // folded alike: the register cannot tell
		{"wrong name", Request{ID: c.ID, Name: "Đặng Văn Anh"}, false},
		{"wrong day", Request{ID: c.ID, Birth: Date{1985, 3, 13}}, false},
		{"nil", Request{ID: c.ID}, false},
	} {
		cc := c
		if tt.name == "nil" {
			cc = nil
		}
		if got := Matches(tt.req, cc); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
