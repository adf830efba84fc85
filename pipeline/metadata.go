package pipeline

import (
	"context"
	"time"

	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/reconcile"
	"github.com/sohoa/sohoa/register"
)

// The metadata stages run once a dossier's last page is in (Builder.Finish):
// extract reads each document's type, dates and the people it names off
// the pages' words; reconcile checks those people against the population
// register, when one is configured. Their result is the manifest's
// Metadata and, summarised, the PDF's XMP.

// Metadata is what the dossier's documents say and what the register made
// of it.
type Metadata struct {
	Documents []Document `json:"documents"`
	// Reconciliation is nil when no register was asked; its Status is
	// reconcile.Pending when the register could not answer, and the service
	// asks again later.
	Reconciliation *reconcile.Result `json:"reconciliation,omitempty"`
}

// Document is one document of the dossier: the dossier pages it spans and
// what extraction read off them.
type Document struct {
	FirstPage int `json:"first_page"`
	LastPage  int `json:"last_page"`
	extract.Metadata
}

// Register is the population register a Builder reconciles with, and who
// asks.
type Register struct {
	Register register.Register
	Caller   reconcile.Caller
}

// Documents splits the dossier's pages into documents and extracts each.
// A document starts at a page whose own words carry a document title
// (extract recognises it); the pages after it without one continue it. now
// bounds the years of birth an identification number may give.
func Documents(pages []PageReport, now time.Time) []Document {
	var docs []Document
	var group []extract.Page
	flush := func() {
		if len(group) == 0 {
			return
		}
		docs = append(docs, Document{FirstPage: group[0].Number, LastPage: group[len(group)-1].Number,
			Metadata: extract.Extract(group, now)})
		group = nil
	}
	for _, r := range pages {
		p := extract.Page{Number: r.Page, Words: make([]extract.Word, len(r.WordBoxes))}
		for i, w := range r.WordBoxes {
			p.Words[i] = extract.Word{Text: w.Text, Box: w.Box, Confidence: w.Confidence, Line: w.Line}
		}
		if len(group) > 0 && extract.OpensDocument(p) {
			flush()
		}
		group = append(group, p)
	}
	flush()
	return docs
}

// metadata runs the metadata stages over the dossier's pages. calls are
// the register calls made, for the caller's audit trail.
func metadata(ctx context.Context, code string, pages []PageReport, created time.Time, reg *Register) (*Metadata, []reconcile.Call, error) {
	m := &Metadata{Documents: Documents(pages, created)}
	if reg == nil || reg.Register == nil {
		return m, nil, nil
	}
	return Reconcile(ctx, code, m, *reg)
}

// Reconcile asks the register about the people of a dossier's documents:
// the reconcile stage, and what the service does again for a dossier left
// pending. It returns a copy of m with the new reconciliation, and the
// register calls made; the error is only ever a cancelled ctx.
func Reconcile(ctx context.Context, code string, m *Metadata, reg Register) (*Metadata, []reconcile.Call, error) {
	docs := make([]extract.Metadata, len(m.Documents))
	for i, d := range m.Documents {
		docs[i] = d.Metadata
	}
	res, calls, err := reconcile.Reconcile(ctx, reg.Register, reg.Caller, code, docs, time.Now())
	if err != nil {
		return nil, calls, err
	}
	out := *m
	out.Reconciliation = res
	return &out, calls, nil
}

// Summary is the XMP's summary of m.
func (m *Metadata) Summary() pdf.Summary {
	var s pdf.Summary
	seen := map[string]bool{}
	for _, d := range m.Documents {
		if d.DocumentType != "" && !seen[d.DocumentType] {
			seen[d.DocumentType] = true
			s.DocumentTypes = append(s.DocumentTypes, d.DocumentType)
		}
	}
	// The reconciliation lists every person of every document, in order:
	// the k-th of a document is that document's k-th person.
	outcome := map[[2]int]string{}
	if r := m.Reconciliation; r != nil {
		s.Reconciliation = r.Status
		next := map[int]int{}
		for _, rp := range r.People {
			outcome[[2]int{rp.Document, next[rp.Document]}] = rp.Outcome
			next[rp.Document]++
		}
	}
	for di, d := range m.Documents {
		for pi, p := range d.People {
			sp := pdf.SummaryPerson{Role: p.Role, Name: fieldValue(p.Name), Birth: fieldValue(p.DateOfBirth),
				Number: fieldValue(p.ID), Register: outcome[[2]int{di, pi}]}
			if sp.Number == "" {
				sp.Number = fieldValue(p.LegacyID)
			}
			if sp.Name != "" || sp.Number != "" {
				s.People = append(s.People, sp)
			}
		}
	}
	return s
}

func fieldValue(f *extract.Field) string {
	if f == nil || f.Problem != "" {
		return ""
	}
	return f.Value
}
