// Package pipeline turns scanned pages into a searchable dossier PDF. It
// names the stages once, in the order every page goes through them:
//
//  1. normalize: decode the scan (JPEG, PNG, TIFF frame, image-only PDF
//     page) into luminance, its resolution and the bytes to embed; measure
//     the resolution on the page when the file has none that fits, and
//     its sharpness; clean the luminance OCR will read of what the light
//     and the scanner added (dark border, seals and signatures in colour,
//     uneven light, the back's print showing through: cleanup.go), the
//     dossier keeping the page as scanned;
//  2. orient: find which way up the text reads, and its tilt, from the ink,
//     checked by reading when the ink alone is not clear (orient.go);
//  3. assess: flag what the operator must hear about (blank page, low
//     resolution) before any expensive work;
//  4. deskew: straighten: one resampling pass that applies EXIF
//     orientation, quarter turns and tilt together, and the scale OCR
//     reads at (down to OCRDPI, up from low resolutions);
//  5. clean: erase what misleads OCR but carries no text: the dotted
//     leader lines of forms, which Tesseract otherwise reads as text fused
//     to the values above them, and the specks of a dusty scan;
//  6. ocr: recognise Vietnamese text, word by word;
//  7. assemble: write the page into the dossier PDF, the original image
//     drawn straight by the PDF's own transform and the recognised words
//     laid invisibly over it;
//
// and once the dossier's pages are all in:
//
//  8. extract: split the pages into documents at their titles and read
//     each one's type, dates and the people it names (ID numbers, names,
//     dates of birth, addresses) off the words (package pipeline/extract);
//  9. reconcile: check those people against the population register, field
//     by field, and attach the register's record (pipeline/reconcile; a
//     register that cannot answer leaves the dossier pending, not failed);
//     a summary of both goes into the PDF's XMP;
//  10. sign: seal the PDF/A with the service center's PAdES signature, as
//     an incremental update (package sign).
//
// The command line (Ingest) and the workers call these stages; none of them
// re-implements one. Both make a dossier from its processed pages with one
// Builder (dossier.go), which owns assembly and the manifest's content, so
// a dossier made either way from the same pages is the same.
package pipeline

import (
	"time"
)

// Stage names, in order.
const (
	StageNormalize = "normalize"
	StageOrient    = "orient"
	StageAssess    = "assess"
	StageDeskew    = "deskew"
	StageClean     = "clean"
	StageOCR       = "ocr"
	StageAssemble  = "assemble"
	// Once per dossier, when its last page is in: the metadata stages
	// (metadata.go), then the seal.
	StageExtract   = "extract"
	StageReconcile = "reconcile"
	StageSign      = "sign"
)

// Stages lists the stages in the order a page goes through them.
var Stages = []string{StageNormalize, StageOrient, StageAssess, StageDeskew, StageClean, StageOCR, StageAssemble}

// Defaults that run on one desk PC.
const (
	DefaultLang = "vie"
	// DefaultOCRDPI is the resolution OCR reads 300-dpi scans at. Tesseract
	// scales every text line to a fixed height before recognising it, so
	// finer pixels buy 13-pt text nothing while layout analysis costs grow
	// with their number. Measured: on 60 generated pages the character
	// error rate was 0.0203 read at 200 dpi and 0.0221 at native resolution
	// (on the 10 fixture pages 0.0229 and 0.0212), for about 12 % less CPU
	// time on 20 pages.
	DefaultOCRDPI = 200
	// MinDPI is the resolution below which a page is flagged: Tesseract's
	// accuracy on 13-pt text with tone marks falls off under 200 dpi.
	MinDPI = 200
	// BlankInk is the share of ink pixels below which a page is blank:
	// a line of text covers more than ten times as much.
	BlankInk = 0.0003
	// LowConfidence is the mean word confidence (0-100) under which a
	// page's text is flagged as doubtful: clean 13-pt print reads above 85.
	LowConfidence = 60
	// minSkew is the smallest tilt worth a resampling pass; below it the
	// measurement itself is not certain of the sign.
	minSkew = 0.05
)

// StageTimes records milliseconds spent in each stage of one page.
type StageTimes struct {
	Normalize float64 `json:"normalize"`
	Orient    float64 `json:"orient"`
	Assess    float64 `json:"assess"`
	Deskew    float64 `json:"deskew"`
	Clean     float64 `json:"clean"`
	OCR       float64 `json:"ocr"`
	Assemble  float64 `json:"assemble"`
	// Steps within them (part of their stage's time; see Steps), each
	// the look that decides and the work if it applies: in normalize,
	// removing a dark border, measuring the resolution and the sharpness,
	// colour dropout, flattening the light and suppressing bleed-through.
	Border     float64 `json:"border,omitempty"`
	Resolution float64 `json:"resolution,omitempty"`
	Sharpness  float64 `json:"sharpness,omitempty"`
	Dropout    float64 `json:"dropout,omitempty"`
	Flatten    float64 `json:"flatten,omitempty"`
	Bleed      float64 `json:"bleed,omitempty"`
	// In ocr: reading lost and poorly read lines again (StepLines).
	Lines float64 `json:"lines,omitempty"`
}

// Total is the page's whole time: its stages' (the steps are parts of
// them).
func (t StageTimes) Total() float64 {
	return t.Normalize + t.Orient + t.Assess + t.Deskew + t.Clean + t.OCR + t.Assemble
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
