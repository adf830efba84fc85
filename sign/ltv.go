package sign

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/internal/redact"
)

// Long-term validation (PAdES B-LT) needs, inside the file, what a
// verifier years later cannot fetch: every certificate from the signer's
// (and the time-stamp authority's) up to the root, and for each one below
// the root a proof that it was not revoked when the signature was made,
// an OCSP response or a CRL signed by its issuer. They are fetched here,
// at signing, from the URLs the certificates name (AIA OCSP, CRL
// distribution points, and AIA CA issuers for an issuer the chain lacks),
// each fetch bounded in time and size, and checked before they are kept:
// a response that does not verify is no proof.

// Errors of long-term validation that callers act on.
var (
	// ErrRevocation: a certificate's revocation status could not be had
	// from any source it names, so the signature cannot reach B-LT.
	ErrRevocation = errors.New("revocation information")
	// ErrRevoked: a certificate of the signer's chain is revoked; nothing
	// is signed with it.
	ErrRevoked = errors.New("certificate revoked")
)

// Bounds on what a revocation source may cost.
const (
	fetchTimeout = 15 * time.Second
	maxOCSPReply = 1 << 20
	maxCRL       = 32 << 20 // a large CA's CRL runs to megabytes
	maxCertReply = 1 << 20
)

// oidOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): a delegated
// OCSP responder's certificate whose own status is not checked.
var oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}

// validationData is what the DSS keeps for one signature, DER each.
type validationData struct {
	certs, ocsps, crls [][]byte
}

func (v *validationData) addCert(der []byte) { v.certs = appendNew(v.certs, der) }
func (v *validationData) addOCSP(der []byte) { v.ocsps = appendNew(v.ocsps, der) }
func (v *validationData) addCRL(der []byte)  { v.crls = appendNew(v.crls, der) }
func (v *validationData) merge(o *validationData) {
	for _, c := range o.certs {
		v.addCert(c)
	}
	for _, c := range o.ocsps {
		v.addOCSP(c)
	}
	for _, c := range o.crls {
		v.addCRL(c)
	}
}

func appendNew(list [][]byte, der []byte) [][]byte {
	for _, x := range list {
		if bytes.Equal(x, der) {
			return list
		}
	}
	return append(list, der)
}

// collector gathers validation data for chains, fetching each
// certificate's issuer and status once however many chains share it.
type collector struct {
	s *Signer
	// strict refuses a revoked certificate (signing with it) instead of
	// recording its revocation (extending a signed file).
	strict bool
	known  []*x509.Certificate        // candidate issuers
	status map[string]*validationData // by certificate DER: its issuer's and status's data
}

func (s *Signer) newCollector(strict bool) *collector {
	return &collector{s: s, strict: strict, status: map[string]*validationData{}}
}

// addChains gathers the data of every certificate in chains and returns
// it; chains[i][0] is a signer's or authority's certificate.
func (c *collector) addChains(ctx context.Context, chains ...[]*x509.Certificate) error {
	_, err := c.gather(ctx, chains...)
	return err
}

func (c *collector) gather(ctx context.Context, chains ...[]*x509.Certificate) (*validationData, error) {
	for _, ch := range chains {
		c.known = append(c.known, ch...)
	}
	vd := &validationData{}
	var errs []error
	for _, ch := range chains {
		for _, cert := range ch {
			if err := c.addCert(ctx, cert, vd, 0); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return vd, errors.Join(errs...)
}

// addCert adds cert, its status and its issuers' up to a self-signed
// root, to vd.
func (c *collector) addCert(ctx context.Context, cert *x509.Certificate, vd *validationData, depth int) error {
	vd.addCert(cert.Raw)
	if isSelfSigned(cert) || hasExtension(cert, oidOCSPNoCheck) {
		return nil
	}
	if depth > 8 {
		return fmt.Errorf("%w: the chain above %q is longer than 8 certificates", ErrRevocation, cert.Subject)
	}
	got, seen := c.status[string(cert.Raw)]
	if !seen {
		got = &validationData{}
		c.status[string(cert.Raw)] = got
		issuer, err := c.issuer(ctx, cert)
		if err == nil {
			got.addCert(issuer.Raw)
			err = c.revocation(ctx, cert, issuer, got)
		}
		if err != nil {
			c.status[string(cert.Raw)] = nil
			return err
		}
	}
	if got == nil { // failed before; the error was returned then
		return fmt.Errorf("%w for %q: see the error above", ErrRevocation, cert.Subject)
	}
	vd.merge(got)
	issuer, err := c.issuer(ctx, cert)
	if err != nil {
		return err
	}
	return c.addCert(ctx, issuer, vd, depth+1)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

// issuer finds cert's issuer among the known certificates, else at the
// CA issuers URLs cert names.
func (c *collector) issuer(ctx context.Context, cert *x509.Certificate) (*x509.Certificate, error) {
	for _, k := range c.known {
		if bytes.Equal(k.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(k) == nil {
			return k, nil
		}
	}
	var fails []string
	for _, u := range cert.IssuingCertificateURL {
		body, err := c.fetch(ctx, http.MethodGet, u, "", nil, maxCertReply)
		if err != nil {
			fails = append(fails, err.Error())
			continue
		}
		for _, k := range parseCerts(body) {
			if bytes.Equal(k.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(k) == nil {
				c.known = append(c.known, k)
				return k, nil
			}
		}
		fails = append(fails, fmt.Sprintf("CA issuers %s: no certificate that issued it", redact.URL(u)))
	}
	if len(fails) == 0 {
		fails = append(fails, "it is not in the chain and the certificate names no CA issuers URL")
	}
	return nil, fmt.Errorf("%w: issuer of %q: %s", ErrRevocation, cert.Subject, strings.Join(fails, "; "))
}

// parseCerts reads DER, PEM or a PKCS#7 certs-only bundle (.p7c), the
// forms CA issuers URLs serve.
func parseCerts(b []byte) []*x509.Certificate {
	if c, err := x509.ParseCertificate(b); err == nil {
		return []*x509.Certificate{c}
	}
	var out []*x509.Certificate
	for rest := b; ; {
		var bl *pem.Block
		bl, rest = pem.Decode(rest)
		if bl == nil {
			break
		}
		if c, err := x509.ParseCertificate(bl.Bytes); err == nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		if p7, err := pkcs7.Parse(b); err == nil {
			out = p7.Certificates
		}
	}
	return out
}

// revocation fetches cert's status, from its OCSP responders first and
// its CRLs after, and adds the first answer that verifies to vd.
func (c *collector) revocation(ctx context.Context, cert, issuer *x509.Certificate, vd *validationData) error {
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		return fmt.Errorf("%w: certificate %q names no OCSP responder and no CRL distribution point, so it cannot be shown unrevoked", ErrRevocation, cert.Subject)
	}
	now := c.s.now()
	var fails []string
	for _, u := range cert.OCSPServer {
		resp, err := c.fetchOCSP(ctx, u, cert, issuer, now)
		if err != nil {
			fails = append(fails, err.Error())
			continue
		}
		if resp.Status == ocsp.Revoked && c.strict {
			return fmt.Errorf("%w: %q was revoked at %s (OCSP %s)", ErrRevoked, cert.Subject, resp.RevokedAt.UTC().Format(time.RFC3339), redact.URL(u))
		}
		vd.addOCSP(resp.Raw)
		if resp.Certificate != nil {
			vd.addCert(resp.Certificate.Raw)
		}
		return nil
	}
	for _, u := range cert.CRLDistributionPoints {
		rl, revokedAt, err := c.fetchCRL(ctx, u, cert, issuer, now)
		if err != nil {
			fails = append(fails, err.Error())
			continue
		}
		if !revokedAt.IsZero() && c.strict {
			return fmt.Errorf("%w: %q was revoked at %s (CRL %s)", ErrRevoked, cert.Subject, revokedAt.UTC().Format(time.RFC3339), redact.URL(u))
		}
		vd.addCRL(rl.Raw)
		return nil
	}
	return fmt.Errorf("%w for %q: %s", ErrRevocation, cert.Subject, strings.Join(fails, "; "))
}

// fetchOCSP asks the responder at u for cert's status and checks the
// answer: signed by the issuer or by a responder the issuer delegated to,
// about this certificate, current, and good or revoked.
func (c *collector) fetchOCSP(ctx context.Context, u string, cert, issuer *x509.Certificate, now time.Time) (*ocsp.Response, error) {
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, fmt.Errorf("OCSP %s: make request: %v", redact.URL(u), err)
	}
	body, err := c.fetch(ctx, http.MethodPost, u, "application/ocsp-request", req, maxOCSPReply)
	if err != nil {
		return nil, fmt.Errorf("OCSP %s", err)
	}
	resp, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return nil, fmt.Errorf("OCSP %s: %v", redact.URL(u), err)
	}
	if err := CheckResponder(resp, issuer); err != nil {
		return nil, fmt.Errorf("OCSP %s: %v", redact.URL(u), err)
	}
	switch {
	case resp.Status == ocsp.Unknown:
		return nil, fmt.Errorf("OCSP %s: the responder does not know %q", redact.URL(u), cert.Subject)
	case !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate):
		return nil, fmt.Errorf("OCSP %s: the response expired at %s", redact.URL(u), resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	return resp, nil
}

// CheckResponder accepts an OCSP response signed by the issuer itself or
// by a certificate the issuer gave the OCSP-signing usage (RFC 6960 4.2.2.2);
// the library has checked the signatures, not the usage. Signing checks the
// answers it fetches with it, verify the answers a DSS holds.
func CheckResponder(resp *ocsp.Response, issuer *x509.Certificate) error {
	r := resp.Certificate
	if r == nil || bytes.Equal(r.Raw, issuer.Raw) {
		return nil
	}
	for _, u := range r.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			if resp.ProducedAt.Before(r.NotBefore) || resp.ProducedAt.After(r.NotAfter) {
				return fmt.Errorf("the responder's certificate %q was not valid when the response was produced", r.Subject)
			}
			return nil
		}
	}
	return fmt.Errorf("the response is signed by %q, which the issuer did not delegate OCSP signing to", r.Subject)
}

// fetchCRL downloads the CRL at u, checks it is the issuer's, signed by
// it and current, and returns it with cert's revocation time (zero when
// cert is not on it).
func (c *collector) fetchCRL(ctx context.Context, u string, cert, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, time.Time, error) {
	body, err := c.fetch(ctx, http.MethodGet, u, "", nil, maxCRL)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("CRL %s", err)
	}
	if bl, _ := pem.Decode(body); bl != nil && bl.Type == "X509 CRL" {
		body = bl.Bytes
	}
	rl, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("CRL %s: %v", redact.URL(u), err)
	}
	if !bytes.Equal(rl.RawIssuer, cert.RawIssuer) {
		return nil, time.Time{}, fmt.Errorf("CRL %s: issued by %q, not by the certificate's issuer", redact.URL(u), rl.Issuer)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return nil, time.Time{}, fmt.Errorf("CRL %s: signature: %v", redact.URL(u), err)
	}
	if !rl.NextUpdate.IsZero() && now.After(rl.NextUpdate) {
		return nil, time.Time{}, fmt.Errorf("CRL %s: expired at %s", redact.URL(u), rl.NextUpdate.UTC().Format(time.RFC3339))
	}
	for _, e := range rl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return rl, e.RevocationTime, nil
		}
	}
	return rl, time.Time{}, nil
}

// fetch sends one bounded request; its errors start with the redacted URL.
func (c *collector) fetch(ctx context.Context, method, u, contentType string, body []byte, limit int64) ([]byte, error) {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, fmt.Errorf("%s: only http and https sources are fetched", redact.URL(u))
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", redact.URL(u), redact.Error(err, u))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.s.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", redact.URL(u), redact.Error(err, u))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", redact.URL(u), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read reply: %v", redact.URL(u), redact.Error(err, u))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: reply larger than %d bytes", redact.URL(u), limit)
	}
	return b, nil
}

// tokenChain is the certificates of an RFC 3161 token, the authority's
// own first.
func tokenChain(token []byte) ([]*x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("time-stamp token: %w", err)
	}
	return signerFirst(p7)
}

// signerFirst orders a SignedData's certificates with its signer's first.
func signerFirst(p7 *pkcs7.PKCS7) ([]*x509.Certificate, error) {
	if len(p7.Signers) != 1 {
		return nil, fmt.Errorf("%d signers, want 1", len(p7.Signers))
	}
	c, err := pkcs7.GetCertFromCertsByIssuerAndSerial(p7.Certificates, p7.Signers[0].IssuerAndSerialNumber)
	if err != nil || c == nil {
		return nil, errors.New("the signer's certificate is not included")
	}
	out := []*x509.Certificate{c}
	for _, o := range p7.Certificates {
		if o != c {
			out = append(out, o)
		}
	}
	return out, nil
}

// vriKey is the key of a signature's entry in the DSS's /VRI: the
// uppercase hex SHA-1 of its /Contents string's bytes, padding included
// (ISO 32000-2 12.8.4.4).
func vriKey(contents []byte) string {
	return fmt.Sprintf("%X", sha1.Sum(contents))
}
