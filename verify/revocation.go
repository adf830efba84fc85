package verify

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/sign"
)

// Long-term validation (PAdES B-LT): whether a certificate was revoked is
// read from the document's own DSS (sign/dss.go writes it), not from the
// network, so the answer is the same years later, after the responders
// are gone. A certificate counts as unrevoked at a time t when an OCSP
// response or a CRL signed by its issuer (or, for OCSP, by a responder
// the issuer delegated to) says so: issued at or after t, or current at
// t (thisUpdate ≤ t ≤ nextUpdate). One revoked later than t still
// validates the signature, provided something other than the signer
// proves the signature existed at t: a time-stamp. Revoked at or before
// t, the signature is invalid.

// Revocation is what the DSS says of one certificate of a chain.
type Revocation struct {
	Certificate string `json:"certificate"`
	// Source is "OCSP" or "CRL"; empty when no data applies.
	Source string `json:"source,omitempty"`
	// Status is "good" (not revoked at CheckedAt), "revoked later" (revoked
	// after it, so still valid when that time is proven), "revoked"
	// (revoked at or before it: invalid), "unknown" (the responder does
	// not know the certificate), "stale" (only data issued before
	// CheckedAt and no longer current then) or "missing" (none, or no
	// issuer certificate to check it with).
	Status string `json:"status"`
	// CheckedAt is the time the status is judged at.
	CheckedAt time.Time `json:"checkedAt"`
	// IssuedAt is the OCSP response's or CRL's thisUpdate.
	IssuedAt  *time.Time `json:"issuedAt,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Detail    string     `json:"detail,omitempty"`
}

// clockSkew is how much earlier than the checked time a response may be
// issued and still count, for clocks of the authority and the responder
// that differ.
const clockSkew = time.Minute

// maxDSSItem bounds one decoded certificate, OCSP response or CRL.
const maxDSSItem = 32 << 20

// validationStore is the DSS's content, parsed.
type validationStore struct {
	present bool
	certs   []*x509.Certificate
	ocsps   [][]byte
	crls    []*x509.RevocationList
	vri     map[string]bool // keys, upper case
}

// readValidationStore reads the DSS the catalog points to; a DSS that is
// broken is a problem, and its readable parts still count.
func readValidationStore(ctx *model.Context, r *Report) *validationStore {
	st := &validationStore{vri: map[string]bool{}}
	if ctx == nil {
		return st
	}
	cat, err := ctx.XRefTable.Catalog()
	if err != nil {
		return st
	}
	obj, found := cat.Find("DSS")
	if !found {
		return st
	}
	dss, err := ctx.XRefTable.DereferenceDict(obj)
	if err != nil || dss == nil {
		r.problem("the document security store (DSS) could not be read: %v", err)
		return st
	}
	st.present = true
	items := func(key string, each func([]byte) error) {
		o, found := dss.Find(key)
		if !found {
			return
		}
		arr, err := ctx.XRefTable.DereferenceArray(o)
		if err != nil {
			r.problem("the DSS's /%s could not be read: %v", key, err)
			return
		}
		for i, e := range arr {
			sd, _, err := ctx.XRefTable.DereferenceStreamDict(e)
			if err == nil && sd == nil {
				err = fmt.Errorf("not a stream")
			}
			if err == nil {
				err = sd.DecodeWithLimit(maxDSSItem)
			}
			if err == nil {
				err = each(sd.Content)
			}
			if err != nil {
				r.problem("the DSS's /%s entry %d could not be read: %v", key, i+1, err)
			}
		}
	}
	items("Certs", func(b []byte) error {
		c, err := x509.ParseCertificate(b)
		if err == nil {
			st.certs = append(st.certs, c)
		}
		return err
	})
	items("OCSPs", func(b []byte) error {
		st.ocsps = append(st.ocsps, bytes.Clone(b))
		return nil
	})
	items("CRLs", func(b []byte) error {
		rl, err := x509.ParseRevocationList(b)
		if err == nil {
			st.crls = append(st.crls, rl)
		}
		return err
	})
	if o, found := dss.Find("VRI"); found {
		if vri, err := ctx.XRefTable.DereferenceDict(o); err == nil {
			for k := range vri {
				st.vri[strings.ToUpper(k)] = true
			}
		}
	}
	return st
}

// chainOf follows issuers from cert through pool up to a self-signed
// certificate, as far as they are there.
func chainOf(cert *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	out := []*x509.Certificate{cert}
	for c := cert; len(out) < 10 && !selfSigned(c); {
		next := issuerIn(c, pool)
		if next == nil {
			break
		}
		out = append(out, next)
		c = next
	}
	return out
}

func issuerIn(c *x509.Certificate, pool []*x509.Certificate) *x509.Certificate {
	for _, p := range pool {
		if bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
			return p
		}
	}
	return nil
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// checkChain judges every certificate of chain below its root at time at.
func (st *validationStore) checkChain(chain []*x509.Certificate, at time.Time) []Revocation {
	var out []Revocation
	for i, c := range chain {
		if selfSigned(c) {
			break
		}
		if i+1 == len(chain) {
			out = append(out, Revocation{Certificate: c.Subject.String(), Status: "missing", CheckedAt: at,
				Detail: "the certificate that issued it is neither in the signature nor in the DSS"})
			break
		}
		out = append(out, st.check(c, chain[i+1], at))
	}
	return out
}

// check is what the store says of cert, issued by issuer, at time at.
func (st *validationStore) check(cert, issuer *x509.Certificate, at time.Time) Revocation {
	rev := Revocation{Certificate: cert.Subject.String(), Status: "missing", CheckedAt: at}
	type answer struct {
		source                        string
		thisUpdate, nextUpdate, revAt time.Time
		revoked, unknown              bool
	}
	var answers []answer
	for _, raw := range st.ocsps {
		resp, err := ocsp.ParseResponseForCert(raw, cert, issuer)
		if err != nil || sign.CheckResponder(resp, issuer) != nil {
			continue
		}
		answers = append(answers, answer{source: "OCSP", thisUpdate: resp.ThisUpdate, nextUpdate: resp.NextUpdate,
			revAt: resp.RevokedAt, revoked: resp.Status == ocsp.Revoked, unknown: resp.Status == ocsp.Unknown})
	}
	for _, rl := range st.crls {
		if !bytes.Equal(rl.RawIssuer, cert.RawIssuer) || rl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		a := answer{source: "CRL", thisUpdate: rl.ThisUpdate, nextUpdate: rl.NextUpdate}
		for _, e := range rl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				a.revoked, a.revAt = true, e.RevocationTime
			}
		}
		answers = append(answers, a)
	}
	set := func(a answer, status string) Revocation {
		rev.Source, rev.Status = a.source, status
		t := a.thisUpdate
		rev.IssuedAt = &t
		if a.revoked {
			r := a.revAt
			rev.RevokedAt = &r
		}
		return rev
	}
	// A revocation at or before the time decides, whatever else says.
	for _, a := range answers {
		if a.revoked && !a.revAt.After(at) {
			return set(a, "revoked")
		}
	}
	covers := func(a answer) bool {
		return !a.thisUpdate.Before(at.Add(-clockSkew)) ||
			!a.nextUpdate.IsZero() && !a.thisUpdate.After(at) && !at.After(a.nextUpdate)
	}
	for _, a := range answers {
		if a.revoked && covers(a) {
			return set(a, "revoked later")
		}
	}
	for _, a := range answers {
		if !a.revoked && !a.unknown && covers(a) {
			return set(a, "good")
		}
	}
	for _, a := range answers {
		if a.unknown {
			return set(a, "unknown")
		}
	}
	if len(answers) > 0 {
		r := set(answers[0], "stale")
		r.Detail = "every OCSP response and CRL for it was issued before the time it is checked at and had expired by then"
		return r
	}
	rev.Detail = "the DSS has no OCSP response or CRL for it from its issuer"
	return rev
}

// complete says whether every certificate has a decided status, as B-LT
// requires.
func complete(revs []Revocation) bool {
	for _, r := range revs {
		switch r.Status {
		case "good", "revoked later", "revoked":
		default:
			return false
		}
	}
	return len(revs) > 0
}
