package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/reconcile"
)

// Manifest describes a dossier: how it was made and every page in it.
//
// A Builder makes it, the same whichever way the dossier is made from the
// same pages, but for the fields that say where the dossier and its
// originals are kept and how long the work took, which differ between
// sohoa ingest and the service:
//
//   - PDF and each page's Source: file names for sohoa ingest, storage
//     keys for the service;
//   - Created: when sohoa ingest started; the service dates a dossier by
//     its submission, so that assembling it again gives the same PDF;
//   - Options.Jobs: sohoa ingest's pages in parallel; 0 in the service,
//     whose workers each take one page at a time;
//   - the timings (each page's ms, Seconds, Signature.MS): the service
//     keeps its page timings in the catalog's events instead, and records
//     no Seconds;
//   - Failed: the service fails a dossier with a failed page rather than
//     assemble it, so its manifests list none.
type Manifest struct {
	Code     string    `json:"code"`
	Created  time.Time `json:"created"`
	Tools    Tools     `json:"tools"`
	Options  Options   `json:"options"`
	PDF      string    `json:"pdf,omitempty"`
	PDFBytes int64     `json:"pdf_bytes,omitempty"`
	PDFHash  string    `json:"pdf_sha256,omitempty"`
	// Signature describes the seal the sign stage put on the PDF.
	Signature *SignatureInfo `json:"signature,omitempty"`
	Pages     []PageReport   `json:"pages"`
	Failed    []PageReport   `json:"failed,omitempty"`
	// Metadata is what the dossier says about its applicant, once a
	// metadata stage finds it (Builder.Finish); nil until then.
	Metadata *Metadata `json:"metadata,omitempty"`
	Seconds  float64   `json:"seconds"`
}

// SignatureInfo is the manifest's record of the dossier's signature.
type SignatureInfo struct {
	Signer   string  `json:"signer"`
	Serial   string  `json:"serial"`
	Issuer   string  `json:"issuer"`
	Level    string  `json:"level"` // PAdES B-B, or B-T with a time-stamp
	Location string  `json:"location,omitempty"`
	MS       float64 `json:"ms"`
}

// SetPDF records the dossier PDF as it leaves: name is its file name
// (sohoa ingest) or storage key (the service), data its bytes, sig the
// seal the sign stage put on it (nil when it is unsigned).
func (m *Manifest) SetPDF(name string, data []byte, sig *SignatureInfo) {
	sum := sha256.Sum256(data)
	m.PDF, m.PDFBytes, m.PDFHash, m.Signature = name, int64(len(data)), hex.EncodeToString(sum[:]), sig
}

// ErrNoPages: Finish found no page in the dossier (every one failed), so
// there is no PDF; the manifest still says which pages failed and why.
var ErrNoPages = errors.New("dossier has no pages")

// Builder makes one dossier from its processed pages: the assemble stage,
// and what follows once the last page is in. sohoa ingest and the workers
// both make dossiers with it, so that a dossier made either way from the
// same pages has the same PDF and the same manifest (see Manifest for the
// fields that differ).
type Builder struct {
	// Timed records in each page's report how long its assembly took, as
	// sohoa ingest records every stage's time. The service leaves it
	// unset: its page reports carry no timings, so that a dossier
	// assembled twice gets the same manifest.
	Timed bool
	pdf   *pdf.Writer
	m     Manifest
	// calls are the register calls Finish made, for Calls.
	calls []reconcile.Call
}

// NewBuilder starts the PDF/A of dossier opt.Code on w, dated created
// (the service passes the submission time, so that assembling a dossier
// again gives the same bytes). The manifest records tools and opt.
func NewBuilder(w io.Writer, created time.Time, tools Tools, opt Options) (*Builder, error) {
	if err := CheckCode(opt.Code); err != nil {
		return nil, err
	}
	created = created.UTC().Truncate(time.Second)
	v := "sohoa " + Version()
	pw, err := pdf.NewWriter(w, pdf.Info{Title: opt.Code, Creator: v, Producer: v, Created: created})
	if err != nil {
		return nil, fmt.Errorf("%s dossier %s: %w", StageAssemble, opt.Code, err)
	}
	return &Builder{pdf: pw, m: Manifest{Code: opt.Code, Created: created, Tools: tools, Options: opt}}, nil
}

// Add writes p into the dossier PDF as its next page and records its
// report, numbered, in the manifest; p.Report is updated in place. A page
// that failed an earlier stage (its report has an Error) is recorded as
// failed. So is one the PDF cannot take, whose error Add returns: the
// dossier goes on without it.
func (b *Builder) Add(p *Processed) error {
	if p.Report.Error != "" {
		b.Fail(&p.Report)
		return nil
	}
	t := time.Now()
	p.Report.Page = len(b.m.Pages) + 1
	err := b.pdf.AddPage(p.PDF)
	if b.Timed {
		p.Report.Times.Assemble = ms(time.Since(t))
	}
	if err != nil {
		err = fmt.Errorf("%s %s page %d: %w", StageAssemble, p.Report.Source, p.Report.SourcePage, err)
		p.Report.Error = err.Error()
		b.Fail(&p.Report)
		return err
	}
	b.m.Pages = append(b.m.Pages, p.Report)
	return nil
}

// Fail records a page that could not be made, r.Error saying why; r
// takes no page number, being in no page of the PDF.
func (b *Builder) Fail(r *PageReport) {
	r.Page = 0
	b.m.Failed = append(b.m.Failed, *r)
}

// Finish completes the dossier once its last page is in: the metadata
// stages (extract, and reconcile when Options.Register is set) read the pages'
// words, their summary goes into the XMP, and the PDF/A is finished. It
// returns the manifest. With no page in, it writes no PDF and returns the
// manifest with ErrNoPages. A register that cannot answer does not fail
// the dossier: the manifest's reconciliation says pending. What is known
// only once the PDF leaves (its name, size and hash, its signature) the
// caller records with Manifest.SetPDF.
func (b *Builder) Finish(ctx context.Context) (*Manifest, error) {
	m := b.m
	if len(m.Pages) == 0 {
		return &m, fmt.Errorf("%s dossier %s: %w", StageAssemble, m.Code, ErrNoPages)
	}
	md, calls, err := metadata(ctx, m.Code, m.Pages, m.Created, m.Options.Register)
	b.calls = calls
	if err != nil {
		return nil, fmt.Errorf("%s dossier %s: %w", StageReconcile, m.Code, err)
	}
	m.Metadata = md
	if err := b.pdf.SetSummary(md.Summary()); err != nil {
		return nil, fmt.Errorf("%s dossier %s: %w", StageExtract, m.Code, err)
	}
	if err := b.pdf.Close(); err != nil {
		return nil, fmt.Errorf("%s: finish dossier PDF: %w", StageAssemble, err)
	}
	return &m, nil
}

// Calls are the register calls Finish made, in order, for the dossier's
// audit trail.
func (b *Builder) Calls() []reconcile.Call { return b.calls }
