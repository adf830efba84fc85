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

// sigCheck is one signature or document time-stamp while the file is
// checked: what the report shows, and what the revocation check needs.
type sigCheck struct {
	br  [4]int
	sig *Signature         // a signature, or
	dts *DocumentTimestamp // a document time-stamp
	// For a signature: the signer's certificate, the certificates in the
	// CMS, and the time-stamp's certificates and time when it verifies.
	cert      *x509.Certificate
	certs     []*x509.Certificate
	tsaCerts  []*x509.Certificate
	tsTime    time.Time
	tsProven  bool // the time-stamp's time may stand for the signing time
	cryptoOK  bool // the CMS verifies and follows the baseline profile
	validData bool // a DSS update follows before the next seal
}

func (c *sigCheck) end() int { return c.br[2] + c.br[3] }

// checkSignatures finds every /ByteRange in the raw bytes, checks the
// signature or document time-stamp it belongs to, what the updates after
// each changed, and the revocation of the certificates from the DSS.
func checkSignatures(pdf []byte, store *validationStore, opt Options, r *Report) {
	var checks []*sigCheck
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
		if isDocTimestamp(pdf, br) {
			checks = append(checks, checkDocTimestamp(pdf, br, opt, r))
		} else {
			checks = append(checks, checkSignature(pdf, br, opt, r))
		}
	}
	// In the order they were made: each revision ends later.
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].end() < checks[j].end() })
	defer func() {
		for _, c := range checks {
			if c.sig != nil {
				r.Signatures = append(r.Signatures, *c.sig)
			} else {
				r.DocumentTimestamps = append(r.DocumentTimestamps, *c.dts)
			}
		}
	}()
	nsigs := 0
	for _, c := range checks {
		if c.sig != nil {
			nsigs++
		}
	}
	if nsigs == 0 {
		r.problem("the file is not signed")
		return
	}

	for i, c := range checks {
		end := c.end()
		whole := c.br[2]+c.br[3] == len(pdf) && c.br[0] == 0
		if whole || end > len(pdf) || end <= 0 {
			continue
		}
		what := "the document time-stamp"
		if c.sig != nil {
			what = fmt.Sprintf("signature %d", sigNumber(checks, i))
		}
		to := len(pdf)
		if i+1 < len(checks) {
			to = min(len(pdf), checks[i+1].end())
		}
		rev := changesBetween(pdf, end, to)
		c.validData = rev.validationData
		if c.sig != nil {
			c.sig.ChangesAfter = rev.changes
		} else {
			c.dts.ChangesAfter = rev.changes
		}
		for _, b := range rev.bad {
			r.problem("after %s was made, %s", what, b)
		}
		// After the last seal only validation data may follow: the DSS
		// that makes a signature B-LT is not itself signed.
		if i == len(checks)-1 {
			tail := bytes.TrimRight(pdf[end:], "\r\n")
			if !rev.validationData || len(rev.bad) > 0 || !bytes.HasSuffix(tail, []byte("%%EOF")) {
				if c.sig != nil {
					r.problem("the last signature does not cover the whole file: %d bytes were added after it was signed", len(pdf)-end)
				} else {
					r.problem("the last document time-stamp does not cover the whole file: %d bytes were added after it", len(pdf)-end)
				}
			}
		}
	}
	judgeRevocation(checks, store, opt, r)
	levels(checks)
}

// sigNumber is the 1-based number of checks[i] among the signatures.
func sigNumber(checks []*sigCheck, i int) int {
	n := 0
	for _, c := range checks[:i+1] {
		if c.sig != nil {
			n++
		}
	}
	return n
}

// judgeRevocation checks, when the file has a DSS, every certificate of
// each signer's chain at the time the signature is proven to have
// existed, and of its time-stamp authority's at the time-stamp's time.
func judgeRevocation(checks []*sigCheck, store *validationStore, opt Options, r *Report) {
	if !store.present {
		return
	}
	for i, c := range checks {
		s := c.sig
		if s == nil || c.cert == nil {
			continue
		}
		at, proof := c.tsTime, "time-stamped"
		if !c.tsProven {
			// A later document time-stamp proves the signature existed
			// by its time.
			proof = ""
			for _, d := range checks[i+1:] {
				if d.dts != nil && d.dts.ImprintMatches && (d.dts.Trusted == nil || *d.dts.Trusted) {
					at, proof = d.dts.Time, "covered by a document time-stamp"
					break
				}
			}
		}
		proven := proof != ""
		if !proven {
			switch {
			case !opt.Now.IsZero():
				at = opt.Now
			case s.SigningTime != nil:
				at = *s.SigningTime
			default:
				at = time.Now()
			}
		}
		pool := append(append(append([]*x509.Certificate(nil), c.certs...), store.certs...), c.tsaCerts...)
		revs := store.checkChain(chainOf(c.cert, pool), at)
		for j := range revs {
			rv := &revs[j]
			switch rv.Status {
			case "revoked":
				s.Valid = false
				if proven {
					r.problem("the certificate %q was revoked at %s, before the signature was %s at %s", rv.Certificate, fmtTime(*rv.RevokedAt), proof, fmtTime(at))
				} else {
					r.problem("the certificate %q was revoked at %s, before the claimed signing time %s", rv.Certificate, fmtTime(*rv.RevokedAt), fmtTime(at))
				}
			case "revoked later":
				if !proven {
					r.problem("the certificate %q was revoked at %s and no time-stamp proves the signature was made before that", rv.Certificate, fmtTime(*rv.RevokedAt))
				}
			case "unknown":
				r.problem("the OCSP responder in the DSS does not know the certificate %q", rv.Certificate)
			}
		}
		if len(c.tsaCerts) > 0 {
			tsaPool := append(append([]*x509.Certificate(nil), c.tsaCerts...), store.certs...)
			tsaRevs := store.checkChain(chainOf(c.tsaCerts[0], tsaPool), c.tsTime)
			for _, rv := range tsaRevs {
				if rv.Status == "revoked" || rv.Status == "unknown" {
					r.problem("the time-stamp authority's certificate %q is %s at the time-stamp's time %s", rv.Certificate, rv.Status, fmtTime(c.tsTime))
				}
			}
			revs = append(revs, tsaRevs...)
		}
		s.Revocation = revs
		if proven {
			s.CheckedAt = &at
		}
	}
}

// levels says which PAdES baseline level each signature reaches: B-B when
// its CMS verifies and follows the profile, B-T with a time-stamp over
// its value, B-LT when a DSS after it holds a decided status for every
// certificate of its chain and of its authority's, B-LTA when a document
// time-stamp follows that DSS.
func levels(checks []*sigCheck) {
	for i, c := range checks {
		s := c.sig
		if s == nil || !c.cryptoOK {
			continue
		}
		s.Level = "B-B"
		if s.Timestamp == nil || !s.Timestamp.ImprintMatches || len(c.tsaCerts) == 0 {
			continue
		}
		s.Level = "B-T"
		if !complete(s.Revocation) {
			continue
		}
		dss := false
		for _, d := range checks[i:] {
			dss = dss || d.validData
			if dss {
				break
			}
		}
		if !dss {
			continue
		}
		s.Level = "B-LT"
		seenDSS := false
		for _, d := range checks[i:] {
			if d.dts != nil && seenDSS && d.dts.ImprintMatches {
				s.Level = "B-LTA"
				break
			}
			seenDSS = seenDSS || d.validData
		}
	}
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// isDocTimestamp says whether the dictionary around br is a document
// time-stamp's (ISO 32000-2 12.8.5).
func isDocTimestamp(pdf []byte, br [4]int) bool {
	if br[1] <= 0 || br[1] > len(pdf) || br[2] > len(pdf) || br[2] < 0 || br[3] < 0 {
		return false
	}
	dict := sigDict(pdf, br)
	m := reSubFilter.FindSubmatch(dict)
	return m != nil && string(m[1]) == "ETSI.RFC3161" || bytes.Contains(dict, []byte("/Type /DocTimeStamp"))
}

// checkDocTimestamp checks a document time-stamp: an RFC 3161 token in
// /Contents whose imprint is the hash of the byte range.
func checkDocTimestamp(pdf []byte, br [4]int, opt Options, r *Report) *sigCheck {
	d := &DocumentTimestamp{ByteRange: br}
	c := &sigCheck{br: br, dts: d}
	if !rangeFits(pdf, br) {
		r.problem("the document time-stamp's byte range %v does not fit the file: it was damaged or altered", br)
		return c
	}
	d.CoversWholeFile = br[2]+br[3] == len(pdf)
	der, err := contentsDER(pdf, br)
	if err != nil {
		r.problem("the document time-stamp's value %v", err)
		return c
	}
	ts, err := timestamp.Parse(der)
	if err != nil {
		r.problem("the document time-stamp does not verify: %v", err)
		return c
	}
	d.Time = ts.Time
	if len(ts.Certificates) > 0 {
		d.TSA = ts.Certificates[0].Subject.String()
	} else {
		r.problem("the document time-stamp carries no certificate, so its signature cannot be checked")
	}
	if ts.HashAlgorithm.Available() {
		h := ts.HashAlgorithm.New()
		h.Write(pdf[:br[1]])
		h.Write(pdf[br[2] : br[2]+br[3]])
		d.ImprintMatches = bytes.Equal(h.Sum(nil), ts.HashedMessage)
	}
	if !d.ImprintMatches {
		r.problem("the document time-stamp is not over the file as it was when time-stamped: it was changed")
	}
	if opt.Roots != nil && len(ts.Certificates) > 0 {
		trusted := tsaTrusted(ts, opt) == nil
		d.Trusted = &trusted
		if !trusted {
			r.problem("the document time-stamp's authority %q is not trusted: %v", d.TSA, tsaTrusted(ts, opt))
		}
	}
	return c
}

// rangeFits says whether br is a byte range of pdf with a /Contents hole.
func rangeFits(pdf []byte, br [4]int) bool {
	n := len(pdf)
	return !(br[0] != 0 || br[1] <= 0 || br[2] <= br[1]+1 || br[3] < 0 || br[1] > n || br[2] > n || br[2]+br[3] > n ||
		pdf[br[1]] != '<' || pdf[br[2]-1] != '>')
}

// contentsDER decodes the hex /Contents and cuts the zero padding after
// the DER value.
func contentsDER(pdf []byte, br [4]int) ([]byte, error) {
	hexCMS := pdf[br[1]+1 : br[2]-1]
	der := make([]byte, hex.DecodedLen(len(hexCMS)))
	if _, err := hex.Decode(der, hexCMS); err != nil {
		return nil, fmt.Errorf("is not hexadecimal: %v", err)
	}
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return nil, fmt.Errorf("is not a CMS structure: %v", err)
	}
	return outer.FullBytes, nil
}

func checkSignature(pdf []byte, br [4]int, opt Options, r *Report) *sigCheck {
	s := &Signature{ByteRange: br, Chain: []string{}}
	c := &sigCheck{br: br, sig: s}
	if !rangeFits(pdf, br) {
		r.problem("the signature's byte range %v does not fit the file: it was damaged or altered", br)
		return c
	}
	s.CoversWholeFile = br[2]+br[3] == len(pdf)

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
	der, err := contentsDER(pdf, br)
	if err != nil {
		r.problem("the signature value %v", err)
		return c
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		r.problem("the signature value is not a CMS structure: %v", err)
		return c
	}
	if len(p7.Signers) != 1 {
		r.problem("the CMS has %d signers, want 1", len(p7.Signers))
		return c
	}
	si := p7.Signers[0]
	cert, err := pkcs7.GetCertFromCertsByIssuerAndSerial(p7.Certificates, si.IssuerAndSerialNumber)
	if err != nil || cert == nil {
		r.problem("the signer's certificate is not in the signature")
		return c
	}
	c.cert, c.certs = cert, p7.Certificates
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
	c.cryptoOK = checkProfile(si, cert, r) && s.Valid

	if tok := unsignedAttr(si, sign.OIDSignatureTimeStampToken); tok != nil {
		var ts *timestamp.Timestamp
		s.Timestamp, ts = checkTimestamp(tok, si.EncryptedDigest, opt, r)
		if ts != nil && s.Timestamp.ImprintMatches && len(ts.Certificates) > 0 {
			c.tsaCerts = signerFirst(ts)
			c.tsTime = ts.Time
			// Without roots trust is not judged, so a token that verifies
			// against its own certificate stands for the time.
			c.tsProven = s.Timestamp.Trusted == nil || *s.Timestamp.Trusted
		}
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
	return c
}

// checkProfile reports what PAdES baseline forbids or requires of the
// signed attributes.
func checkProfile(si pkcs7.SignerInfo, cert *x509.Certificate, r *Report) bool {
	ok := true
	var scv2 []byte
	for _, a := range si.AuthenticatedAttributes {
		switch {
		case a.Type.Equal(oidSigningTime):
			r.problem("the CMS has a signing-time attribute, which PAdES baseline forbids")
			ok = false
		case a.Type.Equal(sign.OIDSigningCertificateV2):
			scv2 = a.Value.Bytes
		}
	}
	if scv2 == nil {
		r.problem("the CMS has no signing-certificate-v2 attribute (PAdES baseline requires it)")
		return false
	}
	var v sign.SigningCertificateV2
	h := sha256.Sum256(cert.Raw)
	if _, err := asn1.Unmarshal(scv2, &v); err != nil || len(v.Certs) == 0 || !bytes.Equal(v.Certs[0].CertHash, h[:]) {
		r.problem("the signing-certificate-v2 attribute does not name the signer's certificate")
		return false
	}
	return ok
}

func checkTimestamp(tok, sigValue []byte, opt Options, r *Report) (*Timestamp, *timestamp.Timestamp) {
	ts, err := timestamp.Parse(tok)
	if err != nil {
		r.problem("the signature time-stamp does not verify: %v", err)
		return nil, nil
	}
	t := &Timestamp{Time: ts.Time}
	if len(ts.Certificates) > 0 {
		t.TSA = signerFirst(ts)[0].Subject.String()
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
		err := tsaTrusted(ts, opt)
		trusted := err == nil
		t.Trusted = &trusted
		if !trusted {
			r.problem("the time-stamp authority %q is not trusted: %v", t.TSA, err)
		}
	}
	return t, ts
}

// tsaTrusted checks the token's authority against the roots at the
// token's time, for time-stamping.
func tsaTrusted(ts *timestamp.Timestamp, opt Options) error {
	certs := signerFirst(ts)
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: opt.Roots, Intermediates: inter,
		CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	return err
}

// signerFirst orders a token's certificates with the authority's first,
// the one its SignerInfo names.
func signerFirst(ts *timestamp.Timestamp) []*x509.Certificate {
	out := append([]*x509.Certificate(nil), ts.Certificates...)
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil || len(p7.Signers) != 1 {
		return out
	}
	c, err := pkcs7.GetCertFromCertsByIssuerAndSerial(p7.Certificates, p7.Signers[0].IssuerAndSerialNumber)
	if err != nil || c == nil {
		return out
	}
	for i := range out {
		if out[i].Equal(c) {
			out[0], out[i] = out[i], out[0]
		}
	}
	return out
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
