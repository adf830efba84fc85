package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sign/hsmtest"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
)

const (
	testToken = "sohoa-test"
	testPIN   = "246810"
)

// softToken makes a fresh SoftHSM2 token labelled testToken with user PIN
// testPIN in a folder of its own and points SOFTHSM2_CONF at it. Missing
// softhsm2 fails the test: deploy/setup.sh --test installs it.
func softToken(t *testing.T) string {
	t.Helper()
	if DefaultModule() == "" {
		t.Fatalf("SoftHSM2 module %s missing: install softhsm2 (deploy/setup.sh --test does)", DefaultPKCS11Module)
	}
	hsmtest.SoftToken(t, testToken, testPIN)
	return DefaultPKCS11Module
}

// tokenKey generates a P-256 key labelled label on the token (RSA-2048
// when label starts with "rsa"), which
// crypto11 makes sensitive and not extractable, and returns its public
// half and CKA_ID. The context is closed again, so that the module is
// unloaded as it would be between two runs.
func tokenKey(t *testing.T, module, label string) (crypto.PublicKey, []byte) {
	t.Helper()
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: testToken, Pin: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	id := []byte("id-" + label)
	var k crypto11.Signer
	if strings.HasPrefix(label, "rsa") {
		k, err = ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), 2048)
	} else {
		k, err = ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P256())
	}
	if err != nil {
		t.Fatal(err)
	}
	return k.Public(), id
}

// storeCert puts cert on the token under id and label.
func storeCert(t *testing.T, module string, id []byte, label string, cert *x509.Certificate) {
	t.Helper()
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: testToken, Pin: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	if err := ctx.ImportCertificateWithLabel(id, []byte(label), cert); err != nil {
		t.Fatal(err)
	}
}

// testCA is a root that issues document-signing certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Token CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert, key}
}

func (ca *testCA) issue(t *testing.T, pub crypto.PublicKey, name string) *x509.Certificate {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// checkSigned checks out's signature with pdfcpu's CMS parser and pdfsig.
func checkSigned(t *testing.T, out []byte, signer *x509.Certificate) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command("pdfsig", p).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, msg)
	}
	for _, want := range []string{"Signature is Valid.", "Total document signed", "ETSI.CAdES.detached", "Signer Certificate Common Name: " + signer.Subject.CommonName} {
		if !strings.Contains(string(msg), want) {
			t.Errorf("pdfsig does not say %q:\n%s", want, msg)
		}
	}
}

func TestLoadPKCS11Signs(t *testing.T) {
	for _, label := range []string{"ecdsa-key", "rsa-key"} {
		t.Run(label, func(t *testing.T) {
			module := softToken(t)
			ca := newTestCA(t)
			pub, id := tokenKey(t, module, label)
			cert := ca.issue(t, pub, "Center on a token")
			storeCert(t, module, id, label, cert)

			s, err := LoadPKCS11(PKCS11{Module: module, Token: testToken, Key: label, PIN: testPIN, Chain: []*x509.Certificate{ca.cert}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !s.Certificate().Equal(cert) || len(s.Chain()) != 2 || !s.Chain()[1].Equal(ca.cert) {
				t.Fatalf("chain %v, want the token's certificate then the CA", s.Chain())
			}
			switch s.key.(type) {
			case *ecdsa.PrivateKey, *rsa.PrivateKey:
				t.Fatal("the token's key was read into memory")
			}
			out, err := s.Sign(smallDossier(t))
			if err != nil {
				t.Fatal(err)
			}
			checkSigned(t, out, cert)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sign(smallDossier(t)); !errors.Is(err, ErrNoKey) {
				t.Errorf("Sign after Close: %v, want ErrNoKey", err)
			}
		})
	}
}

// TestPKCS11KeyStaysOnToken: the key is sensitive and not extractable, so
// the token refuses to give out its private value.
func TestPKCS11KeyStaysOnToken(t *testing.T) {
	module := softToken(t)
	tokenKey(t, module, "center-key")
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: testToken, Pin: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	key, err := ctx.FindKeyPair(nil, []byte("center-key"))
	if err != nil || key == nil {
		t.Fatalf("find key: %v", err)
	}
	a, err := ctx.GetAttributes(key, []crypto11.AttributeType{crypto11.CkaExtractable, crypto11.CkaSensitive})
	if err != nil {
		t.Fatal(err)
	}
	if ext := a[crypto11.CkaExtractable].Value; len(ext) != 1 || ext[0] != 0 {
		t.Errorf("CKA_EXTRACTABLE %v, want false", ext)
	}
	if sens := a[crypto11.CkaSensitive].Value; len(sens) != 1 || sens[0] != 1 {
		t.Errorf("CKA_SENSITIVE %v, want true", sens)
	}
	v, err := ctx.GetAttribute(key, crypto11.CkaValue)
	var p11 pkcs11.Error
	if !errors.As(err, &p11) || p11 != pkcs11.CKR_ATTRIBUTE_SENSITIVE {
		t.Errorf("reading the private value: %v (%d bytes), want CKR_ATTRIBUTE_SENSITIVE", err, len(v.Value))
	}
}

func TestLoadPKCS11Errors(t *testing.T) {
	module := softToken(t)
	ca := newTestCA(t)
	pub, id := tokenKey(t, module, "center-key")
	storeCert(t, module, id, "center-key", ca.issue(t, pub, "Center on a token"))
	bare, _ := tokenKey(t, module, "no-cert-key")
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	good := PKCS11{Module: module, Token: testToken, Key: "center-key", PIN: testPIN}
	with := func(f func(*PKCS11)) PKCS11 { c := good; f(&c); return c }
	for _, tc := range []struct {
		name string
		cfg  PKCS11
		want error
		says string
	}{
		{"wrong PIN", with(func(c *PKCS11) { c.PIN = "999999" }), ErrWrongPIN, "wrong PIN"},
		{"no PIN", with(func(c *PKCS11) { c.PIN = "" }), ErrNoPIN, "no PIN"},
		{"missing token", with(func(c *PKCS11) { c.Token = "not-plugged-in" }), ErrNoToken, `"not-plugged-in"`},
		{"missing key", with(func(c *PKCS11) { c.Key = "no-such-key" }), ErrNoKey, `"no-such-key"`},
		{"missing module", with(func(c *PKCS11) { c.Module = "/nonexistent/libtoken.so" }), ErrNoModule, "/nonexistent/libtoken.so"},
		{"no certificate anywhere", with(func(c *PKCS11) { c.Key = "no-cert-key" }), ErrNoCertificate, `"no-cert-key"`},
		{"certificate of another key", with(func(c *PKCS11) {
			c.Key = "no-cert-key"
			c.Chain = []*x509.Certificate{ca.issue(t, &other.PublicKey, "Someone else")}
		}), ErrKeyMismatch, "Someone else"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadPKCS11(tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("LoadPKCS11 succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("LoadPKCS11: %v, want %v saying %s", err, tc.want, tc.says)
			}
			if strings.Contains(err.Error(), testPIN) {
				t.Errorf("error %q shows the PIN", err)
			}
		})
	}

	// A key whose certificate is not on the token signs with the
	// certificate given beside it.
	cert := ca.issue(t, bare, "Center, certificate in a file")
	s, err := LoadPKCS11(with(func(c *PKCS11) { c.Key = "no-cert-key"; c.Chain = []*x509.Certificate{ca.cert, cert} }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Certificate().Equal(cert) {
		t.Errorf("signer certificate %q, want %q", s.Certificate().Subject, cert.Subject)
	}
}

// remoteKey stands for a key behind a signing service: it only signs, and
// is none of the standard library's key types.
type remoteKey struct {
	k     *ecdsa.PrivateKey
	calls int
}

func (r *remoteKey) Public() crypto.PublicKey { return r.k.Public() }
func (r *remoteKey) Sign(rnd io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	r.calls++
	return r.k.Sign(rnd, digest, opts)
}

func TestNewWithAnySigner(t *testing.T) {
	ca := newTestCA(t)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	remote := &remoteKey{k: k}
	cert := ca.issue(t, k.Public(), "Remote signer")
	s, err := New(remote, []*x509.Certificate{ca.cert, cert})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Certificate().Equal(cert) {
		t.Fatalf("signer certificate %q, want the one matching the key", s.Certificate().Subject)
	}
	out, err := s.Sign(smallDossier(t))
	if err != nil {
		t.Fatal(err)
	}
	if remote.calls != 1 {
		t.Errorf("the remote key signed %d times, want 1", remote.calls)
	}
	checkSigned(t, out, cert)
	// The CMS verifies against the signer's certificate.
	i := strings.Index(string(out), "/Contents <") + len("/Contents <")
	j := strings.IndexByte(string(out[i:]), '>')
	var cms asn1.RawValue
	if raw, err := hex.DecodeString(string(out[i : i+j])); err != nil {
		t.Fatal(err)
	} else if _, err := asn1.Unmarshal(raw, &cms); err != nil {
		t.Fatal(err)
	}
	if _, err := pkcs7.Parse(cms.FullBytes); err != nil {
		t.Errorf("CMS does not parse: %v", err)
	}

	if _, err := New(nil, []*x509.Certificate{cert}); !errors.Is(err, ErrNoKey) {
		t.Errorf("New without a key: %v", err)
	}
	if _, err := New(remote, nil); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("New without a chain: %v", err)
	}
	if _, err := New(remote, []*x509.Certificate{ca.cert}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("New with only the CA: %v", err)
	}
}

func TestParsePKCS11URI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want PKCS11URI
		bad  string // part of the error; empty: parses
	}{
		{"pkcs11:token=Center;object=sign-2026", PKCS11URI{Token: "Center", Object: "sign-2026"}, ""},
		{"pkcs11:token=Trung%20t%C3%A2m;object=k;type=private?module-path=/usr/lib/x.so&pin-source=file:/run/pin",
			PKCS11URI{Token: "Trung tâm", Object: "k", ModulePath: "/usr/lib/x.so", PINSource: "/run/pin"}, ""},
		{"pkcs11:token=Center", PKCS11URI{}, "want both"},
		{"pkcs11:token=Center;object=k;type=cert", PKCS11URI{}, "type=cert"},
		{"pkcs11:token=Center;object=k;serial=1", PKCS11URI{}, `"serial"`},
		{"pkcs11:token=Center;object=k?pin-value=1234", PKCS11URI{}, "pin-value is refused"},
		{"center.p12", PKCS11URI{}, "pkcs11: scheme"},
	} {
		got, err := ParsePKCS11URI(tc.uri)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.uri, err)
		case tc.bad == "" && got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.uri, got, tc.want)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%s: error %v, want one saying %s", tc.uri, err, tc.bad)
		}
		if strings.Contains(tc.uri, "pin-value") && err != nil && strings.Contains(err.Error(), "1234") {
			t.Errorf("error %q shows the PIN", err)
		}
	}
}
