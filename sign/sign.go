// Package sign is the pipeline's sign stage, after assemble: it seals a
// finished dossier PDF with a PAdES baseline signature (ETSI EN 319 142-1)
// of the service center, B-B, or B-T when a time-stamp authority is
// configured, so that any change to the dossier after it left the center
// is visible to every PDF reader. For files kept for decades, B-LT adds
// the chain's OCSP responses or CRLs, fetched at signing, in a Document
// Security Store (ltv.go, dss.go), and B-LTA a document time-stamp over
// all of it (see Level).
//
// The signature is appended as an incremental update (ISO 32000-1 7.5.6):
// the assembled bytes stay exactly as they were, followed by a signature
// dictionary, a signature field on the first page (invisible, or with a
// visible block when Signer.Visible is set), the catalog and first page
// rewritten to point at it, a cross-reference section and a trailer. A
// signed file can be signed again (the operator, then the center): the
// later field joins the earlier ones and nothing else changes. Nothing in
// the update conflicts with PDF/A-2b, so a PDF/A input stays PDF/A. The
// CMS is detached SignedData over SHA-256 with the signed attributes
// baseline signatures require (content-type, message-digest,
// signing-certificate-v2) and no signing-time: the claimed signing time is
// the dictionary's /M.
//
// The key is any crypto.Signer with an RSA or ECDSA public key: a .p12 or
// PEM file read by Load, a key on a hardware token reached through
// PKCS#11 by LoadPKCS11 (the private key never leaves the token), or
// anything else that signs a digest, such as a remote signing service,
// through New.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
	"github.com/sohoa/sohoa/pipeline/pdf"
)

// ContentsSize is the room reserved for the CMS in /Contents, in bytes
// (the hex string is twice as long). A B-T signature with a two-level
// chain takes about 6 KiB; PDF/A caps a string at 32767 bytes.
const ContentsSize = 16 << 10

// Signer signs dossiers with one key. Its configuration fields may be set
// after Load; the key and chain are only reachable through Sign.
type Signer struct {
	// Name is the signer's name as shown by readers (/Name); empty means
	// the certificate's common name.
	Name string
	// Reason and Location are shown by readers; Location is the service
	// center that signed.
	Reason, Location string
	// TSAURL is an RFC 3161 time-stamp authority; when set, signatures
	// are PAdES B-T, otherwise B-B.
	TSAURL string
	// Level is the PAdES baseline level to reach; empty means B-T when
	// TSAURL is set and B-B otherwise. B-LT and B-LTA need TSAURL and a
	// revocation source (OCSP or CRL) for every certificate of the chain
	// and of the authority's; see Level and Preflight.
	Level Level
	// HTTPClient reaches the TSA and the OCSP responders, CRLs and CA
	// issuers certificates; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
	// Visible, when set, draws a signature block on the first page;
	// nil keeps the signature invisible.
	Visible *Appearance

	key   crypto.Signer       // an RSA or ECDSA key, in memory or on a token
	chain []*x509.Certificate // signer's certificate first
	close func() error        // releases the token, if any
}

// New makes a Signer for key, which may live anywhere that signs a SHA-256
// digest (memory, a PKCS#11 token, a remote signing service), and its
// certificate chain, in any order; the certificate matching key comes
// first in every signature. key must be RSA or ECDSA and the certificate
// valid now.
func New(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("sign: %w", ErrNoKey)
	}
	s, err := newSigner(key, chain)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := s.checkValidity(s.now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return s, nil
}

// Close releases what the key holds, such as a token's sessions; the
// Signer cannot sign afterwards. Closing a Signer of a key in memory does
// nothing.
func (s *Signer) Close() error {
	if s.close == nil {
		return nil
	}
	c := s.close
	s.close, s.key = nil, nil
	return c()
}

// String keeps the key out of any %v of a Signer.
func (s *Signer) String() string {
	if len(s.chain) == 0 {
		return "sign.Signer{}"
	}
	return fmt.Sprintf("sign.Signer{%s}", s.chain[0].Subject.String())
}

// Certificate is the signer's certificate; nil for a Signer not made by
// Load, LoadPKCS11 or New.
func (s *Signer) Certificate() *x509.Certificate {
	if len(s.chain) == 0 {
		return nil
	}
	return s.chain[0]
}

// Chain is the signer's certificate followed by the rest of its chain, as
// embedded in every signature.
func (s *Signer) Chain() []*x509.Certificate { return append([]*x509.Certificate(nil), s.chain...) }

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Sign returns in, a finished PDF with classic cross-reference tables and
// no form (the assemble stage's output) or only the signatures this
// package appended, with a signature appended.
func (s *Signer) Sign(in []byte) ([]byte, error) {
	return s.SignContext(context.Background(), in)
}

// SignContext is Sign with a context for the request to the TSA.
func (s *Signer) SignContext(ctx context.Context, in []byte) ([]byte, error) {
	if s.key == nil || len(s.chain) == 0 {
		return nil, fmt.Errorf("sign: %w (make Signers with Load, LoadPKCS11 or New)", ErrNoKey)
	}
	now := s.now()
	if err := s.checkValidity(now); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := s.CheckLevel(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	doc, err := parseDocument(in)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	out, br, err := s.appendUpdate(doc, now, false)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}

	h := sha256.New()
	h.Write(out[:br[1]])
	h.Write(out[br[2]:])
	cms, err := signedData(h.Sum(nil), s.key, s.chain)
	if err != nil {
		return nil, fmt.Errorf("sign: CMS: %w", err)
	}
	level := s.TargetLevel()
	var token []byte
	if s.TSAURL != "" {
		p7, err := pkcs7.Parse(cms)
		if err != nil {
			return nil, fmt.Errorf("sign: CMS: %w", err)
		}
		if token, err = s.fetchTimestamp(ctx, p7.Signers[0].EncryptedDigest); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if cms, err = addUnsignedAttribute(cms, OIDSignatureTimeStampToken, token); err != nil {
			return nil, fmt.Errorf("sign: add time-stamp: %w", err)
		}
	}
	if len(cms) > ContentsSize {
		return nil, fmt.Errorf("sign: CMS of %d bytes does not fit the %d reserved", len(cms), ContentsSize)
	}
	hex.Encode(out[br[1]+1:], cms) // after '<'; the rest stays zeros
	if !level.AtLeast(LevelBLT) {
		return out, nil
	}

	// B-LT: the validation data of this signature, in a second update.
	tsaChain, err := tokenChain(token)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	contents := make([]byte, ContentsSize)
	copy(contents, cms)
	sv := sigValue{contents: contents, chains: [][]*x509.Certificate{s.chain, tsaChain}}
	if out, err = s.appendDSS(ctx, out, []sigValue{sv}, true); err != nil {
		return nil, fmt.Errorf("sign: %s: %w", level, err)
	}
	if level == LevelBLTA {
		return s.AddDocumentTimestamp(ctx, out)
	}
	return out, nil
}

// Placeholders the update is written with and later filled in; both keep
// their length so no offset moves.
const byteRangeHolder = "[0 0000000000 0000000000 0000000000]"

// appendUpdate writes doc's bytes and the incremental update with an
// empty /Contents, fills in /ByteRange and returns the result and the
// byte range: [0, start of "<", just after ">", rest]. docTS makes the
// dictionary a document time-stamp's (ISO 32000-2 12.8.5), which names
// no signer and is never visible.
func (s *Signer) appendUpdate(doc *document, now time.Time, docTS bool) ([]byte, [4]int, error) {
	catalog, err := doc.dict(doc.root)
	if err != nil {
		return nil, [4]int{}, err
	}
	page, err := doc.dict(doc.page)
	if err != nil {
		return nil, [4]int{}, err
	}

	var b bytes.Buffer
	b.Grow(len(doc.data) + 2*ContentsSize + 4096)
	b.Write(doc.data)
	if !bytes.HasSuffix(doc.data, []byte("\n")) && !bytes.HasSuffix(doc.data, []byte("\r")) {
		b.WriteByte('\n')
	}
	offsets := map[int]obj{}
	begin := func(r ref) {
		offsets[r.num] = obj{off: int64(b.Len()), gen: r.gen}
		fmt.Fprintf(&b, "%d %d obj\n", r.num, r.gen)
	}
	sigRef, fieldRef := ref{doc.size, 0}, ref{doc.size + 1, 0}

	name := s.Name
	if name == "" {
		name = s.chain[0].Subject.CommonName
	}
	begin(sigRef)
	if docTS {
		b.WriteString("<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161")
	} else {
		fmt.Fprintf(&b, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (%s)", pdf.DateString(now))
		for _, kv := range []struct{ k, v string }{{"Name", name}, {"Reason", s.Reason}, {"Location", s.Location}} {
			if kv.v != "" {
				fmt.Fprintf(&b, " /%s %s", kv.k, pdf.TextString(kv.v))
			}
		}
	}
	b.WriteString(" /ByteRange ")
	brAt := b.Len()
	b.WriteString(byteRangeHolder)
	b.WriteString(" /Contents ")
	var br [4]int
	br[1] = b.Len()
	b.WriteByte('<')
	b.WriteString(strings.Repeat("0", 2*ContentsSize))
	b.WriteByte('>')
	br[2] = b.Len()
	b.WriteString(" >>\nendobj\n")

	// Print|Locked: PDF/A wants annotations printable and not hidden; a
	// zero-size rectangle makes the field invisible without an appearance.
	// A visible one has a rectangle and a normal appearance (/N only, as
	// PDF/A requires).
	rect, ap := "[0 0 0 0]", ""
	var apStream []byte
	var bw, bh float64 // the block's size
	if s.Visible != nil && !docTS {
		r := s.Visible.Rect
		if r == ([4]float64{}) {
			w, h, err := pageSize(page)
			if err != nil {
				return nil, [4]int{}, err
			}
			r = TopLeft(w, h)
		}
		if r[2] <= r[0] || r[3] <= r[1] {
			return nil, [4]int{}, fmt.Errorf("visible signature rectangle %v is empty", r)
		}
		font := s.Visible.FontFile
		if font == "" {
			font = DefaultFontFile
		}
		org := s.Location
		if o := s.chain[0].Subject.Organization; len(o) > 0 {
			org = o[0]
		}
		bw, bh = r[2]-r[0], r[3]-r[1]
		if apStream, err = appearanceStream(font, bw, bh, appearanceLines(name, org, now)); err != nil {
			return nil, [4]int{}, err
		}
		rect = fmt.Sprintf("[%s %s %s %s]", num(r[0]), num(r[1]), num(r[2]), num(r[3]))
		ap = fmt.Sprintf(" /AP << /N %d 0 R >>", doc.size+2)
	}
	begin(fieldRef)
	fmt.Fprintf(&b, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature%d) /V %d %d R /Rect %s%s /F 132 /P %d %d R >>\nendobj\n",
		len(doc.fields)+1, sigRef.num, sigRef.gen, rect, ap, doc.page.num, doc.page.gen)
	lastRef := fieldRef
	if apStream != nil {
		lastRef = ref{doc.size + 2, 0}
		begin(lastRef)
		z := pdf.FlateStream(apStream)
		fmt.Fprintf(&b, "<< /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << >> /Filter /FlateDecode /Length %d >>\nstream\n",
			num(bw), num(bh), len(z))
		b.Write(z)
		b.WriteString("\nendstream\nendobj\n")
	}

	begin(doc.root)
	// A later signature appends its field to the earlier ones'.
	fields := refList(append(append([]ref(nil), doc.fields...), fieldRef))
	b.Write(withKey(without(catalog, reOurForm), fmt.Sprintf("/AcroForm << /Fields [%s] /SigFlags 3 >>", fields)))
	b.WriteString("\nendobj\n")

	begin(doc.page)
	annots := refList(append(append([]ref(nil), doc.annots...), fieldRef))
	b.Write(withKey(without(page, reOurAnnots), fmt.Sprintf("/Annots [%s]", annots)))
	b.WriteString("\nendobj\n")

	finishUpdate(&b, doc, offsets, max(doc.size, lastRef.num+1))

	out := b.Bytes()
	br[3] = len(out) - br[2]
	filled := fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3])
	if len(filled) > len(byteRangeHolder) {
		return nil, br, fmt.Errorf("byte range %s does not fit its placeholder", filled)
	}
	copy(out[brAt:], filled+strings.Repeat(" ", len(byteRangeHolder)-len(filled)))
	return out, br, nil
}

// finishUpdate ends an incremental update whose objects are at offsets
// with its cross-reference section and trailer.
func finishUpdate(b *bytes.Buffer, doc *document, offsets map[int]obj, size int) {
	xref := b.Len()
	writeXref(b, offsets)
	// The second /ID element changes with every update; the first stays,
	// as PDF/A requires.
	id1 := sha256.Sum256(b.Bytes())
	fmt.Fprintf(b, "trailer\n<< /Size %d /Root %d %d R", size, doc.root.num, doc.root.gen)
	if doc.info != nil {
		fmt.Fprintf(b, " /Info %d %d R", doc.info.num, doc.info.gen)
	}
	fmt.Fprintf(b, " /Prev %d /ID [<%s> <%X>] >>\nstartxref\n%d\n%%%%EOF\n", doc.lastXref, doc.id0, id1[:16], xref)
}

// writeXref writes a classic xref section for offsets, grouping
// consecutive object numbers into subsections.
func writeXref(b *bytes.Buffer, offsets map[int]obj) {
	nums := make([]int, 0, len(offsets))
	for n := range offsets {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	b.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	for i := 0; i < len(nums); {
		j := i + 1
		for j < len(nums) && nums[j] == nums[j-1]+1 {
			j++
		}
		fmt.Fprintf(b, "%d %d\n", nums[i], j-i)
		for _, n := range nums[i:j] {
			fmt.Fprintf(b, "%010d %05d n\r\n", offsets[n].off, offsets[n].gen)
		}
		i = j
	}
}
