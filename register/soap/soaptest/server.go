// Package soaptest is the other side of the register's SOAP contract
// (register/CONTRACT.md), for tests: a real HTTPS server that demands a
// client certificate from its own test CA, checks the API key digest or
// the platform token, and answers verify and lookup from an in-memory set
// of citizens. On demand it is slow, answers 5xx, answers malformed XML,
// or refuses an officer, so that the client's handling of each is tested
// against a server rather than a mock.
//
// It is written from the contract, not from the client's code: it shares
// no wire types with register/soap, so a client that drifted from the
// contract fails against it.
package soaptest

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/register"
)

// Namespace is the namespace the server's elements are in; the client's
// default (soap.DefaultNamespace) must be the same.
const Namespace = "urn:sohoa:register:v1"

// The credentials the server accepts.
const (
	APIKey    = "sohoa-test-key"
	APISecret = "sohoa-test-secret"
	Token     = "sohoa-test-platform-token"
)

// Call is one request the server understood, as it arrived on the wire.
type Call struct {
	Op                                    string // TraCuuThongTinCongDan or XacThucThongTinCongDan
	Auth                                  string // "apikey" or "token"
	RequestID, Procedure, Service, Agency string
	Officer, ID, LegacyID, Name, Birth    string
	SOAPAction                            string
}

// Server is a running contract server. Its files are PEM: the CA that
// issued the server's certificate (for the client's trust) and a client
// certificate and key it accepts; Stranger* are a client certificate from
// a CA it does not trust.
type Server struct {
	URL                               string
	CAFile, CertFile, KeyFile         string
	StrangerCertFile, StrangerKeyFile string

	srv      *httptest.Server
	citizens []register.Citizen

	mu       sync.Mutex
	delay    time.Duration
	fail     int // answer the next fail requests with failCode
	failCode int
	malform  int // answer the next malform requests with broken XML
	denied   map[string]bool
	requests int
	calls    []Call
	now      func() time.Time
}

// New starts a server holding citizens; it stops when the test ends.
func New(t testing.TB, citizens []register.Citizen) *Server {
	t.Helper()
	dir := t.TempDir()
	ca := newAuthority(t, "sohoa test register CA")
	s := &Server{citizens: citizens, denied: map[string]bool{}, now: time.Now}
	s.CAFile = writeCA(t, dir, ca)
	s.CertFile, s.KeyFile = writePEM(t, dir, "client", ca.issue(t, "sohoa desk", false))
	stranger := newAuthority(t, "some other CA")
	s.StrangerCertFile, s.StrangerKeyFile = writePEM(t, dir, "stranger", stranger.issue(t, "stranger", false))

	clients := x509.NewCertPool()
	clients.AddCert(ca.cert)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "register.test", true)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clients,
		MinVersion:   tls.VersionTLS12,
	}
	// A client refused for its certificate makes the TLS stack log; that
	// is the test's point, not noise for its output.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/ws/congdan"
	return s
}

// Delay makes every answer wait d (or until the client hangs up).
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Fail answers the next n requests with HTTP status code: 500 with a
// SOAP Server fault, as the service's own stack does; any other code with
// an HTML page, as a proxy in front of it does.
func (s *Server) Fail(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.failCode = n, code
}

// Malform answers the next n requests with 200 and an envelope cut off in
// the middle.
func (s *Server) Malform(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malform = n
}

// Deny refuses every request made for officer with the not-permitted fault.
func (s *Server) Deny(officer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[officer] = true
}

// Requests is the number of HTTP requests that reached the server.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Calls are the requests the server understood, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

const soapNS = "http://schemas.xmlsoap.org/soap/envelope/"

// request is the body element of either operation.
type request struct {
	XMLName   xml.Name
	RequestID string `xml:"MaYeuCau"`
	Procedure string `xml:"MaDVC"`
	Service   string `xml:"MaTichHop"`
	Agency    string `xml:"MaCoQuan"`
	Officer   string `xml:"MaCanBo"`
	ID        string `xml:"SoDinhDanh"`
	LegacyID  string `xml:"SoCMND"`
	Name      string `xml:"HoVaTen"`
	Birth     string `xml:"NgayThangNamSinh"`
}

type requestEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Request request `xml:",any"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	delay := s.delay
	fail, failCode, malform := s.fail > 0, s.failCode, s.malform > 0
	if fail {
		s.fail--
	} else if malform {
		s.malform--
	}
	s.mu.Unlock()

	// Read the request before waiting: only then does net/http watch the
	// connection and cancel the request's context when the client hangs
	// up, so that a slow answer ends when the client stops waiting.
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case fail && failCode == http.StatusInternalServerError:
		s.fault(w, failCode, "soap:Server", "LOI_HE_THONG", "lỗi hệ thống, thử lại sau")
		return
	case fail:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(failCode)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", failCode, http.StatusText(failCode))
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	auth, ok := s.authenticate(r)
	if !ok {
		s.fault(w, http.StatusUnauthorized, "soap:Client", "XAC_THUC_THAT_BAI", "xác thực thất bại")
		return
	}
	var env requestEnvelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		s.fault(w, http.StatusInternalServerError, "soap:Client", "YEU_CAU_KHONG_HOP_LE", "không đọc được yêu cầu: "+err.Error())
		return
	}
	q := env.Body.Request
	op := q.XMLName.Local
	call := Call{Op: op, Auth: auth, RequestID: q.RequestID, Procedure: q.Procedure, Service: q.Service, Agency: q.Agency,
		Officer: q.Officer, ID: q.ID, LegacyID: q.LegacyID, Name: q.Name, Birth: q.Birth, SOAPAction: r.Header.Get("SOAPAction")}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	denied := s.denied[q.Officer]
	s.mu.Unlock()

	if q.XMLName.Space != Namespace || (op != "TraCuuThongTinCongDan" && op != "XacThucThongTinCongDan") {
		s.fault(w, http.StatusInternalServerError, "soap:Client", "YEU_CAU_KHONG_HOP_LE", "không có thao tác {"+q.XMLName.Space+"}"+op)
		return
	}
	if call.SOAPAction != `"`+Namespace+"/"+op+`"` {
		s.fault(w, http.StatusInternalServerError, "soap:Client", "YEU_CAU_KHONG_HOP_LE", "SOAPAction "+call.SOAPAction)
		return
	}
	if msg := checkRequest(q, op); msg != "" {
		s.fault(w, http.StatusInternalServerError, "soap:Client", "YEU_CAU_KHONG_HOP_LE", msg)
		return
	}
	if denied {
		s.fault(w, http.StatusInternalServerError, "soap:Client", "KHONG_CO_QUYEN", "cán bộ "+q.Officer+" không có quyền khai thác")
		return
	}
	birth, _ := register.ParseDate(q.Birth) // checked
	req := register.Request{ID: q.ID, LegacyID: q.LegacyID, Name: q.Name, Birth: birth}
	var found *register.Citizen
	for i := range s.citizens {
		if register.Matches(req, &s.citizens[i]) {
			found = &s.citizens[i]
			break
		}
	}
	if malform {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, envelopeHead+`<TraCuuThongTinCongDanResponse xmlns="`+Namespace+`"><MaYeuCau>`+q.RequestID+`</MaYeuCau><CongDan><SoDinhDanh>`)
		return
	}
	var body any
	if op == "XacThucThongTinCongDan" {
		body = verifyResponse{XMLName: xml.Name{Space: Namespace, Local: op + "Response"}, RequestID: q.RequestID, Result: found != nil}
	} else {
		resp := lookupResponse{XMLName: xml.Name{Space: Namespace, Local: op + "Response"}, RequestID: q.RequestID, Citizen: struct{}{}}
		if found != nil {
			resp.Citizen = wire(found)
		}
		body = resp
	}
	s.write(w, http.StatusOK, body)
}

// checkRequest applies the contract's rules to a request; "" when it
// keeps them.
func checkRequest(q request, op string) string {
	switch {
	case q.RequestID == "" || len(q.RequestID) > 40:
		return "MaYeuCau: 1 đến 40 ký tự"
	case q.Procedure == "" || q.Service == "" || q.Agency == "" || q.Officer == "":
		return "thiếu MaDVC, MaTichHop, MaCoQuan hoặc MaCanBo"
	case q.ID == "" && q.LegacyID == "":
		return "thiếu SoDinhDanh hoặc SoCMND"
	case q.Name != register.FoldName(q.Name):
		return "HoVaTen phải viết hoa, không dấu, không khoảng trắng: " + q.Name
	}
	if _, err := register.ParseDate(q.Birth); err != nil {
		return "NgayThangNamSinh: yyyyMMdd hoặc yyyy"
	}
	if op == "XacThucThongTinCongDan" && (q.Name == "" || q.Birth == "") {
		return "xác thực cần HoVaTen và NgayThangNamSinh"
	}
	return ""
}

// authenticate checks the API key digest (its timestamp within five
// minutes of the server's clock) or the platform token.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return "token", subtle.ConstantTimeCompare([]byte(tok), []byte(Token)) == 1
	}
	b64, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return "", false
	}
	dec, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	key, pass, _ := strings.Cut(string(dec), ":")
	ts, digest, _ := strings.Cut(pass, ".")
	at, err := time.Parse("20060102150405", ts)
	if err != nil || key != APIKey {
		return "", false
	}
	if d := s.now().Sub(at); d > 5*time.Minute || d < -5*time.Minute {
		return "", false
	}
	sum := sha256.Sum256([]byte(key + ts + APISecret))
	return "apikey", subtle.ConstantTimeCompare([]byte(digest), []byte(hex.EncodeToString(sum[:]))) == 1
}

const envelopeHead = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + soapNS + `"><soap:Body>`

func (s *Server) write(w http.ResponseWriter, status int, body any) {
	out, err := xml.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, envelopeHead)
	w.Write(out)
	io.WriteString(w, `</soap:Body></soap:Envelope>`)
}

type faultBody struct {
	XMLName xml.Name `xml:"soap:Fault"`
	Code    string   `xml:"faultcode"`
	String  string   `xml:"faultstring"`
	Detail  struct {
		Loi struct {
			XMLName     xml.Name
			Code        string `xml:"Ma"`
			Description string `xml:"MoTa"`
		}
	} `xml:"detail"`
}

func (s *Server) fault(w http.ResponseWriter, status int, code, regCode, msg string) {
	var f faultBody
	f.Code, f.String = code, msg
	f.Detail.Loi.XMLName = xml.Name{Space: Namespace, Local: "Loi"}
	f.Detail.Loi.Code, f.Detail.Loi.Description = regCode, msg
	s.write(w, status, f)
}

type verifyResponse struct {
	XMLName   xml.Name
	RequestID string `xml:"MaYeuCau"`
	Result    bool   `xml:"KetQua"`
}

type lookupResponse struct {
	XMLName   xml.Name
	RequestID string `xml:"MaYeuCau"`
	// Citizen is a *wireCitizen, or struct{}{} for the empty record.
	Citizen any `xml:"CongDan"`
}

type place struct {
	Province string `xml:"MaTinh,omitempty"`
	District string `xml:"MaHuyen,omitempty"`
	Ward     string `xml:"MaXa,omitempty"`
	Detail   string `xml:"ChiTiet,omitempty"`
}

type relative struct {
	ID   string `xml:"SoDinhDanh,omitempty"`
	Name string `xml:"HoVaTen,omitempty"`
}

type wireCitizen struct {
	ID       string    `xml:"SoDinhDanh"`
	LegacyID string    `xml:"SoCMND,omitempty"`
	Family   string    `xml:"HoVaTen>Ho"`
	Middle   string    `xml:"HoVaTen>ChuDem"`
	Given    string    `xml:"HoVaTen>Ten"`
	Gender   int       `xml:"GioiTinh"`
	Ethnic   string    `xml:"DanToc,omitempty"`
	Religion string    `xml:"TonGiao,omitempty"`
	Nation   string    `xml:"QuocTich,omitempty"`
	Birth    string    `xml:"NgayThangNamSinh"`
	BirthReg place     `xml:"NoiDangKyKhaiSinh"`
	Home     place     `xml:"QueQuan"`
	Perm     place     `xml:"ThuongTru"`
	Current  place     `xml:"NoiOHienTai"`
	Father   *relative `xml:"Cha,omitempty"`
	Mother   *relative `xml:"Me,omitempty"`
	Spouse   *relative `xml:"VoChong,omitempty"`
	Rep      *relative `xml:"NguoiDaiDien,omitempty"`
	Head     *relative `xml:"ChuHo,omitempty"`
}

// wire is c as the contract writes a citizen; an empty <CongDan/> is
// what "not found" looks like, so the lookup response always has one.
func wire(c *register.Citizen) *wireCitizen {
	p := func(p register.Place) place { return place{p.Province, p.District, p.Ward, p.Detail} }
	r := func(r register.Relative) *relative {
		if r.IsZero() {
			return nil
		}
		return &relative{r.ID, r.Name}
	}
	return &wireCitizen{ID: c.ID, LegacyID: c.LegacyID, Family: c.Name.Family, Middle: c.Name.Middle, Given: c.Name.Given,
		Gender: int(c.Gender), Ethnic: c.Ethnicity, Religion: c.Religion, Nation: c.Nationality, Birth: c.Birth.String(),
		BirthReg: p(c.BirthRegistration), Home: p(c.HomeTown), Perm: p(c.Permanent), Current: p(c.Current),
		Father: r(c.Father), Mother: r(c.Mother), Spouse: r(c.Spouse), Rep: r(c.Representative), Head: r(c.HouseholdHead)}
}
