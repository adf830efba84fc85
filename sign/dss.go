package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// The Document Security Store (ISO 32000-2 12.8.4.3, ETSI EN 319 142-1
// 5.4) is a dictionary the catalog points to with /DSS: arrays of streams
// holding DER certificates (/Certs), OCSP responses (/OCSPs) and CRLs
// (/CRLs), and a /VRI dictionary that says, per signature, which of them
// validate it. It is written as one more incremental update after the
// signature, so the signed bytes do not change; a later update (another
// signer, a renewal) extends it, keeping every earlier entry.
//
// The streams are written unfiltered: DER hardly compresses, and a reader
// then needs nothing but the bytes.

var (
	reDSSRef   = regexp.MustCompile(`/DSS\s+(\d+)\s+(\d+)\s+R`)
	reVRIInner = regexp.MustCompile(`/VRI\s*<<((?:\s*/[0-9A-Fa-f]+\s+\d+\s+\d+\s+R)*)\s*>>`)
	reVRIRef   = regexp.MustCompile(`/VRI\s+(\d+)\s+(\d+)\s+R`)
	reVRIPair  = regexp.MustCompile(`/([0-9A-Fa-f]+)\s+(\d+)\s+(\d+)\s+R`)
	reLength   = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
	reSigRange = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
)

// sigValue is one signature or document time-stamp as the DSS needs it.
type sigValue struct {
	contents []byte // the /Contents string's bytes, padding included
	// chains are the certificate chains to validate, each leaf first: the
	// signer's and its time-stamp authority's, or a document
	// time-stamp's authority's.
	chains [][]*x509.Certificate
}

// AddValidationData appends to pdf, a file this package signed, an
// incremental update whose DSS holds the certificates and the current
// OCSP responses or CRLs of every signature and time-stamp in it,
// extending any DSS already there. It records a revocation rather than
// refusing it (that is what a verifier needs to know), and fails with
// ErrRevocation when a certificate's status cannot be had. It needs no
// key: a Signer with TSAURL or nothing set will do. Used after signing
// at B-LT, and to refresh an archived file's validation data before a
// new document time-stamp.
func (s *Signer) AddValidationData(ctx context.Context, in []byte) ([]byte, error) {
	sigs, err := signaturesIn(in)
	if err != nil {
		return nil, fmt.Errorf("sign: validation data: %w", err)
	}
	out, err := s.appendDSS(ctx, in, sigs, false)
	if err != nil {
		return nil, fmt.Errorf("sign: validation data: %w", err)
	}
	return out, nil
}

// AddDocumentTimestamp appends a document time-stamp (PAdES B-LTA): an
// incremental update with a /DocTimeStamp signature whose /Contents is
// the TSA's RFC 3161 token over the SHA-256 of everything else in the
// file. It needs TSAURL and no key.
func (s *Signer) AddDocumentTimestamp(ctx context.Context, in []byte) ([]byte, error) {
	if s.TSAURL == "" {
		return nil, fmt.Errorf("sign: document time-stamp: %w B-LTA needs a time-stamp authority", ErrLevel)
	}
	doc, err := parseDocument(in)
	if err != nil {
		return nil, fmt.Errorf("sign: document time-stamp: %w", err)
	}
	out, br, err := s.appendUpdate(doc, s.now(), true)
	if err != nil {
		return nil, fmt.Errorf("sign: document time-stamp: %w", err)
	}
	h := sha256.New()
	h.Write(out[:br[1]])
	h.Write(out[br[2]:])
	ts, err := s.fetchTimestampDigest(ctx, h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("sign: document time-stamp: %w", err)
	}
	if len(ts.RawToken) > ContentsSize {
		return nil, fmt.Errorf("sign: document time-stamp: token of %d bytes does not fit the %d reserved", len(ts.RawToken), ContentsSize)
	}
	hex.Encode(out[br[1]+1:], ts.RawToken)
	return out, nil
}

// signaturesIn finds every signature and document time-stamp in pdf by
// its /ByteRange and reads the certificates each needs validated.
func signaturesIn(data []byte) ([]sigValue, error) {
	var out []sigValue
	for _, m := range reSigRange.FindAllSubmatch(data, -1) {
		var br [4]int
		for i := range br {
			br[i], _ = strconv.Atoi(string(m[1+i]))
		}
		if br[1] <= 0 || br[2] <= br[1]+1 || br[2] > len(data) || data[br[1]] != '<' || data[br[2]-1] != '>' {
			return nil, fmt.Errorf("%w: a signature's byte range %v does not fit the file", ErrUnsupportedPDF, br)
		}
		contents := make([]byte, hex.DecodedLen(br[2]-br[1]-2))
		if _, err := hex.Decode(contents, data[br[1]+1:br[2]-1]); err != nil {
			return nil, fmt.Errorf("%w: a signature's /Contents is not hexadecimal", ErrUnsupportedPDF)
		}
		var der asn1.RawValue
		if _, err := asn1.Unmarshal(contents, &der); err != nil {
			return nil, fmt.Errorf("%w: a signature's /Contents is not DER: %v", ErrUnsupportedPDF, err)
		}
		p7, err := pkcs7.Parse(der.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: a signature's CMS: %v", ErrUnsupportedPDF, err)
		}
		chain, err := signerFirst(p7)
		if err != nil {
			return nil, fmt.Errorf("%w: a signature's CMS: %v", ErrUnsupportedPDF, err)
		}
		sv := sigValue{contents: contents, chains: [][]*x509.Certificate{chain}}
		// A document time-stamp is a token itself; a signature may carry
		// one in its unsigned attributes.
		for _, a := range p7.Signers[0].UnauthenticatedAttributes {
			if a.Type.Equal(OIDSignatureTimeStampToken) {
				tc, err := tokenChain(a.Value.Bytes)
				if err != nil {
					return nil, fmt.Errorf("%w: a signature's %v", ErrUnsupportedPDF, err)
				}
				sv.chains = append(sv.chains, tc)
			}
		}
		out = append(out, sv)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the file has no signature", ErrUnsupportedPDF)
	}
	return out, nil
}

// appendDSS gathers the validation data of sigs and appends the update
// that stores it. strict refuses a revoked certificate.
func (s *Signer) appendDSS(ctx context.Context, in []byte, sigs []sigValue, strict bool) ([]byte, error) {
	doc, err := parseDocument(in)
	if err != nil {
		return nil, err
	}
	c := s.newCollector(strict)
	vds := make([]*validationData, len(sigs))
	for i, sv := range sigs {
		if vds[i], err = c.gather(ctx, sv.chains...); err != nil {
			return nil, err
		}
	}
	return writeDSS(doc, sigs, vds, s.now())
}

// storedDSS is a DSS an earlier update wrote, as far as it is extended.
type storedDSS struct {
	certs, ocsps, crls []ref
	vri                map[string]ref
}

// readDSS reads the DSS the catalog points to, if any; a DSS in a form
// this package does not write (VRI entries inline, for one) is refused
// rather than half kept.
func (d *document) readDSS(catalog []byte) (*storedDSS, error) {
	st := &storedDSS{vri: map[string]ref{}}
	m := reDSSRef.FindSubmatch(catalog)
	if m == nil {
		if bytes.Contains(catalog, []byte("/DSS")) {
			return nil, fmt.Errorf("%w: the catalog's /DSS is not a reference", ErrUnsupportedPDF)
		}
		return st, nil
	}
	dss, err := d.dict(parseRef(m))
	if err != nil {
		return nil, fmt.Errorf("DSS: %w", err)
	}
	for _, a := range []struct {
		key string
		to  *[]ref
	}{{"Certs", &st.certs}, {"OCSPs", &st.ocsps}, {"CRLs", &st.crls}} {
		if am := regexp.MustCompile(`/` + a.key + `\s*\[([^\]]*)\]`).FindSubmatch(dss); am != nil {
			*a.to = refs(am[1])
		} else if bytes.Contains(dss, []byte("/"+a.key)) {
			return nil, fmt.Errorf("%w: the DSS's /%s is not an array", ErrUnsupportedPDF, a.key)
		}
	}
	var pairs []byte
	switch {
	case reVRIInner.Match(dss):
		pairs = reVRIInner.FindSubmatch(dss)[1]
	case reVRIRef.Match(dss):
		vri, err := d.dict(parseRef(reVRIRef.FindSubmatch(dss)))
		if err != nil {
			return nil, fmt.Errorf("DSS VRI: %w", err)
		}
		pairs = vri
	case bytes.Contains(dss, []byte("/VRI")):
		return nil, fmt.Errorf("%w: the DSS's /VRI is in a form this signer does not extend", ErrUnsupportedPDF)
	}
	for _, p := range reVRIPair.FindAllSubmatch(pairs, -1) {
		n, _ := strconv.Atoi(string(p[2]))
		g, _ := strconv.Atoi(string(p[3]))
		st.vri[strings.ToUpper(string(p[1]))] = ref{n, g}
	}
	return st, nil
}

// stream returns the data of an unfiltered stream object with a direct
// /Length, as this package writes them; ok is false for any other.
func (d *document) stream(r ref) ([]byte, bool) {
	o, found := d.offsets[r.num]
	if !found || o.gen != r.gen || o.off < 0 || o.off >= int64(len(d.data)) {
		return nil, false
	}
	b := d.data[o.off:]
	i := bytes.Index(b, []byte("stream"))
	if i < 0 {
		return nil, false
	}
	head := b[:i]
	lm := reLength.FindSubmatch(head)
	if lm == nil || lm[2] != nil || bytes.Contains(head, []byte("/Filter")) || bytes.Contains(head, []byte("endobj")) {
		return nil, false
	}
	n, _ := strconv.Atoi(string(lm[1]))
	start := i + len("stream")
	if start < len(b) && b[start] == '\r' {
		start++
	}
	if start < len(b) && b[start] == '\n' {
		start++
	}
	if start+n > len(b) {
		return nil, false
	}
	return b[start : start+n], true
}

// writeDSS appends to doc the update with the merged DSS: the earlier
// store's entries, new streams for data it lacks, and a VRI per signature
// (replacing an earlier VRI of the same signature).
func writeDSS(doc *document, sigs []sigValue, vds []*validationData, now time.Time) ([]byte, error) {
	catalog, err := doc.dict(doc.root)
	if err != nil {
		return nil, err
	}
	old, err := doc.readDSS(catalog)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	b.Write(doc.data)
	if !bytes.HasSuffix(doc.data, []byte("\n")) && !bytes.HasSuffix(doc.data, []byte("\r")) {
		b.WriteByte('\n')
	}
	offsets := map[int]obj{}
	next := doc.size
	newObj := func() ref {
		r := ref{next, 0}
		next++
		offsets[r.num] = obj{off: int64(b.Len())}
		fmt.Fprintf(&b, "%d 0 obj\n", r.num)
		return r
	}

	// Data already stored, by content, so each item is written once.
	type store struct {
		list  []ref
		index map[string]ref
	}
	stores := make([]*store, 3) // certs, OCSPs, CRLs
	for i, rs := range [][]ref{old.certs, old.ocsps, old.crls} {
		st := &store{list: rs, index: map[string]ref{}}
		for _, r := range rs {
			if data, ok := doc.stream(r); ok {
				st.index[string(data)] = r
			}
		}
		stores[i] = st
	}
	put := func(st *store, data []byte) ref {
		if r, ok := st.index[string(data)]; ok {
			return r
		}
		r := newObj()
		fmt.Fprintf(&b, "<< /Length %d >>\nstream\n", len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		st.index[string(data)] = r
		st.list = append(st.list, r)
		return r
	}

	vri := old.vri
	for i, sv := range sigs {
		var lists [3][]ref
		for j, items := range [][][]byte{vds[i].certs, vds[i].ocsps, vds[i].crls} {
			for _, data := range items {
				lists[j] = append(lists[j], put(stores[j], data))
			}
		}
		r := newObj()
		b.WriteString("<< /Type /VRI")
		for j, key := range []string{"Cert", "OCSP", "CRL"} {
			if len(lists[j]) > 0 {
				fmt.Fprintf(&b, " /%s [%s]", key, refList(lists[j]))
			}
		}
		fmt.Fprintf(&b, " /TU %s >>\nendobj\n", pdfDate(now))
		vri[vriKey(sv.contents)] = r
	}

	dssRef := newObj()
	keys := make([]string, 0, len(vri))
	for k := range vri {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString("<< /Type /DSS /VRI <<")
	for _, k := range keys {
		fmt.Fprintf(&b, " /%s %d %d R", k, vri[k].num, vri[k].gen)
	}
	b.WriteString(" >>")
	for j, key := range []string{"Certs", "OCSPs", "CRLs"} {
		if len(stores[j].list) > 0 {
			fmt.Fprintf(&b, " /%s [%s]", key, refList(stores[j].list))
		}
	}
	b.WriteString(" >>\nendobj\n")

	offsets[doc.root.num] = obj{off: int64(b.Len()), gen: doc.root.gen}
	fmt.Fprintf(&b, "%d %d obj\n", doc.root.num, doc.root.gen)
	b.Write(withKey(without(catalog, reDSSRef), fmt.Sprintf("/DSS %d 0 R", dssRef.num)))
	b.WriteString("\nendobj\n")

	finishUpdate(&b, doc, offsets, next)
	return b.Bytes(), nil
}

// pdfDate is t as a PDF date string in UTC.
func pdfDate(t time.Time) string { return "(" + pdf.DateString(t.UTC()) + ")" }
