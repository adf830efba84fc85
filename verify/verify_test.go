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
	"fmt"
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
	"regexp"
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

// TestVisibleSignature signs with a block drawn on page 1 and checks that
// the readers and validators still accept the file, that the block shows
// on the rendered page, and that tampering is still caught.
func TestVisibleSignature(t *testing.T) {
	f := newFixture(t)
	f.signer.Visible = &sign.Appearance{}
	signed, err := f.signer.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, f.unsigned) {
		t.Fatal("the signature is not an incremental update: the original bytes changed")
	}
	file := write(t, f.dir, "visible.pdf", signed)
	plain := write(t, f.dir, "plain.pdf", f.unsigned)

	out := pdfsig(t, nssDB(t, f.rootPEM), file)
	wantLines(t, "pdfsig", out, "Signature is Valid.", "Total document signed", "Certificate is Trusted.")
	tool(t, "qpdf")
	wantLines(t, "qpdf --check", run(t, "qpdf", "--check", file), "No syntax or stream encoding errors")
	tool(t, "pdfinfo")
	wantLines(t, "pdfinfo -meta", run(t, "pdfinfo", "-meta", file), "<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>")
	tool(t, "pdffonts")
	// The block is vector paths: the only font stays the embedded text layer's.
	fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", file)), "\n")
	if len(fonts) != 3 || !strings.Contains(fonts[2], " yes ") {
		t.Errorf("pdffonts:\n%s", strings.Join(fonts, "\n"))
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.ValidateFile(file, conf); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
	rep, err := verify.File(signed, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || !rep.PDFA || !rep.FontsEmbedded || len(rep.Signatures) != 1 || !rep.Signatures[0].Valid {
		t.Fatalf("verify: %q %+v", rep.Problems, rep)
	}

	// The block's top-left corner of page 1 gets darker than the scan alone.
	tool(t, "pdftoppm")
	dark := func(pdfFile string) int {
		run(t, "pdftoppm", "-f", "1", "-l", "1", "-r", "144", "-gray", "-singlefile", pdfFile, strings.TrimSuffix(pdfFile, ".pdf"))
		b, err := os.ReadFile(strings.TrimSuffix(pdfFile, ".pdf") + ".pgm")
		if err != nil {
			t.Fatal(err)
		}
		img, err := pgm(b)
		if err != nil {
			t.Fatal(err)
		}
		r := sign.TopLeft(170, 220)
		n := 0
		for y := int((220 - r[3]) * 2); y < int((220-r[1])*2); y++ {
			for x := int(r[0] * 2); x < int(r[2]*2); x++ {
				if img.GrayAt(x, y).Y < 100 {
					n++
				}
			}
		}
		return n
	}
	before, after := dark(plain), dark(file)
	if before != 0 || after < 200 {
		t.Errorf("dark pixels in the block: %d unsigned, %d signed", before, after)
	}

	// Tampering after signing is still caught by both.
	tampered := bytes.Clone(signed)
	i := bytes.Index(tampered, []byte("HS-000123"))
	tampered[i+3] = '9'
	tf := write(t, f.dir, "tampered.pdf", tampered)
	wantLines(t, "pdfsig tampered", pdfsig(t, nssDB(t, f.rootPEM), tf), "Digest Mismatch.")
	rep, err = verify.File(tampered, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Signatures[0].Valid {
		t.Errorf("tampered file passes verify: %+v", rep.Signatures[0])
	}
}

// pgm decodes the binary PGM pdftoppm -gray writes.
func pgm(b []byte) (*image.Gray, error) {
	// Header: "P5", width, height, maxval, separated by whitespace, then
	// one whitespace byte before the pixels.
	var fields []int
	n := 2
	if !bytes.HasPrefix(b, []byte("P5")) {
		return nil, fmt.Errorf("pgm: not P5")
	}
	for len(fields) < 3 && n < len(b) {
		for n < len(b) && (b[n] == ' ' || b[n] == '\n' || b[n] == '\r' || b[n] == '\t') {
			n++
		}
		v := 0
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			v = v*10 + int(b[n]-'0')
			n++
		}
		fields = append(fields, v)
	}
	n++
	w, h, maxv := fields[0], fields[1], fields[2]
	if maxv != 255 || len(b) < n+w*h {
		return nil, fmt.Errorf("pgm: %dx%d max %d in %d bytes", w, h, maxv, len(b))
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	copy(img.Pix, b[n:n+w*h])
	return img, nil
}

// checkTools runs the readers and validators on file, a signed dossier
// after some signature, and wants every one of its signatures valid.
func checkTools(t *testing.T, db, file string, sigs int) {
	t.Helper()
	out := pdfsig(t, db, file)
	if n := strings.Count(out, "Signature is Valid."); n != sigs {
		t.Errorf("pdfsig: %d valid signatures, want %d:\n%s", n, sigs, out)
	}
	tool(t, "qpdf")
	wantLines(t, "qpdf --check", run(t, "qpdf", "--check", file), "No syntax or stream encoding errors")
	tool(t, "pdfinfo")
	wantLines(t, "pdfinfo -meta", run(t, "pdfinfo", "-meta", file), "<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>")
	tool(t, "pdffonts")
	if fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", file)), "\n"); len(fonts) != 3 || !strings.Contains(fonts[2], " yes ") {
		t.Errorf("pdffonts:\n%s", strings.Join(fonts, "\n"))
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.ValidateFile(file, conf); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
}

// TestSequentialSignatures: the operator who digitized the dossier signs,
// then the center; both signatures hold, verify says what the second
// update changed, and a change slipped in between is caught.
func TestSequentialSignatures(t *testing.T) {
	f := newFixture(t)
	db := nssDB(t, f.rootPEM)
	operator, center := *f.signer, *f.signer
	operator.Name, operator.Reason = "Nguyễn Văn An", "Số hóa hồ sơ"
	operator.Visible = &sign.Appearance{}
	center.Visible = &sign.Appearance{Rect: [4]float64{10, 10, 160, 50}}

	first, err := operator.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	checkTools(t, db, write(t, f.dir, "first.pdf", first), 1)
	both, err := center.Sign(first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(both, first) {
		t.Fatal("the second signature is not an incremental update")
	}
	checkTools(t, db, write(t, f.dir, "both.pdf", both), 2)

	rep, err := verify.File(both, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Signatures) != 2 {
		t.Fatalf("verify: %q, %d signatures", rep.Problems, len(rep.Signatures))
	}
	s1, s2 := rep.Signatures[0], rep.Signatures[1]
	if !s1.Valid || s1.CoversWholeFile || s1.Name != operator.Name || !s2.Valid || !s2.CoversWholeFile || s2.ChangesAfter != nil {
		t.Errorf("signatures %+v\n%+v", s1, s2)
	}
	changes := strings.Join(s1.ChangesAfter, "; ")
	for _, w := range []string{"signature dictionary", "signature field Signature2", "signature appearance", "signature fields and annotations"} {
		if !strings.Contains(changes, w) {
			t.Errorf("changes after the first signature lack %q: %s", w, changes)
		}
	}

	// A byte of the operator's revision changed before the center signs:
	// the first signature breaks, for pdfsig and verify alike.
	tampered := bytes.Clone(first)
	i := bytes.Index(tampered, []byte("HS-000123"))
	tampered[i+3] = '9'
	bad, err := center.Sign(tampered)
	if err != nil {
		t.Fatal(err)
	}
	out := pdfsig(t, db, write(t, f.dir, "bad.pdf", bad))
	if strings.Count(out, "Digest Mismatch.") != 1 || strings.Count(out, "Signature is Valid.") != 1 {
		t.Errorf("pdfsig of a file changed between signatures:\n%s", out)
	}
	rep, err = verify.File(bad, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Signatures[0].Valid || !rep.Signatures[1].Valid {
		t.Errorf("verify of a file changed between signatures: %q", rep.Problems)
	}

	// An update that is not a signature, appended between the two: the
	// operator's signature still verifies over its revision, but verify
	// reports the change the operator never signed.
	page := bytes.Index(first, []byte("/Type /Page /Parent"))
	objEnd := bytes.LastIndex(first[:page], []byte(" obj")) + 4
	hdr := first[bytes.LastIndex(first[:objEnd], []byte("\n"))+1 : objEnd]
	var upd bytes.Buffer
	upd.Write(first)
	off := upd.Len()
	fmt.Fprintf(&upd, "%s\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n", hdr)
	xref := upd.Len()
	var num int
	fmt.Sscanf(string(hdr), "%d", &num)
	prev := string(first[bytes.LastIndex(first, []byte("startxref"))+10:])
	prev = strings.Fields(prev)[0]
	tr := first[bytes.LastIndex(first, []byte("trailer")):]
	size := regexp.MustCompile(`/Size \d+ /Root \d+ 0 R`).Find(tr)
	fmt.Fprintf(&upd, "xref\n0 1\n0000000000 65535 f\r\n%d 1\n%010d 00000 n\r\ntrailer\n<< %s /Prev %s /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		num, off, size, prev, "00", "00", xref)
	sneaked, err := center.Sign(upd.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rep, err = verify.File(sneaked, verify.Options{Originals: f.originals, Roots: f.roots})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(strings.Join(rep.Problems, "; "), fmt.Sprintf("object %d was changed", num)) {
		t.Errorf("verify of an update sneaked between signatures: %q %+v", rep.Problems, rep.Signatures)
	}
}
