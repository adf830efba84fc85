package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/verify"
)

// fixture is a signed dossier with its originals folder and trust anchors.
type fixture struct {
	dir       string // temp dir
	originals string // folder of original scans
	rootPEM   string // dev root certificate
	roots     *x509.CertPool
	signer    *sign.Signer
	unsigned  []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.originals = filepath.Join(f.dir, "originals")
	if err := os.Mkdir(f.originals, 0o755); err != nil {
		t.Fatal(err)
	}
	f.unsigned = dossier(t, f.originals, 2)

	p12, err := sign.DevKeys(filepath.Join(f.dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if f.signer, err = sign.Load(p12, sign.DevPassword); err != nil {
		t.Fatal(err)
	}
	f.signer.Reason = "Xác nhận hồ sơ"
	f.signer.Location = "Trung tâm Phục vụ hành chính công tỉnh (DEV)"
	f.rootPEM = filepath.Join(f.dir, "keys", sign.DevRootFile)
	f.roots = x509.NewCertPool()
	b, err := os.ReadFile(f.rootPEM)
	if err != nil || !f.roots.AppendCertsFromPEM(b) {
		t.Fatalf("root: %v", err)
	}
	return f
}

// dossier writes n JPEG originals into dir and returns a dossier PDF made
// from them by the pipeline's writer.
func dossier(t *testing.T, dir string, n int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := pdf.NewWriter(&out, pdf.Info{Title: "HS-000123", Author: "Trung tâm Phục vụ hành chính công",
		Creator: "sohoa test", Producer: "sohoa test", Created: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		img := image.NewGray(image.Rect(0, 0, 170, 220))
		for y := 0; y < 220; y++ {
			for x := 0; x < 170; x++ {
				img.SetGray(x, y, color.Gray{Y: uint8(200 + (x*i+y)%50)})
			}
		}
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		name := "scan" + string(rune('0'+i)) + ".jpg"
		if err := os.WriteFile(filepath.Join(dir, name), jb.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		im, err := pdf.JPEGImage(jb.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(jb.Bytes())
		if err := w.AddPage(pdf.Page{
			Width: 170, Height: 220, Image: im, Matrix: [6]float64{170, 0, 0, 220, 0, 0},
			Lines: []pdf.Line{{Box: pdf.Rect{X0: 20, Y0: 180, X1: 150, Y1: 195}, Words: []pdf.Word{
				{Text: "Giấy", Box: pdf.Rect{X0: 20, Y0: 180, X1: 50, Y1: 195}},
				{Text: "khai", Box: pdf.Rect{X0: 55, Y0: 180, X1: 85, Y1: 195}},
				{Text: "sinh", Box: pdf.Rect{X0: 90, Y0: 180, X1: 120, Y1: 195}},
			}}},
			Original: pdf.Original{Name: name, Page: 1, SHA256: hex.EncodeToString(sum[:])},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func tool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed: run deploy/setup.sh", name)
	}
}

// nssDB makes an NSS database trusting the PEM roots for e-mail signing,
// the usage poppler checks signers against.
func nssDB(t *testing.T, roots ...string) string {
	t.Helper()
	tool(t, "certutil")
	db := filepath.Join(t.TempDir(), "nss")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	run(t, "certutil", "-N", "-d", "sql:"+db, "--empty-password")
	for i, r := range roots {
		run(t, "certutil", "-A", "-d", "sql:"+db, "-n", "root"+string(rune('0'+i)), "-t", "C,C,C", "-i", r)
	}
	return db
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func pdfsig(t *testing.T, db, file string) string {
	t.Helper()
	tool(t, "pdfsig")
	// pdfsig exits 0 for valid, invalid and untrusted signatures alike;
	// only its words tell them apart.
	return run(t, "pdfsig", "-nssdir", "sql:"+db, file)
}

func wantLines(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, out)
		}
	}
}

func TestSignedDossier(t *testing.T) {
	f := newFixture(t)
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, f.unsigned) {
		t.Fatal("the signature is not an incremental update: the original bytes changed")
	}
	if !bytes.HasSuffix(signed, []byte("%%EOF\n")) {
		t.Errorf("the file does not end with %%%%EOF and one EOL: %q", signed[len(signed)-10:])
	}
	file := write(t, f.dir, "signed.pdf", signed)

	t.Run("pdfsig", func(t *testing.T) {
		out := pdfsig(t, nssDB(t, f.rootPEM), file)
		wantLines(t, "pdfsig", out, "Signature is Valid.", "Total document signed", "Certificate is Trusted.",
			"Signature Type: ETSI.CAdES.detached", "Signing Hash Algorithm: SHA-256")
	})
	t.Run("qpdf", func(t *testing.T) {
		tool(t, "qpdf")
		wantLines(t, "qpdf --check", run(t, "qpdf", "--check", file), "No syntax or stream encoding errors")
	})
	t.Run("pdfinfo", func(t *testing.T) {
		tool(t, "pdfinfo")
		out := run(t, "pdfinfo", "-meta", file)
		wantLines(t, "pdfinfo -meta", out, "<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>")
		info := strings.Join(strings.Fields(run(t, "pdfinfo", file)), " ")
		wantLines(t, "pdfinfo", info, "Form: AcroForm", "Pages: 2")
	})
	t.Run("pdfcpu", func(t *testing.T) {
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationStrict
		if err := api.ValidateFile(file, conf); err != nil {
			t.Errorf("pdfcpu validate: %v", err)
		}
	})
	t.Run("verify", func(t *testing.T) {
		rep, err := verify.File(signed, verify.Options{Originals: f.originals, Roots: f.roots})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("not OK: %q", rep.Problems)
		}
		s := rep.Signatures[0]
		if !s.Valid || !s.CoversWholeFile || s.Trusted == nil || !*s.Trusted || s.Timestamp != nil {
			t.Errorf("signature %+v", s)
		}
		if !strings.Contains(s.Signer, sign.DevSignerName) || len(s.Chain) != 3 {
			t.Errorf("signer %q chain %q", s.Signer, s.Chain)
		}
		if s.SigningTime == nil || time.Since(*s.SigningTime) > time.Minute || s.Reason != f.signer.Reason || s.Location != f.signer.Location {
			t.Errorf("signing time %v reason %q location %q", s.SigningTime, s.Reason, s.Location)
		}
		if !rep.PDFA || !rep.FontsEmbedded || rep.DossierCode != "HS-000123" || len(rep.Originals) != 2 {
			t.Errorf("report %+v", rep)
		}
		for _, o := range rep.Originals {
			if o.Status != "ok" {
				t.Errorf("original %+v", o)
			}
		}
	})
}

func TestTampered(t *testing.T) {
	f := newFixture(t)
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	// One byte of the first page's image data, well inside the signed range.
	i := bytes.Index(signed, []byte("stream\n")) + 200
	tampered := append([]byte(nil), signed...)
	tampered[i] ^= 0x01
	appended := append(append([]byte(nil), signed...), "% added after signing\n"...)

	for _, tc := range []struct {
		name, pdfsig, problem string
		data                  []byte
	}{
		{"changed byte", "Digest Mismatch", "changed after signing", tampered},
		{"appended bytes", "Not total document signed", "does not cover the whole file", appended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := write(t, f.dir, "t.pdf", tc.data)
			wantLines(t, "pdfsig", pdfsig(t, nssDB(t, f.rootPEM), file), tc.pdfsig)
			rep, err := verify.File(tc.data, verify.Options{Originals: f.originals, Roots: f.roots})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), tc.problem) {
				t.Errorf("OK=%v problems %q, want one about %q", rep.OK, rep.Problems, tc.problem)
			}
		})
	}
}

func TestOriginalSwapped(t *testing.T) {
	f := newFixture(t)
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join(f.originals, "scan1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, f.originals, "scan2.jpg", other)
	rep, err := verify.File(signed, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "page 2") || !strings.Contains(rep.Problems[0], "scan2.jpg") {
		t.Errorf("OK=%v problems %q, want one naming page 2", rep.OK, rep.Problems)
	}
	if err := os.Remove(filepath.Join(f.originals, "scan1.jpg")); err != nil {
		t.Fatal(err)
	}
	rep, _ = verify.File(signed, verify.Options{Originals: f.originals})
	if rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "page 1: original scan1.jpg is missing") {
		t.Errorf("problems %q, want page 1 missing", rep.Problems)
	}
}

func TestUnsignedAndBroken(t *testing.T) {
	f := newFixture(t)
	rep, err := verify.File(f.unsigned, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Problems[0] != "the file is not signed" || !rep.PDFA {
		t.Errorf("unsigned: %+v", rep)
	}
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	// Truncations and overwrites must give a failed report, never a panic.
	for _, cut := range []int{len(signed) / 3, len(signed) - 40000, len(signed) - 100, len(signed) - 1} {
		rep, err := verify.File(signed[:cut], verify.Options{})
		if err == nil && rep.OK {
			t.Errorf("truncated at %d: OK", cut)
		}
	}
	if _, err := verify.File([]byte("hello"), verify.Options{}); err != verify.ErrNotPDF {
		t.Errorf("not a PDF: %v", err)
	}
}

// tsa is a local RFC 3161 time-stamp authority with its own root.
type tsa struct {
	*httptest.Server
	rootPEM string
}

func newTSA(t *testing.T) *tsa {
	t.Helper()
	now := time.Now().Add(-time.Hour)
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test TSA Root"},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	// RFC 3161 2.3: the only extended key usage, timeStamping, critical.
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "Test TSA"}, NotBefore: now, NotAfter: now.AddDate(1, 0, 0),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}, root, &key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
			Time: time.Now().UTC(), Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
			Accuracy: time.Second, AddTSACertificate: req.Certificates}
		resp, err := ts.CreateResponseWithOpts(cert, crypto.Signer(key), crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	p := filepath.Join(t.TempDir(), "tsa-root.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tsa{Server: srv, rootPEM: p}
}

func TestTimestamp(t *testing.T) {
	f := newFixture(t)
	ts := newTSA(t)
	f.signer.TSAURL = ts.URL
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	file := write(t, f.dir, "bt.pdf", signed)
	wantLines(t, "pdfsig", pdfsig(t, nssDB(t, f.rootPEM), file), "Signature is Valid.", "Total document signed", "Certificate is Trusted.")
	if err := api.ValidateFile(file, model.NewDefaultConfiguration()); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
	tool(t, "qpdf")
	wantLines(t, "qpdf --check", run(t, "qpdf", "--check", file), "No syntax or stream encoding errors")

	b, _ := os.ReadFile(ts.rootPEM)
	f.roots.AppendCertsFromPEM(b)
	rep, err := verify.File(signed, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("not OK: %q", rep.Problems)
	}
	tsr := rep.Signatures[0].Timestamp
	if tsr == nil || !tsr.ImprintMatches || tsr.Trusted == nil || !*tsr.Trusted || tsr.TSA != "CN=Test TSA" ||
		time.Since(tsr.Time) > time.Minute {
		t.Errorf("timestamp %+v", tsr)
	}

	// A TSA that is not trusted is a problem, not a silent pass.
	rep, _ = verify.File(signed, verify.Options{Roots: func() *x509.CertPool {
		p := x509.NewCertPool()
		b, _ := os.ReadFile(f.rootPEM)
		p.AppendCertsFromPEM(b)
		return p
	}()})
	if rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "time-stamp authority") {
		t.Errorf("untrusted TSA: problems %q", rep.Problems)
	}
}
