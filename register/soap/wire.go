package soap

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/register"
)

// The operations, as the elements of a request body are named.
const (
	opLookup = "TraCuuThongTinCongDan"  // look up citizen information
	opVerify = "XacThucThongTinCongDan" // verify citizen information
)

// DefaultNamespace is the namespace of the request and response elements
// when Config.Namespace is empty. It is sohoa's own: set Config.Namespace
// to the one in the platform's WSDL.
const DefaultNamespace = "urn:sohoa:register:v1"

// envelopeNS is the SOAP 1.1 envelope namespace.
const envelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"

// The envelope is written by hand around the marshalled payload so that it
// carries the conventional soap: prefix, which some platforms' stacks
// expect, rather than encoding/xml's default-namespace form.
const (
	envelopeHead = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<soap:Envelope xmlns:soap="` + envelopeNS + `"><soap:Body>`
	envelopeTail = `</soap:Body></soap:Envelope>`
)

// wireRequest is the body of both operations' requests.
type wireRequest struct {
	XMLName   xml.Name
	RequestID string `xml:"MaYeuCau"`
	Procedure string `xml:"MaDVC"`
	Service   string `xml:"MaTichHop"`
	Agency    string `xml:"MaCoQuan"`
	Officer   string `xml:"MaCanBo"`
	ID        string `xml:"SoDinhDanh,omitempty"`
	LegacyID  string `xml:"SoCMND,omitempty"`
	Name      string `xml:"HoVaTen,omitempty"`
	Birth     string `xml:"NgayThangNamSinh,omitempty"`
}

// envelope returns the SOAP envelope of op asking req, in namespace ns.
func envelope(ns, op string, req register.Request) ([]byte, error) {
	body, err := xml.Marshal(wireRequest{
		XMLName:   xml.Name{Space: ns, Local: op},
		RequestID: req.RequestID, Procedure: req.Procedure, Service: req.Service,
		Agency: req.Agency, Officer: req.Officer,
		ID: req.ID, LegacyID: req.LegacyID, Name: register.FoldName(req.Name), Birth: req.Birth.String(),
	})
	if err != nil {
		return nil, err
	}
	return append(append([]byte(envelopeHead), body...), envelopeTail...), nil
}

// responseEnvelope is what comes back. Element names are matched by their
// local name, whatever namespace the platform puts them in; the envelope
// itself must be SOAP 1.1's.
type responseEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Fault  *fault          `xml:"Fault"`
		Lookup *lookupResponse `xml:"TraCuuThongTinCongDanResponse"`
		Verify *verifyResponse `xml:"XacThucThongTinCongDanResponse"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// fault is a SOAP 1.1 fault; the register's own error code is in detail.
type fault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Code        string `xml:"Loi>Ma"`
		Description string `xml:"Loi>MoTa"`
	} `xml:"detail"`
}

// The register's error codes (fault detail Loi/Ma).
const (
	codeNotPermitted = "KHONG_CO_QUYEN"       // agency, officer or procedure not permitted
	codeAuthFailed   = "XAC_THUC_THAT_BAI"    // credentials refused
	codeBadRequest   = "YEU_CAU_KHONG_HOP_LE" // request malformed or incomplete
)

func (f *fault) Error() string {
	msg := strings.TrimSpace(f.Detail.Description)
	if msg == "" {
		msg = strings.TrimSpace(f.String)
	}
	code := f.Detail.Code
	if code == "" {
		code = f.Code
	}
	return fmt.Sprintf("SOAP fault %s: %s", code, msg)
}

// client reports whether the fault blames the request (faultcode Client,
// in whatever prefix), as opposed to the server.
func (f *fault) client() bool {
	code := f.Code
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	return strings.HasPrefix(code, "Client")
}

type lookupResponse struct {
	RequestID string      `xml:"MaYeuCau"`
	Citizen   wireCitizen `xml:"CongDan"`
}

type verifyResponse struct {
	RequestID string `xml:"MaYeuCau"`
	Result    string `xml:"KetQua"`
}

type wirePlace struct {
	Province string `xml:"MaTinh"`
	District string `xml:"MaHuyen"`
	Ward     string `xml:"MaXa"`
	Detail   string `xml:"ChiTiet"`
}

type wireRelative struct {
	ID   string `xml:"SoDinhDanh"`
	Name string `xml:"HoVaTen"`
}

type wireCitizen struct {
	ID       string `xml:"SoDinhDanh"`
	LegacyID string `xml:"SoCMND"`
	Name     struct {
		Family string `xml:"Ho"`
		Middle string `xml:"ChuDem"`
		Given  string `xml:"Ten"`
	} `xml:"HoVaTen"`
	Gender            string       `xml:"GioiTinh"`
	Ethnicity         string       `xml:"DanToc"`
	Religion          string       `xml:"TonGiao"`
	Nationality       string       `xml:"QuocTich"`
	Birth             string       `xml:"NgayThangNamSinh"`
	BirthRegistration wirePlace    `xml:"NoiDangKyKhaiSinh"`
	HomeTown          wirePlace    `xml:"QueQuan"`
	Permanent         wirePlace    `xml:"ThuongTru"`
	Current           wirePlace    `xml:"NoiOHienTai"`
	Father            wireRelative `xml:"Cha"`
	Mother            wireRelative `xml:"Me"`
	Spouse            wireRelative `xml:"VoChong"`
	Representative    wireRelative `xml:"NguoiDaiDien"`
	HouseholdHead     wireRelative `xml:"ChuHo"`
}

// citizen converts the wire record; an empty record (no number) is "not
// found", nil.
func (w *wireCitizen) citizen() (*register.Citizen, error) {
	if strings.TrimSpace(w.ID) == "" && strings.TrimSpace(w.LegacyID) == "" {
		return nil, nil
	}
	birth, err := register.ParseDate(strings.TrimSpace(w.Birth))
	if err != nil {
		return nil, fmt.Errorf("NgayThangNamSinh: %w", err)
	}
	gender := register.GenderUnknown
	if g := strings.TrimSpace(w.Gender); g != "" {
		n, err := strconv.Atoi(g)
		if err != nil || n < 0 || n > 2 {
			return nil, fmt.Errorf("GioiTinh %q: want 0, 1 or 2", g)
		}
		gender = register.Gender(n)
	}
	place := func(p wirePlace) register.Place {
		return register.Place{Province: p.Province, District: p.District, Ward: p.Ward, Detail: p.Detail}
	}
	rel := func(r wireRelative) register.Relative { return register.Relative{ID: r.ID, Name: r.Name} }
	return &register.Citizen{
		ID: strings.TrimSpace(w.ID), LegacyID: strings.TrimSpace(w.LegacyID),
		Name:   register.Name{Family: w.Name.Family, Middle: w.Name.Middle, Given: w.Name.Given},
		Gender: gender, Ethnicity: w.Ethnicity, Religion: w.Religion, Nationality: w.Nationality,
		Birth:             birth,
		BirthRegistration: place(w.BirthRegistration), HomeTown: place(w.HomeTown),
		Permanent: place(w.Permanent), Current: place(w.Current),
		Father: rel(w.Father), Mother: rel(w.Mother), Spouse: rel(w.Spouse),
		Representative: rel(w.Representative), HouseholdHead: rel(w.HouseholdHead),
	}, nil
}
