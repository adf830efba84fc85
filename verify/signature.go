package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/digitorus/timestamp"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"

	"github.com/sohoa/sohoa/sign"
)

var (
	reByteRange    = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
	reSubFilter    = regexp.MustCompile(`/SubFilter\s*/([A-Za-z0-9.#_-]+)`)
	oidSigningTime = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
)

// checkSignatures finds every /ByteRange in the raw bytes and checks the
// signature it belongs to.
func checkSignatures(pdf []byte, opt Options, r *Report) {
	for _, m := range reByteRange.FindAllSubmatchIndex(pdf, -1) {
		var br [4]int
		ok := true
		for i := range br {
			v, err := strconv.Atoi(string(pdf[m[2+2*i]:m[3+2*i]]))
			ok = ok && err == nil
			br[i] = v
		}
		if !ok {
			r.problem("a signature's byte range is not readable")
			continue
		}
		r.Signatures = append(r.Signatures, checkSignature(pdf, br, opt, r))
	}
	if len(r.Signatures) == 0 {
		r.problem("the file is not signed")
		return
	}
	// Signatures in the order they were made: each revision ends later.
	sort.SliceStable(r.Signatures, func(i, j int) bool {
		a, b := r.Signatures[i].ByteRange, r.Signatures[j].ByteRange
		return a[2]+a[3] < b[2]+b[3]
	})
	for i := range r.Signatures {
		s := &r.Signatures[i]
		end := s.ByteRange[2] + s.ByteRange[3]
		if s.CoversWholeFile || end > len(pdf) || end <= 0 {
			continue
		}
		if i == len(r.Signatures)-1 {
			r.problem("the last signature does not cover the whole file: %d bytes were added after it was signed", len(pdf)-end)
			continue
		}
		next := r.Signatures[i+1].ByteRange
		changes, bad := changesBetween(pdf, end, min(len(pdf), next[2]+next[3]))
		s.ChangesAfter = changes
		for _, b := range bad {
			r.problem("after signature %d was made, %s", i+1, b)
		}
	}
}

func checkSignature(pdf []byte, br [4]int, opt Options, r *Report) Signature {
	s := Signature{ByteRange: br, Chain: []string{}}
	n := len(pdf)
	if br[0] != 0 || br[1] <= 0 || br[2] <= br[1]+1 || br[3] < 0 || br[1] > n || br[2] > n || br[2]+br[3] > n ||
		pdf[br[1]] != '<' || pdf[br[2]-1] != '>' {
		r.problem("the signature's byte range %v does not fit the file: it was damaged or altered", br)
		return s
	}
	s.CoversWholeFile = br[2]+br[3] == n

	dict := sigDict(pdf, br)
	if m := reSubFilter.FindSubmatch(dict); m != nil {
		s.SubFilter = string(m[1])
	}
	if v, ok := dictString(dict, "M"); ok {
		if t, err := parsePDFDate(v); err == nil {
			s.SigningTime = &t
		} else {
			r.problem("the signing time %q is not a PDF date", v)
		}
	}
	s.Name, _ = dictString(dict, "Name")
	s.Reason, _ = dictString(dict, "Reason")
	s.Location, _ = dictString(dict, "Location")

	// The CMS is followed by the zero padding of the reserved space;
	// its own DER length says where it ends.
	hexCMS := pdf[br[1]+1 : br[2]-1]
	der := make([]byte, hex.DecodedLen(len(hexCMS)))
	if _, err := hex.Decode(der, hexCMS); err != nil {
		r.problem("the signature value is not hexadecimal: %v", err)
		return s
	}
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		r.problem("the signature value is not a CMS structure: %v", err)
		return s
	}
	p7, err := pkcs7.Parse(outer.FullBytes)
	if err != nil {
		r.problem("the signature value is not a CMS structure: %v", err)
		return s
	}
	if len(p7.Signers) != 1 {
		r.problem("the CMS has %d signers, want 1", len(p7.Signers))
		return s
	}
	si := p7.Signers[0]
	cert, err := pkcs7.GetCertFromCertsByIssuerAndSerial(p7.Certificates, si.IssuerAndSerialNumber)
	if err != nil || cert == nil {
		r.problem("the signer's certificate is not in the signature")
		return s
	}
	s.Signer = cert.Subject.String()
	s.Chain = chainSubjects(cert, p7.Certificates)

	content := make([]byte, 0, br[1]+br[3])
	content = append(content, pdf[:br[1]]...)
	content = append(content, pdf[br[2]:br[2]+br[3]]...)
	if err := pkcs7.CheckSignature(cert, si, content); err != nil {
		var mm *pkcs7.MessageDigestMismatchError
		if errors.As(err, &mm) || strings.Contains(err.Error(), "digest mismatch") {
			r.problem("the signed content was changed after signing (digest mismatch)")
		} else {
			r.problem("the signature does not verify: %v", err)
		}
	} else {
		s.Valid = true
	}
	checkProfile(si, cert, r)

	if tok := unsignedAttr(si, sign.OIDSignatureTimeStampToken); tok != nil {
		s.Timestamp = checkTimestamp(tok, si.EncryptedDigest, opt, r)
	}

	if opt.Roots != nil {
		at := opt.Now
		switch {
		// A time-stamp's time stands in for "now" only when its authority
		// is trusted: anyone can put a token in the unsigned attributes.
		case s.Timestamp != nil && s.Timestamp.ImprintMatches && s.Timestamp.Trusted != nil && *s.Timestamp.Trusted:
			at = s.Timestamp.Time
		case at.IsZero() && s.SigningTime != nil:
			at = *s.SigningTime
		case at.IsZero():
			at = time.Now()
		}
		_, err := pkcs7.VerifyCertChain(cert, p7.Certificates, opt.Roots, at)
		trusted := err == nil
		s.Trusted = &trusted
		if !trusted {
			r.problem("the signer's certificate %q is not trusted: %v", s.Signer, err)
		}
	}
	return s
}

// checkProfile reports what PAdES baseline forbids or requires of the
// signed attributes.
func checkProfile(si pkcs7.SignerInfo, cert *x509.Certificate, r *Report) {
	var scv2 []byte
	for _, a := range si.AuthenticatedAttributes {
		switch {
		case a.Type.Equal(oidSigningTime):
			r.problem("the CMS has a signing-time attribute, which PAdES baseline forbids")
		case a.Type.Equal(sign.OIDSigningCertificateV2):
			scv2 = a.Value.Bytes
		}
	}
	if scv2 == nil {
		r.problem("the CMS has no signing-certificate-v2 attribute (PAdES baseline requires it)")
		return
	}
	var v sign.SigningCertificateV2
	h := sha256.Sum256(cert.Raw)
	if _, err := asn1.Unmarshal(scv2, &v); err != nil || len(v.Certs) == 0 || !bytes.Equal(v.Certs[0].CertHash, h[:]) {
		r.problem("the signing-certificate-v2 attribute does not name the signer's certificate")
	}
}

func checkTimestamp(tok, sigValue []byte, opt Options, r *Report) *Timestamp {
	ts, err := timestamp.Parse(tok)
	if err != nil {
		r.problem("the signature time-stamp does not verify: %v", err)
		return nil
	}
	t := &Timestamp{Time: ts.Time}
	if len(ts.Certificates) > 0 {
		t.TSA = ts.Certificates[0].Subject.String()
	} else {
		// The parser checks a token's signature only against certificates
		// the token carries; without them nothing vouches for its time.
		r.problem("the time-stamp carries no certificate, so its signature cannot be checked")
	}
	h := sha256.Sum256(sigValue)
	t.ImprintMatches = bytes.Equal(ts.HashedMessage, h[:])
	if !t.ImprintMatches {
		r.problem("the time-stamp is not over this signature")
	}
	if opt.Roots != nil && len(ts.Certificates) > 0 {
		inter := x509.NewCertPool()
		for _, c := range ts.Certificates[1:] {
			inter.AddCert(c)
		}
		_, err := ts.Certificates[0].Verify(x509.VerifyOptions{Roots: opt.Roots, Intermediates: inter,
			CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
		trusted := err == nil
		t.Trusted = &trusted
		if !trusted {
			r.problem("the time-stamp authority %q is not trusted: %v", t.TSA, err)
		}
	}
	return t
}

func unsignedAttr(si pkcs7.SignerInfo, oid asn1.ObjectIdentifier) []byte {
	for _, a := range si.UnauthenticatedAttributes {
		if a.Type.Equal(oid) {
			return a.Value.Bytes
		}
	}
	return nil
}

// chainSubjects follows issuers from cert through certs.
func chainSubjects(cert *x509.Certificate, certs []*x509.Certificate) []string {
	out := []string{cert.Subject.String()}
	for c := cert; len(out) <= len(certs); {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			break
		}
		var next *x509.Certificate
		for _, p := range certs {
			if bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
				next = p
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next.Subject.String())
		c = next
	}
	return out
}

// sigDict returns the signature dictionary around the /Contents hole:
// from the "obj" before it to the "endobj" after it, hole left out.
func sigDict(pdf []byte, br [4]int) []byte {
	start := bytes.LastIndex(pdf[:br[1]], []byte(" obj"))
	if start < 0 {
		start = max(0, br[1]-4096)
	}
	rest := pdf[br[2]:min(len(pdf), br[2]+br[3])]
	end := bytes.Index(rest, []byte("endobj"))
	if end < 0 {
		end = min(len(rest), 4096)
	}
	return append(append([]byte{}, pdf[start:br[1]]...), rest[:end]...)
}

// dictString finds /key followed by a literal or hex string in dict and
// decodes it (PDFDocEncoding treated as Latin-1, UTF-16BE with BOM).
func dictString(dict []byte, key string) (string, bool) {
	m := regexp.MustCompile(`/` + key + `\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)`).FindSubmatch(dict)
	if m == nil {
		return "", false
	}
	tok := m[1]
	var raw []byte
	if tok[0] == '<' {
		h := strings.Join(strings.Fields(string(tok[1:len(tok)-1])), "")
		if len(h)%2 == 1 {
			h += "0"
		}
		raw, _ = hex.DecodeString(h)
	} else {
		raw = unescapeLiteral(tok[1 : len(tok)-1])
	}
	if len(raw) >= 2 && raw[0] == 0xFE && raw[1] == 0xFF {
		u := make([]uint16, 0, len(raw)/2)
		for i := 2; i+1 < len(raw); i += 2 {
			u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
		}
		return string(utf16.Decode(u)), true
	}
	rs := make([]rune, len(raw))
	for i, c := range raw {
		rs[i] = rune(c)
	}
	return string(rs), true
}

func unescapeLiteral(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch c := b[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			out = append(out, c)
		}
	}
	return out
}

var reDate = regexp.MustCompile(`^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz]|[+-]\d{2}'?\d{2}'?)?`)

// parsePDFDate reads a PDF date (ISO 32000-1 7.9.4).
func parsePDFDate(s string) (time.Time, error) {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("not a PDF date")
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		v, _ := strconv.Atoi(m[i])
		return v
	}
	loc := time.UTC
	if z := m[7]; z != "" && z != "Z" && z != "z" {
		d := strings.ReplaceAll(z[1:], "'", "")
		hh, _ := strconv.Atoi(d[:2])
		mm, _ := strconv.Atoi(d[2:])
		off := hh*3600 + mm*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	return time.Date(num(1, 0), time.Month(num(2, 1)), num(3, 1), num(4, 0), num(5, 0), num(6, 0), 0, loc), nil
}
