// Package verify checks a signed dossier PDF the way a recipient would:
// is each signature intact, does the last cover the whole file and did
// nothing but signatures and validation data change between sequential
// ones, who signed and when (and whether a time-stamp authority vouches
// for it), which PAdES level each reaches and whether its certificates
// were revoked before it was made (from the file's own DSS), is the
// file still PDF/A-2b with embedded fonts, and are the original scans the
// dossier records in its XMP metadata the ones held in a folder. It is
// the counterpart of the sign stage and of the XMP written at assemble
// (pipeline/pdf), and is what the CLI's verify command prints.
//
// The signature is located and checked on the raw bytes (the ByteRange
// and the /Contents hole it leaves), so a damaged or altered file still
// gives a report; the document structure (metadata, fonts) is read with
// pdfcpu.
package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Options says what to check beyond the file itself.
type Options struct {
	// Originals is a folder holding the original scans named in the
	// dossier's XMP (sohoa:originals); empty skips that check.
	Originals string
	// Roots are the trust anchors for the signer's and the TSA's
	// certificates. Nil means trust is not judged: the chain is reported
	// and Trusted left out. Pass x509.SystemCertPool() to use the
	// system's roots.
	Roots *x509.CertPool
	// Now is the time certificates are checked at when the signature has
	// no time-stamp; zero means the signing time (/M), else time.Now.
	Now time.Time
}

// Report is the outcome, ready to print as JSON.
type Report struct {
	// OK is true when every check passed: at least one signature, each
	// valid, the last covering the whole file and nothing but signatures
	// added after the earlier ones, trusted (when Roots were given), a
	// matching time-stamp (when present), PDF/A-2b, fonts embedded and
	// every original found and unchanged (when Originals was given).
	OK bool `json:"ok"`
	// Problems are the failed checks, in plain words.
	Problems []string `json:"problems"`

	Signatures []Signature `json:"signatures"`
	// DocumentTimestamps are the RFC 3161 document time-stamps (PAdES
	// B-LTA), in the order they were added.
	DocumentTimestamps []DocumentTimestamp `json:"documentTimestamps,omitempty"`

	PDFA          bool       `json:"pdfa"`
	PDFAPart      string     `json:"pdfaPart,omitempty"`
	PDFALevel     string     `json:"pdfaConformance,omitempty"`
	FontsEmbedded bool       `json:"fontsEmbedded"`
	DossierCode   string     `json:"dossierCode,omitempty"`
	Originals     []Original `json:"originals,omitempty"`
}

// Signature is what one signature says and whether it holds.
type Signature struct {
	// Valid: the CMS signature verifies with the signer's certificate,
	// its message digest matches the signed bytes, and, when the file
	// carries revocation data, no certificate of the chain was revoked
	// before the signature was made.
	Valid bool `json:"valid"`
	// Level is the PAdES baseline level the signature reaches (B-B, B-T,
	// B-LT, B-LTA; see sign.Level), whether or not its chain is trusted;
	// empty when it is not even B-B (it does not verify, or its signed
	// attributes do not follow the profile).
	Level string `json:"level"`
	// CoversWholeFile: the byte range starts at 0, ends at the end of the
	// file and leaves out only the /Contents string.
	CoversWholeFile bool   `json:"coversWholeFile"`
	ByteRange       [4]int `json:"byteRange"`
	SubFilter       string `json:"subFilter,omitempty"`
	Signer          string `json:"signer"`
	// Chain is the subjects of the embedded certificates from the
	// signer's up to its root, as far as they link.
	Chain []string `json:"chain"`
	// Trusted is whether the chain leads to one of Options.Roots; absent
	// when no roots were given.
	Trusted     *bool      `json:"trusted,omitempty"`
	SigningTime *time.Time `json:"signingTime,omitempty"`
	Name        string     `json:"name,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Location    string     `json:"location,omitempty"`
	Timestamp   *Timestamp `json:"timestamp,omitempty"`
	// Revocation is the status of each certificate of the signer's chain
	// and of its time-stamp authority's below their roots, from the
	// document security store (DSS); absent when the file has none.
	Revocation []Revocation `json:"revocation,omitempty"`
	// CheckedAt is the time the signer's chain was judged at when a
	// time-stamp proves the signature existed then: the signature
	// time-stamp's, else a later document time-stamp's.
	CheckedAt *time.Time `json:"checkedAt,omitempty"`
	// ChangesAfter is what the updates up to the next signature or
	// document time-stamp (or the end of the file) changed: only
	// signature objects, validation data (the DSS) and the catalog and
	// page entries that list them, else a problem is reported.
	ChangesAfter []string `json:"changesAfter,omitempty"`
}

// DocumentTimestamp is an RFC 3161 time-stamp over the whole file before
// it (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161): it proves the
// signatures and validation data before it existed at its time.
type DocumentTimestamp struct {
	ByteRange       [4]int    `json:"byteRange"`
	CoversWholeFile bool      `json:"coversWholeFile"`
	Time            time.Time `json:"time"`
	TSA             string    `json:"tsa"`
	// ImprintMatches: the token is over the bytes of its byte range.
	ImprintMatches bool     `json:"imprintMatches"`
	Trusted        *bool    `json:"trusted,omitempty"`
	ChangesAfter   []string `json:"changesAfter,omitempty"`
}

// Timestamp is an RFC 3161 signature time-stamp (PAdES B-T).
type Timestamp struct {
	Time time.Time `json:"time"`
	TSA  string    `json:"tsa"`
	// ImprintMatches: the token is over this signature's value.
	ImprintMatches bool  `json:"imprintMatches"`
	Trusted        *bool `json:"trusted,omitempty"`
}

// Original is one page's recorded original and what the folder holds.
type Original struct {
	DossierPage int    `json:"dossierPage"`
	File        string `json:"file,omitempty"`
	FilePage    int    `json:"filePage,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	// Status is "ok", "missing", "mismatch", "not recorded", or "not
	// checked" when Options.Originals is empty.
	Status string `json:"status"`
}

// ErrNotPDF is returned by File for input that is not a PDF at all; any
// other defect is reported in the Report.
var ErrNotPDF = errors.New("verify: not a PDF")

// File checks pdf. It returns an error only when pdf is not a PDF; every
// other failure is a problem in the report.
func File(pdf []byte, opt Options) (rep *Report, err error) {
	if len(pdf) < 8 || string(pdf[:5]) != "%PDF-" {
		return nil, ErrNotPDF
	}
	r := &Report{Problems: []string{}, Signatures: []Signature{}}
	defer func() {
		// A parser bug on hostile input must fail the check, not the caller.
		if p := recover(); p != nil {
			r.problem("the file could not be read: %v", p)
			r.OK = false
			rep, err = r, nil
		}
	}()
	ctx, err := readContext(pdf)
	if err != nil {
		r.problem("the PDF structure could not be read: %v", err)
	}
	checkSignatures(pdf, readValidationStore(ctx, r), opt, r)
	if ctx != nil {
		checkStructure(ctx, opt, r)
	}
	r.OK = len(r.Problems) == 0
	return r, nil
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}
