package sign

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sign/pkitest"
)

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"B-B": LevelBB, "b-t": LevelBT, "PAdES B-LT": LevelBLT, "pades-b-lta": LevelBLTA, " B-LTA ": LevelBLTA} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "B", "LT", "B-LTAX", "C-B"} {
		if _, err := ParseLevel(in); !errors.Is(err, ErrLevel) {
			t.Errorf("ParseLevel(%q): %v, want ErrLevel", in, err)
		}
	}
	if !LevelBLTA.AtLeast(LevelBLT) || LevelBT.AtLeast(LevelBLT) || Level("x").AtLeast(LevelBB) {
		t.Error("AtLeast orders the levels wrongly")
	}
}

func pkiSigner(t *testing.T, p *pkitest.PKI, level Level) *Signer {
	t.Helper()
	s, err := New(p.SignerKey, p.Chain)
	if err != nil {
		t.Fatal(err)
	}
	s.TSAURL, s.Level = p.TSAURL, level
	return s
}

// TestPreflight: a level the configuration cannot reach is refused before
// anything is signed, each with an error that says why and names the
// source, and no secret of a source's URL.
func TestPreflight(t *testing.T) {
	p := pkitest.New(t)
	ctx := context.Background()
	dev, err := DevKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	devSigner, err := Load(dev, DevPassword)
	if err != nil {
		t.Fatal(err)
	}

	// A certificate whose only source is a closed port, with credentials
	// in its URL, and one whose responder answers with too much.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, maxOCSPReply+1))
	}))
	defer big.Close()
	issue := func(name, ocspURL string) *Signer {
		c, key := p.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, OCSPServer: []string{ocspURL}}, p.Intermediate)
		s, err := New(key, []*x509.Certificate{c, p.Intermediate, p.Root})
		if err != nil {
			t.Fatal(err)
		}
		s.TSAURL, s.Level = p.TSAURL, LevelBLT
		return s
	}
	secretURL := "http://ocspuser:pa55word@" + closed + "/ocsp?token=t0ken-s3cret"
	unreachable := issue("Signer Unreachable", secretURL)
	tooBig := issue("Signer Too Big", big.URL+"/ocsp")

	noTSA := pkiSigner(t, p, LevelBLTA)
	noTSA.TSAURL = ""
	badTSA := pkiSigner(t, p, LevelBLT)
	badTSA.TSAURL = "http://" + closed + "/tsa"
	devSigner.TSAURL, devSigner.Level = p.TSAURL, LevelBLT

	for _, tc := range []struct {
		name string
		s    *Signer
		err  error
		want []string
	}{
		{"B-LT", pkiSigner(t, p, LevelBLT), nil, nil},
		{"B-LTA without a TSA", noTSA, ErrLevel, []string{"B-LTA needs a time-stamp authority"}},
		{"TSA unreachable", badTSA, ErrTimestamp, []string{closed}},
		{"no revocation source", devSigner, ErrRevocation, []string{DevSignerName, "names no OCSP responder and no CRL distribution point"}},
		{"responder unreachable", unreachable, ErrRevocation, []string{"OCSP http://", closed, "/ocsp", "Signer Unreachable"}},
		{"reply too large", tooBig, ErrRevocation, []string{big.URL + "/ocsp: reply larger than 1048576 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Preflight(ctx)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("Preflight: %v, want %v", err, tc.err)
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, secret := range []string{"pa55word", "t0ken-s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows %q: %v", secret, err)
				}
			}
			// Signing fails the same way, and nothing is returned.
			if out, err := tc.s.Sign(smallDossier(t)); err == nil || out != nil {
				t.Errorf("Sign after a failed preflight: %d bytes, %v", len(out), err)
			}
		})
	}

	p.Revoke(p.SignerCert, time.Now().Add(-time.Minute))
	if err := pkiSigner(t, p, LevelBLT).Preflight(ctx); !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "Nguyễn Văn Ký") {
		t.Errorf("preflight of a revoked certificate: %v, want ErrRevoked naming it", err)
	}
}

// TestDSS checks the update B-LT appends and how a second B-LT signature
// extends it: the VRI key is the SHA-1 of /Contents, earlier entries are
// kept, shared certificates are stored once.
func TestDSS(t *testing.T) {
	p := pkitest.New(t)
	in := smallDossier(t)
	s := pkiSigner(t, p, LevelBLT)
	one, err := s.Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseDocument(one)
	if err != nil {
		t.Fatalf("the signed file does not parse again: %v", err)
	}
	cat, _ := doc.dict(doc.root)
	dss, err := doc.readDSS(cat)
	if err != nil {
		t.Fatal(err)
	}
	// Signer, intermediate, root, OCSP responder, TSA, TSA root; two OCSP
	// responses (signer, intermediate); one CRL (the TSA's).
	if len(dss.certs) != 6 || len(dss.ocsps) != 2 || len(dss.crls) != 1 || len(dss.vri) != 1 {
		t.Errorf("DSS: %d certificates, %d OCSP responses, %d CRLs, %d VRI", len(dss.certs), len(dss.ocsps), len(dss.crls), len(dss.vri))
	}
	m := reSigRange.FindSubmatch(one)
	var br [4]int
	for i := range br {
		fmt.Sscanf(string(m[1+i]), "%d", &br[i])
	}
	contents, _ := hex.DecodeString(string(one[br[1]+1 : br[2]-1]))
	key := fmt.Sprintf("%X", sha1.Sum(contents))
	if _, ok := dss.vri[key]; !ok {
		t.Errorf("no VRI %s among %v", key, dss.vri)
	}
	for _, r := range dss.certs {
		if _, ok := doc.stream(r); !ok {
			t.Errorf("certificate stream %v unreadable", r)
		}
	}

	two, err := s.Sign(one)
	if err != nil {
		t.Fatalf("a second B-LT signature: %v", err)
	}
	if !bytes.HasPrefix(two, one) {
		t.Fatal("the second signature rewrote the first's bytes")
	}
	doc2, err := parseDocument(two)
	if err != nil {
		t.Fatal(err)
	}
	cat2, _ := doc2.dict(doc2.root)
	dss2, err := doc2.readDSS(cat2)
	if err != nil {
		t.Fatal(err)
	}
	if len(dss2.certs) != 6 || len(dss2.ocsps) != 4 || len(dss2.crls) < 1 || len(dss2.vri) != 2 || dss2.vri[key] != dss.vri[key] {
		t.Errorf("extended DSS: %d certificates, %d OCSP responses, %d CRLs, VRI %v", len(dss2.certs), len(dss2.ocsps), len(dss2.crls), dss2.vri)
	}
	if n := len(regexp.MustCompile(`/DSS \d+ 0 R`).FindAll(cat2, -1)); n != 1 {
		t.Errorf("the catalog has %d /DSS entries", n)
	}
}
