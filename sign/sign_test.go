package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// selfSigned returns a signing certificate for key valid from notBefore
// to notAfter.
func selfSigned(t *testing.T, key any, pub any, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Test Signer"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemFile(t *testing.T, path string, blocks ...*pem.Block) string {
	t.Helper()
	var b bytes.Buffer
	for _, bl := range blocks {
		pem.Encode(&b, bl)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func keyBlock(t *testing.T, key any) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func certBlock(c *x509.Certificate) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw} }

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	devP12, err := DevKeys(filepath.Join(dir, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	valid := selfSigned(t, key, &key.PublicKey, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	expired := selfSigned(t, key, &key.PublicKey, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0))
	future := selfSigned(t, key, &key.PublicKey, now.AddDate(1, 0, 0), now.AddDate(2, 0, 0))
	rsaCert := selfSigned(t, rsaKey, &rsaKey.PublicKey, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	edCert := selfSigned(t, edKey, edPub, now.Add(-time.Hour), now.AddDate(1, 0, 0))

	p12 := func(name string, k any, c *x509.Certificate) string {
		b, err := pkcs12.Modern.Encode(k, c, nil, "secret-pw")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Key beside the certificate: signer.pem + signer.key.
	pemFile(t, filepath.Join(dir, "beside.key"), keyBlock(t, key))
	rsaPKCS1 := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}

	for _, tc := range []struct {
		name, path, password string
		want                 error // nil: loads
	}{
		{"dev p12", devP12, DevPassword, nil},
		{"wrong password", devP12, "not-the-password", ErrWrongPassword},
		{"p12 expired", p12("expired.p12", key, expired), "secret-pw", ErrCertExpired},
		{"p12 not yet valid", p12("future.p12", key, future), "secret-pw", ErrCertExpired},
		{"p12 key mismatch", p12("mismatch.p12", other, valid), "secret-pw", ErrKeyMismatch},
		{"pem one file", pemFile(t, filepath.Join(dir, "one.pem"), certBlock(valid), keyBlock(t, key)), "", nil},
		{"pem key beside", pemFile(t, filepath.Join(dir, "beside.pem"), certBlock(valid)), "", nil},
		{"pem rsa pkcs1", pemFile(t, filepath.Join(dir, "rsa.pem"), rsaPKCS1, certBlock(rsaCert)), "", nil},
		{"pem no key", pemFile(t, filepath.Join(dir, "nokey.pem"), certBlock(valid)), "", ErrNoKey},
		{"pem no certificate", pemFile(t, filepath.Join(dir, "nocert.pem"), keyBlock(t, key)), "", ErrNoCertificate},
		{"pem key mismatch", pemFile(t, filepath.Join(dir, "mm.pem"), certBlock(valid), keyBlock(t, other)), "", ErrKeyMismatch},
		{"pem expired", pemFile(t, filepath.Join(dir, "exp.pem"), certBlock(expired), keyBlock(t, key)), "", ErrCertExpired},
		{"pem ed25519", pemFile(t, filepath.Join(dir, "ed.pem"), certBlock(edCert), keyBlock(t, edKey)), "", ErrUnsupportedKey},
		{"pem encrypted", pemFile(t, filepath.Join(dir, "enc.pem"), certBlock(valid), &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), "", ErrEncryptedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.path, tc.password)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if s.Certificate() == nil || s.key == nil {
					t.Fatal("no certificate or key")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load: %v, want %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.path) {
				t.Errorf("error %q does not name the file", msg)
			}
			if tc.password != "" && strings.Contains(msg, tc.password) || strings.Contains(msg, "PRIVATE KEY") {
				t.Errorf("error %q shows a secret", msg)
			}
		})
	}
}

func TestDevKeysIdempotent(t *testing.T) {
	dir := t.TempDir()
	p, err := DevKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	if p2, err := DevKeys(dir); err != nil || p2 != p {
		t.Fatalf("second DevKeys: %q %v", p2, err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("DevKeys replaced existing keys")
	}
	s, err := Load(p, DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Certificate()
	if c.Subject.CommonName != DevSignerName || c.KeyUsage&x509.KeyUsageContentCommitment == 0 ||
		len(s.Chain()) != 3 {
		t.Errorf("dev certificate %q usage %b chain %d", c.Subject, c.KeyUsage, len(s.Chain()))
	}
	if err := os.Remove(filepath.Join(dir, DevRootFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := DevKeys(dir); err == nil {
		t.Error("DevKeys with only the .p12 left: no error")
	}
}

func smallDossier(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, pdf.Info{Title: "HS-1"})
	if err != nil {
		t.Fatal(err)
	}
	im := pdf.Image{Width: 2, Height: 2, BitsPerComponent: 8, ColorSpace: "DeviceGray", Data: pdf.FlateStream([]byte{0, 255, 255, 0}), Filter: "FlateDecode"}
	if err := w.AddPage(pdf.Page{Width: 100, Height: 100, Image: im, Matrix: [6]float64{100, 0, 0, 100, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSignStructure(t *testing.T) {
	p, err := DevKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(p, DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Minute).In(time.FixedZone("ICT", 7*3600))
	s.Now = func() time.Time { return at }
	s.Location = "Hà Nội"
	in := smallDossier(t)
	out, err := s.Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	upd := string(out[len(in):])
	for _, want := range []string{
		"/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (" + at.Format("D:20060102150405") + "+07'00')",
		"/Location <FEFF0048", "/FT /Sig", "/Rect [0 0 0 0] /F 132",
		"/AcroForm << /Fields [", "/SigFlags 3", "/Metadata 10 0 R", "/OutputIntents",
		"/Annots [", "/Prev ", "/Info 9 0 R",
	} {
		if !strings.Contains(upd, want) {
			t.Errorf("update lacks %q", want)
		}
	}
	id0 := in[bytes.LastIndex(in, []byte("/ID [<"))+6:]
	id0 = id0[:bytes.IndexByte(id0, '>')]
	if !strings.Contains(upd, "/ID [<"+string(id0)+">") {
		t.Error("the first /ID element changed")
	}
	// A second signer appends its field beside the first one's.
	out2, err := s.Sign(out)
	if err != nil {
		t.Fatalf("signing a signed file: %v", err)
	}
	upd2 := string(out2[len(out):])
	for _, want := range []string{"/T (Signature2)", "/Prev " + strconv.Itoa(bytes.LastIndex(out, []byte("\nxref\n"))+1)} {
		if !strings.Contains(upd2, want) {
			t.Errorf("second update lacks %q", want)
		}
	}
	if m := reOurForm.FindStringSubmatch(upd2); m == nil || len(refs([]byte(m[1]))) != 2 {
		t.Errorf("second update's form: %q", m)
	}
	if m := reOurAnnots.FindStringSubmatch(upd2); m == nil || len(refs([]byte(m[1]))) != 2 {
		t.Errorf("second update's annotations: %q", m)
	}
	// A form this package did not write is refused.
	foreign := bytes.Replace(bytes.Clone(out), []byte("/SigFlags 3"), []byte("/SigFlags 1"), 1)
	if _, err := s.Sign(foreign); !errors.Is(err, ErrUnsupportedPDF) {
		t.Errorf("signing a file with a foreign form: %v, want ErrUnsupportedPDF", err)
	}
	if _, err := s.Sign([]byte("%PDF-1.7\nnot really\n")); !errors.Is(err, ErrUnsupportedPDF) {
		t.Errorf("garbage: %v", err)
	}
	s.Now = func() time.Time { return at.AddDate(10, 0, 0) }
	if _, err := s.Sign(in); !errors.Is(err, ErrCertExpired) {
		t.Errorf("signing after expiry: %v, want ErrCertExpired", err)
	}
}
