package verify_test

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sign/pkitest"
	"github.com/sohoa/sohoa/verify"
)

// ltFixture is an unsigned dossier, a local PKI with its OCSP responder,
// CRLs and time-stamp authority running, and a signer of its key.
type ltFixture struct {
	dir, originals string
	unsigned       []byte
	pki            *pkitest.PKI
	db             string // NSS database trusting both roots, for pdfsig
	tsaRoot        string // PEM file
}

func newLTFixture(t *testing.T) *ltFixture {
	t.Helper()
	f := &ltFixture{dir: t.TempDir()}
	f.originals = filepath.Join(f.dir, "originals")
	if err := os.Mkdir(f.originals, 0o755); err != nil {
		t.Fatal(err)
	}
	f.unsigned = dossier(t, f.originals, 2)
	f.pki = pkitest.New(t)
	root, tsaRoot := f.pki.WriteRoots(t, f.dir)
	f.db, f.tsaRoot = nssDB(t, root, tsaRoot), tsaRoot
	return f
}

func (f *ltFixture) signer(t *testing.T, level sign.Level) *sign.Signer {
	t.Helper()
	s, err := sign.New(f.pki.SignerKey, f.pki.Chain)
	if err != nil {
		t.Fatal(err)
	}
	s.TSAURL, s.Level = f.pki.TSAURL, level
	s.Reason, s.Location = "Số hóa hồ sơ", "Trung tâm Thử nghiệm"
	return s
}

func (f *ltFixture) verify(t *testing.T, pdf []byte) *verify.Report {
	t.Helper()
	rep, err := verify.File(pdf, verify.Options{Originals: f.originals, Roots: f.pki.Roots()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ltTools runs the readers and validators on file: pdfsig (offline: its
// NSS reads no DSS and would ask the responders) must find every CAdES
// signature valid and the first trusted (poppler 22.12 says "Unknown
// issue with Certificate" for a second signature by the same
// certificate, with or without a DSS, B-B included), and qpdf, pdfinfo,
// pdffonts and pdfcpu must find the file sound.
func ltTools(t *testing.T, db, file string, sigs int) string {
	t.Helper()
	tool(t, "pdfsig")
	out := run(t, "pdfsig", "-no-ocsp", "-nssdir", "sql:"+db, file)
	if strings.Count(out, "Signature is Valid.") != sigs || !strings.Contains(out, "Certificate is Trusted.") ||
		strings.Contains(out, "Digest Mismatch") {
		t.Errorf("pdfsig: want %d valid signatures, trusted:\n%s", sigs, out)
	}
	checkTools(t, db, file, sigs)
	return out
}

// opensslTS checks the last document time-stamp with openssl ts -verify
// against the TSA's root: is the token over the file's bytes outside its
// /Contents? It returns openssl's output and exit error.
func opensslTS(t *testing.T, dir string, pdf []byte, tsaRoot string) (string, error) {
	t.Helper()
	tool(t, "openssl")
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindAllSubmatch(pdf, -1)
	var br [4]int
	for i := range br {
		fmt.Sscanf(string(m[len(m)-1][1+i]), "%d", &br[i])
	}
	der, err := hex.DecodeString(string(pdf[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var token asn1.RawValue
	if _, err := asn1.Unmarshal(der, &token); err != nil {
		t.Fatal(err)
	}
	data := write(t, dir, "dts-content.bin", append(bytes.Clone(pdf[:br[1]]), pdf[br[2]:br[2]+br[3]]...))
	tok := write(t, dir, "dts-token.der", token.FullBytes)
	out, err := exec.Command("openssl", "ts", "-verify", "-data", data, "-in", tok, "-token_in", "-CAfile", tsaRoot).CombinedOutput()
	return string(out), err
}

func statuses(s verify.Signature) string {
	var out []string
	for _, r := range s.Revocation {
		out = append(out, r.Certificate+": "+r.Source+" "+r.Status)
	}
	return strings.Join(out, "; ")
}

// TestLongTermValidation signs at B-LT, shuts the responders down, and
// verifies from the DSS alone; then tampers in the places that matter.
func TestLongTermValidation(t *testing.T) {
	f := newLTFixture(t)
	s := f.signer(t, sign.LevelBLT)
	if err := s.Preflight(context.Background()); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	ocspBefore, crlBefore := f.pki.OCSPRequests.Load(), f.pki.CRLRequests.Load()
	signed, err := s.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	// Signer and intermediate through OCSP, the TSA's certificate (no
	// OCSP responder named) through its root's CRL.
	if n, m := f.pki.OCSPRequests.Load()-ocspBefore, f.pki.CRLRequests.Load()-crlBefore; n != 2 || m != 1 {
		t.Errorf("signing asked %d OCSP and %d CRL requests, want 2 and 1", n, m)
	}
	if !bytes.HasPrefix(signed, f.unsigned) {
		t.Fatal("the original bytes changed")
	}
	if n := bytes.Count(signed, []byte("%%EOF")) - bytes.Count(f.unsigned, []byte("%%EOF")); n != 2 {
		t.Errorf("%d updates, want 2 (signature, DSS)", n)
	}
	f.pki.Server.Close() // years later: no responder, no CRL, no TSA

	ltTools(t, f.db, write(t, f.dir, "blt.pdf", signed), 1)
	rep := f.verify(t, signed)
	if !rep.OK {
		t.Fatalf("not OK: %q", rep.Problems)
	}
	sig := rep.Signatures[0]
	if sig.Level != "B-LT" || !sig.Valid || sig.CoversWholeFile || sig.Timestamp == nil || sig.CheckedAt == nil ||
		!sig.CheckedAt.Equal(sig.Timestamp.Time) {
		t.Errorf("signature: level %q valid %v whole %v checked at %v", sig.Level, sig.Valid, sig.CoversWholeFile, sig.CheckedAt)
	}
	want := "CN=Nguyễn Văn Ký,O=Trung tâm Thử nghiệm,C=VN: OCSP good; CN=Sohoa Test Issuing CA,O=Sohoa Test PKI: OCSP good; CN=Sohoa Test TSA: CRL good"
	if got := statuses(sig); got != want {
		t.Errorf("revocation:\n got %s\nwant %s", got, want)
	}
	changes := strings.Join(sig.ChangesAfter, "; ")
	for _, w := range []string{"document security store", "validation data of a signature (VRI)", "validation data stream", "document security store entry"} {
		if !strings.Contains(changes, w) {
			t.Errorf("changes after the signature lack %q: %s", w, changes)
		}
	}
	js, _ := json.Marshal(rep)
	if !regexp.MustCompile(`"level":"B-LT"`).Match(js) || !bytes.Contains(js, []byte(`"source":"OCSP","status":"good"`)) {
		t.Errorf("JSON lacks the level or the revocation: %s", js)
	}

	t.Run("signed bytes changed", func(t *testing.T) {
		bad := bytes.Clone(signed)
		i := bytes.Index(bad, []byte("HS-000123"))
		bad[i+3] = '9'
		wantLines(t, "pdfsig", pdfsig(t, f.db, write(t, f.dir, "t1.pdf", bad)), "Digest Mismatch.")
		if rep := f.verify(t, bad); rep.OK || rep.Signatures[0].Valid || rep.Signatures[0].Level != "" {
			t.Errorf("verify of a changed signed byte: OK %v %+v", rep.OK, rep.Signatures[0])
		}
	})
	t.Run("OCSP response in the DSS changed", func(t *testing.T) {
		// The DSS is not signed at B-LT: a changed response no longer
		// verifies, so it proves nothing and the level drops.
		bad := bytes.Clone(signed)
		// Every stream of the DSS update, after the signature's.
		start := len(f.unsigned) + bytes.Index(signed[len(f.unsigned):], []byte("%%EOF"))
		for k := start; ; {
			n := bytes.Index(bad[k:], []byte("endstream"))
			if n < 0 {
				break
			}
			k += n
			bad[k-8] ^= 0xff
			k += len("endstream")
		}
		rep := f.verify(t, bad)
		if got := rep.Signatures[0].Level; got == "B-LT" || got == "B-LTA" {
			t.Errorf("level %q with broken validation data; revocation %s", got, statuses(rep.Signatures[0]))
		}
	})
	t.Run("page replaced as a DSS stream", func(t *testing.T) {
		// A new DSS that lists the page object, rewritten as a stream:
		// validation data must be new objects.
		page := objectOf(t, signed, "/Type /Page /Parent")
		cat := objectOf(t, signed, "/Type /Catalog")
		catBody := string(signed[bytes.LastIndex(signed, []byte(fmt.Sprintf("\n%d 0 obj", cat))):])
		catBody = catBody[strings.Index(catBody, "<<"):strings.Index(catBody, "endobj")]
		catBody = regexp.MustCompile(`/DSS \d+ 0 R`).ReplaceAllString(catBody, "/DSS 900 0 R")
		upd := appendUpdate(t, signed, map[int]string{
			page: "<< /Length 3 >>\nstream\nabc\nendstream",
			900:  fmt.Sprintf("<< /Type /DSS /Certs [%d 0 R] >>", page),
			cat:  catBody,
		})
		rep := f.verify(t, upd)
		if rep.OK || !strings.Contains(strings.Join(rep.Problems, "; "), fmt.Sprintf("object %d was changed", page)) {
			t.Errorf("verify of a page replaced under a DSS: OK %v %q", rep.OK, rep.Problems)
		}
	})
	t.Run("annotation passed off as the DSS", func(t *testing.T) {
		// A new annotation over the page, the catalog's /DSS pointing at
		// it and the page listing it: it is not validation data.
		pageNum := objectOf(t, signed, "/Type /Page /Parent")
		cat := objectOf(t, signed, "/Type /Catalog")
		body := func(num int) string {
			b := string(signed[bytes.LastIndex(signed, []byte(fmt.Sprintf("\n%d 0 obj", num))):])
			return b[strings.Index(b, "<<"):strings.Index(b, "endobj")]
		}
		page := regexp.MustCompile(`/Annots \[([^\]]*)\]`).ReplaceAllString(body(pageNum), "/Annots [$1 901 0 R]")
		upd := appendUpdate(t, signed, map[int]string{
			901:     "<< /Type /DSS /Subtype /FreeText /Rect [0 0 100 100] /Contents (PAID) /F 4 >>",
			pageNum: page,
			cat:     regexp.MustCompile(`/DSS \d+ 0 R`).ReplaceAllString(body(cat), "/DSS 901 0 R"),
		})
		rep := f.verify(t, upd)
		if rep.OK || !strings.Contains(strings.Join(rep.Problems, "; "), "901 0 R among its fields or annotations, not a signature field") {
			t.Errorf("verify of an annotation passed off as the DSS: OK %v %q", rep.OK, rep.Problems)
		}
	})
	t.Run("update after the DSS", func(t *testing.T) {
		// Another page object appended after the DSS update.
		upd := appendObject(t, signed, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
		rep := f.verify(t, upd)
		if rep.OK || !strings.Contains(strings.Join(rep.Problems, "; "), "does not cover the whole file") {
			t.Errorf("verify of an update after the DSS: OK %v %q", rep.OK, rep.Problems)
		}
	})
}

// appendObject appends an incremental update replacing the first page
// object with body.
func appendObject(t *testing.T, pdf []byte, body string) []byte {
	t.Helper()
	return appendUpdate(t, pdf, map[int]string{objectOf(t, pdf, "/Type /Page /Parent"): body})
}

// objectOf is the number of the last object whose body holds marker.
func objectOf(t *testing.T, pdf []byte, marker string) int {
	t.Helper()
	at := bytes.LastIndex(pdf, []byte(marker))
	objEnd := bytes.LastIndex(pdf[:at], []byte(" obj")) + 4
	hdr := string(pdf[bytes.LastIndex(pdf[:objEnd], []byte("\n"))+1 : objEnd])
	var num int
	if _, err := fmt.Sscanf(hdr, "%d", &num); err != nil {
		t.Fatal(err)
	}
	return num
}

// appendUpdate appends an incremental update writing objs, by number,
// under the same catalog.
func appendUpdate(t *testing.T, pdf []byte, objs map[int]string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.Write(pdf)
	var xref strings.Builder
	xref.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	size := 0
	for num, body := range objs {
		fmt.Fprintf(&xref, "%d 1\n%010d 00000 n\r\n", num, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
		size = max(size, num+1)
	}
	at := b.Len()
	b.WriteString(xref.String())
	prev := strings.Fields(string(pdf[bytes.LastIndex(pdf, []byte("startxref"))+10:]))[0]
	tr := pdf[bytes.LastIndex(pdf, []byte("trailer")):]
	m := regexp.MustCompile(`/Size (\d+) (/Root \d+ 0 R)`).FindSubmatch(tr)
	var old int
	fmt.Sscanf(string(m[1]), "%d", &old)
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s /Prev %s /ID [<00> <00>] >>\nstartxref\n%d\n%%%%EOF\n", max(old, size), m[2], prev, at)
	return b.Bytes()
}

// TestRevokedAfterSigning: the signer's certificate is revoked after the
// time-stamp; the DSS, refreshed after the revocation, says so, and the
// signature stays valid because the time-stamp proves it came first.
func TestRevokedAfterSigning(t *testing.T) {
	f := newLTFixture(t)
	s := f.signer(t, sign.LevelBT)
	signed, err := s.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // time-stamps and OCSP times are in whole seconds
	f.pki.Revoke(f.pki.SignerCert, time.Now())
	extended, err := s.AddValidationData(context.Background(), signed)
	if err != nil {
		t.Fatal(err)
	}
	f.pki.Server.Close()
	rep := f.verify(t, extended)
	if !rep.OK {
		t.Fatalf("not OK: %q", rep.Problems)
	}
	sig := rep.Signatures[0]
	if sig.Level != "B-LT" || !sig.Valid || !strings.HasPrefix(statuses(sig), "CN=Nguyễn Văn Ký,O=Trung tâm Thử nghiệm,C=VN: OCSP revoked later;") {
		t.Errorf("level %q valid %v revocation %s", sig.Level, sig.Valid, statuses(sig))
	}
	if r := sig.Revocation[0]; r.RevokedAt == nil || !r.RevokedAt.After(sig.Timestamp.Time) {
		t.Errorf("revoked at %v, time-stamp %v", r.RevokedAt, sig.Timestamp.Time)
	}
	ltTools(t, f.db, write(t, f.dir, "revoked-after.pdf", extended), 1)
}

// TestRevokedBeforeSigning: the certificate was revoked an hour before
// the signature's time-stamp. Signing at B-LT refuses; a B-T signature
// made anyway and given validation data afterwards is invalid.
func TestRevokedBeforeSigning(t *testing.T) {
	f := newLTFixture(t)
	f.pki.Revoke(f.pki.SignerCert, time.Now().Add(-time.Hour))
	if _, err := f.signer(t, sign.LevelBLT).Sign(f.unsigned); !errors.Is(err, sign.ErrRevoked) {
		t.Fatalf("signing at B-LT with a revoked certificate: %v, want ErrRevoked", err)
	}
	s := f.signer(t, sign.LevelBT)
	signed, err := s.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	extended, err := s.AddValidationData(context.Background(), signed)
	if err != nil {
		t.Fatal(err)
	}
	f.pki.Server.Close()
	rep := f.verify(t, extended)
	sig := rep.Signatures[0]
	if rep.OK || sig.Valid || !strings.Contains(strings.Join(rep.Problems, "; "), "was revoked at") ||
		!strings.Contains(strings.Join(rep.Problems, "; "), "before the signature was time-stamped") {
		t.Errorf("OK %v valid %v problems %q", rep.OK, sig.Valid, rep.Problems)
	}
	if !strings.HasPrefix(statuses(sig), "CN=Nguyễn Văn Ký,O=Trung tâm Thử nghiệm,C=VN: OCSP revoked;") {
		t.Errorf("revocation %s", statuses(sig))
	}
}

// TestCRLFallback: with the OCSP responder down, the CRLs serve, and the
// file verifies from them.
func TestCRLFallback(t *testing.T) {
	f := newLTFixture(t)
	f.pki.OCSPDown.Store(true)
	signed, err := f.signer(t, sign.LevelBLT).Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	f.pki.Server.Close()
	rep := f.verify(t, signed)
	want := "CN=Nguyễn Văn Ký,O=Trung tâm Thử nghiệm,C=VN: CRL good; CN=Sohoa Test Issuing CA,O=Sohoa Test PKI: CRL good; CN=Sohoa Test TSA: CRL good"
	if !rep.OK || rep.Signatures[0].Level != "B-LT" || statuses(rep.Signatures[0]) != want {
		t.Errorf("OK %v %q level %q revocation %s", rep.OK, rep.Problems, rep.Signatures[0].Level, statuses(rep.Signatures[0]))
	}
}

// TestDocumentTimestamp signs at B-LTA: signature, DSS, document
// time-stamp; every tool accepts it and a change to the DSS after the
// document time-stamp is caught.
func TestDocumentTimestamp(t *testing.T) {
	f := newLTFixture(t)
	s := f.signer(t, sign.LevelBLTA)
	signed, err := s.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	// The archive's renewal, years on: validation data for everything
	// so far (the document time-stamp's authority included), then a new
	// document time-stamp over it.
	ctx := context.Background()
	renewed, err := s.AddValidationData(ctx, signed)
	if err == nil {
		renewed, err = s.AddDocumentTimestamp(ctx, renewed)
	}
	if err != nil {
		t.Fatalf("renewal: %v", err)
	}
	f.pki.Server.Close()
	if rep := f.verify(t, renewed); !rep.OK || len(rep.DocumentTimestamps) != 2 || rep.Signatures[0].Level != "B-LTA" ||
		rep.DocumentTimestamps[0].CoversWholeFile || !rep.DocumentTimestamps[1].CoversWholeFile {
		t.Errorf("renewed: OK %v %q, %d document time-stamps, level %q", rep.OK, rep.Problems, len(rep.DocumentTimestamps), rep.Signatures[0].Level)
	}
	checkTools(t, f.db, write(t, f.dir, "renewed.pdf", renewed), 1)

	// poppler 22.12 lists the document time-stamp ("Signature Type:
	// unknown", not verified) but cannot validate one; openssl does.
	out := ltTools(t, f.db, write(t, f.dir, "blta.pdf", signed), 1)
	wantLines(t, "pdfsig", out, "Signature #2:", "Total document signed")
	if out, err := opensslTS(t, f.dir, signed, f.tsaRoot); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Errorf("openssl ts -verify of the document time-stamp: %v\n%s", err, out)
	}
	rep := f.verify(t, signed)
	if !rep.OK {
		t.Fatalf("not OK: %q", rep.Problems)
	}
	sig := rep.Signatures[0]
	if len(rep.Signatures) != 1 || sig.Level != "B-LTA" || len(rep.DocumentTimestamps) != 1 {
		t.Fatalf("%d signatures, level %q, %d document time-stamps", len(rep.Signatures), sig.Level, len(rep.DocumentTimestamps))
	}
	d := rep.DocumentTimestamps[0]
	if !d.CoversWholeFile || !d.ImprintMatches || d.Trusted == nil || !*d.Trusted || d.TSA != "CN=Sohoa Test TSA" ||
		d.Time.Before(sig.Timestamp.Time) {
		t.Errorf("document time-stamp %+v", d)
	}
	if !strings.Contains(strings.Join(sig.ChangesAfter, "; "), "document security store") {
		t.Errorf("changes after the signature: %q", sig.ChangesAfter)
	}

	// One byte of the DSS, which the document time-stamp covers.
	bad := bytes.Clone(signed)
	i := bytes.LastIndex(bad, []byte("/Type /DSS"))
	bad[bytes.LastIndex(bad[:i], []byte("endstream"))-10] ^= 0x01
	rep = f.verify(t, bad)
	if rep.OK || rep.DocumentTimestamps[0].ImprintMatches {
		t.Errorf("a changed DSS under a document time-stamp passes: %q", rep.Problems)
	}
	// pdfsig cannot tell (it does not check document time-stamps);
	// openssl can.
	if out, err := opensslTS(t, f.dir, bad, f.tsaRoot); err == nil || strings.Contains(out, "Verification: OK") {
		t.Errorf("openssl ts -verify of a changed DSS under a document time-stamp: %v\n%s", err, out)
	}
}

// TestSequentialLongTerm: the operator signs at B-LT with a visible
// block, then the center at B-LTA; the second update extends the first
// DSS, and both signatures reach B-LTA under the one document
// time-stamp.
func TestSequentialLongTerm(t *testing.T) {
	f := newLTFixture(t)
	operator := f.signer(t, sign.LevelBLT)
	operator.Name, operator.Visible = "Nguyễn Văn An", &sign.Appearance{}
	first, err := operator.Sign(f.unsigned)
	if err != nil {
		t.Fatal(err)
	}
	both, err := f.signer(t, sign.LevelBLTA).Sign(first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(both, first) {
		t.Fatal("the center's signature rewrote the operator's revision")
	}
	f.pki.Server.Close()
	ltTools(t, f.db, write(t, f.dir, "both.pdf", both), 2)
	rep := f.verify(t, both)
	if !rep.OK || len(rep.Signatures) != 2 || len(rep.DocumentTimestamps) != 1 {
		t.Fatalf("OK %v %q, %d signatures, %d document time-stamps", rep.OK, rep.Problems, len(rep.Signatures), len(rep.DocumentTimestamps))
	}
	for i, s := range rep.Signatures {
		if s.Level != "B-LTA" || !s.Valid || len(s.Revocation) != 3 {
			t.Errorf("signature %d: level %q valid %v revocation %s", i+1, s.Level, s.Valid, statuses(s))
		}
	}
	changes := strings.Join(rep.Signatures[0].ChangesAfter, "; ")
	for _, w := range []string{"document security store", "signature dictionary", "signature field Signature2", "signature fields and annotations"} {
		if !strings.Contains(changes, w) {
			t.Errorf("changes after the operator's signature lack %q: %s", w, changes)
		}
	}
}
