// Package pkitest runs, for tests, the public-key infrastructure a PAdES
// B-LT signature leans on: a root and an intermediate CA, a signer's
// certificate from the intermediate, a time-stamp authority under a root
// of its own, and one HTTP server that is at once their OCSP responder
// (a real one, answering with golang.org/x/crypto/ocsp.CreateResponse,
// through a delegated responder certificate for the intermediate), their
// CRL distribution point (CRLs made by x509.CreateRevocationList on each
// request), the CA issuers URL of the authority's root and the RFC 3161
// authority itself. Certificates can be revoked at a chosen time, the
// OCSP responder switched off so that CRLs are used, and the server shut
// down, as a verifier years later finds it.
package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// PKI is the test infrastructure; its server runs until the test ends or
// Close.
type PKI struct {
	Server *httptest.Server
	// TSAURL is the time-stamp authority's URL.
	TSAURL string

	Root, Intermediate, Responder *x509.Certificate
	// SignerCert and SignerKey are the signing identity; Chain is
	// SignerCert, Intermediate, Root.
	SignerCert *x509.Certificate
	SignerKey  crypto.Signer
	Chain      []*x509.Certificate
	// TSARoot issued TSACert, which names a CRL and a CA issuers URL but
	// no OCSP responder.
	TSARoot, TSACert *x509.Certificate

	// OCSPDown makes the OCSP responder answer HTTP 503, so that clients
	// fall back to the CRLs.
	OCSPDown atomic.Bool
	// OCSPRequests and CRLRequests count what was asked.
	OCSPRequests, CRLRequests atomic.Int64

	keys    map[*x509.Certificate]crypto.Signer
	mu      sync.Mutex
	revoked map[string]time.Time // by issuer subject + serial
	serial  int64
}

// New starts the server and issues the certificates, valid from an hour
// ago for a year.
func New(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{keys: map[*x509.Certificate]crypto.Signer{}, revoked: map[string]time.Time{}, serial: 100}
	mux := http.NewServeMux()
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	u := p.Server.URL
	p.TSAURL = u + "/tsa"

	start := time.Now().Add(-time.Hour)
	end := start.AddDate(1, 0, 0)
	ca := func(name string, parent *x509.Certificate, extra func(*x509.Certificate)) *x509.Certificate {
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name, Organization: []string{"Sohoa Test PKI"}},
			NotBefore: start, NotAfter: end, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		if extra != nil {
			extra(tmpl)
		}
		return p.issue(t, tmpl, parent)
	}
	p.Root = ca("Sohoa Test Root CA", nil, nil)
	p.Intermediate = ca("Sohoa Test Issuing CA", p.Root, func(c *x509.Certificate) {
		c.MaxPathLenZero = true
		c.OCSPServer = []string{u + "/ocsp/root"}
		c.CRLDistributionPoints = []string{u + "/crl/root.crl"}
	})
	noCheck := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}, Value: []byte{5, 0}}
	p.Responder = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Sohoa Test OCSP Responder"},
		NotBefore: start, NotAfter: end, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, ExtraExtensions: []pkix.Extension{noCheck}}, p.Intermediate)
	p.SignerCert = p.issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Nguyễn Văn Ký", Organization: []string{"Trung tâm Thử nghiệm"}, Country: []string{"VN"}},
		NotBefore: start, NotAfter: end, BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		OCSPServer:            []string{u + "/ocsp/intermediate"},
		CRLDistributionPoints: []string{u + "/crl/intermediate.crl"},
	}, p.Intermediate)
	p.SignerKey = p.key(p.SignerCert)
	p.Chain = []*x509.Certificate{p.SignerCert, p.Intermediate, p.Root}

	p.TSARoot = ca("Sohoa Test TSA Root", nil, nil)
	// RFC 3161 2.3: the only extended key usage, timeStamping, critical.
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	p.TSACert = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Sohoa Test TSA"},
		NotBefore: start, NotAfter: end, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions:       []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
		CRLDistributionPoints: []string{u + "/crl/tsaroot.crl"},
		IssuingCertificateURL: []string{u + "/ca/tsaroot.cer"},
	}, p.TSARoot)

	mux.HandleFunc("POST /ocsp/root", p.ocspHandler(p.Root, p.Root))
	mux.HandleFunc("POST /ocsp/intermediate", p.ocspHandler(p.Intermediate, p.Responder))
	mux.HandleFunc("GET /crl/root.crl", p.crlHandler(p.Root))
	mux.HandleFunc("GET /crl/intermediate.crl", p.crlHandler(p.Intermediate))
	mux.HandleFunc("GET /crl/tsaroot.crl", p.crlHandler(p.TSARoot))
	mux.HandleFunc("GET /ca/tsaroot.cer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(p.TSARoot.Raw)
	})
	mux.HandleFunc("POST /tsa", p.tsaHandler)
	return p
}

// Issue signs tmpl, its serial number set here, with parent's key (one
// of this PKI's certificates; self-signed when parent is nil) for a new
// P-256 key, and returns the certificate and its key.
func (p *PKI) Issue(t testing.TB, tmpl, parent *x509.Certificate) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	c := p.issue(t, tmpl, parent)
	return c, p.key(c)
}

func (p *PKI) key(c *x509.Certificate) crypto.Signer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[c]
}

func (p *PKI) issue(t testing.TB, tmpl, parent *x509.Certificate) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	p.mu.Unlock()
	parentKey := crypto.Signer(key)
	if parent == nil {
		parent = tmpl
	} else {
		parentKey = p.key(parent)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.keys[c] = key
	p.mu.Unlock()
	return c
}

// Revoke records c as revoked at the given time, for the OCSP responder
// and the CRLs from now on.
func (p *PKI) Revoke(c *x509.Certificate, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked[string(c.RawIssuer)+c.SerialNumber.String()] = at
}

func (p *PKI) revokedAt(issuer *x509.Certificate, serial *big.Int) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.revoked[string(issuer.RawSubject)+serial.String()]
	return at, ok
}

// Roots is a pool of the two roots.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	pool.AddCert(p.TSARoot)
	return pool
}

// WriteRoots writes the two roots as PEM files into dir and returns their
// paths, for tools that read trust anchors from files.
func (p *PKI) WriteRoots(t testing.TB, dir string) (root, tsaRoot string) {
	t.Helper()
	write := func(name string, c *x509.Certificate) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return write("pki-root.pem", p.Root), write("pki-tsa-root.pem", p.TSARoot)
}

func (p *PKI) ocspHandler(issuer, responder *x509.Certificate) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.OCSPRequests.Add(1)
		if p.OCSPDown.Load() {
			http.Error(w, "responder down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			w.Write(ocsp.MalformedRequestErrorResponse)
			return
		}
		now := time.Now()
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
			ThisUpdate: now, NextUpdate: now.Add(time.Hour), IssuerHash: req.HashAlgorithm}
		if at, ok := p.revokedAt(issuer, req.SerialNumber); ok {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
		}
		if responder != issuer {
			tmpl.Certificate = responder
		}
		resp, err := ocsp.CreateResponse(issuer, responder, tmpl, p.key(responder))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	}
}

func (p *PKI) crlHandler(issuer *x509.Certificate) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.CRLRequests.Add(1)
		p.mu.Lock()
		var entries []x509.RevocationListEntry
		for k, at := range p.revoked {
			if len(k) > len(issuer.RawSubject) && k[:len(issuer.RawSubject)] == string(issuer.RawSubject) {
				n, _ := new(big.Int).SetString(k[len(issuer.RawSubject):], 10)
				entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at})
			}
		}
		p.mu.Unlock()
		now := time.Now()
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
			Number: big.NewInt(now.UnixNano()), ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour),
			RevokedCertificateEntries: entries,
		}, issuer, p.key(issuer))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(der)
	}
}

func (p *PKI) tsaHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
		Time: time.Now().UTC(), Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
		Accuracy: time.Second, AddTSACertificate: req.Certificates}
	resp, err := ts.CreateResponseWithOpts(p.TSACert, p.key(p.TSACert), crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}
