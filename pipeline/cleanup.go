package pipeline

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pipeline/raster"
	"github.com/sohoa/sohoa/pipeline/scan"
)

// Steps of normalize, clean and OCR that a run may turn off (Options.Skip). Each
// decides on each page whether it applies, from a cheap look first, so
// that a clean page pays for the look only; the manifest lists those that
// changed the page (PageReport.Cleanup) and what each cost (StageTimes).
// None changes the image the dossier shows: they work on the copy OCR
// reads.
const (
	// StepPageDPI measures the resolution on the page when the file
	// records none, or one that cannot be right.
	StepPageDPI = "page-dpi"
	// StepUpscale enlarges pages of low resolution before OCR.
	StepUpscale = "upscale"
	// StepRedDropout and StepBlueDropout make red ink (seals) and blue ink
	// (signatures) paper in OCR's copy, leaving black print.
	StepRedDropout  = "red-dropout"
	StepBlueDropout = "blue-dropout"
	// StepBorder makes paper of the dark border around a sheet (an open
	// scanner lid, a screenshot's bars).
	StepBorder = "border"
	// StepFlatten evens out the light on an unevenly lit page.
	StepFlatten = "flatten"
	// StepBleed makes paper of the back's print showing through.
	StepBleed = "bleed"
	// StepDespeckle erases specks of dust and toner from a speckled page.
	StepDespeckle = "despeckle"
	// StepLines reads again, one by one, the lines the page's reading
	// left out or read poorly (lines.go).
	StepLines = "lines"
)

// Steps lists every step Options.Skip may name.
var Steps = []string{StepBorder, StepPageDPI, StepUpscale, StepRedDropout, StepBlueDropout, StepFlatten, StepBleed, StepDespeckle, StepLines}

// CheckSkip reports a name in skip that is not a step.
func CheckSkip(skip []string) error {
	for _, s := range skip {
		if !slices.Contains(Steps, s) {
			return fmt.Errorf("unknown step %q to skip (steps: %s)", s, strings.Join(Steps, ", "))
		}
	}
	return nil
}

func (o Options) runs(step string) bool { return !slices.Contains(o.Skip, step) }

// Resolution limits.
const (
	// DoubtfulDPI: a recorded resolution under it is checked against the
	// page. Phones and screenshots record 72 or 96 dpi whatever the page;
	// a real scan that low is rare, and checking it costs one measurement.
	DoubtfulDPI = 110
	// UpscaleBelow and UpscaleTo: pages under UpscaleBelow dpi are read
	// enlarged to UpscaleTo. Measured on the nine fixture pages reduced
	// to 70-120 dpi and straightened (mean CER): at 70 dpi 0.029 read as
	// they are, 0.021 enlarged to 150 dpi, 0.026 to 200, 0.041 to 250
	// (the dots of form leaders, a grey smear at 70 dpi, come back as
	// blobs OCR reads); at 100 dpi 0.023 and 0.018 (to 150); at 120 dpi
	// 0.016 and 0.019, so from there pages are read as they are. On eight
	// generated captures of 73-130 dpi with no resolution: 0.066 as they
	// are, 0.016-0.018 enlarged to 120-180 dpi, 0.040 to 200.
	UpscaleBelow = 110
	UpscaleTo    = 150
)

// plausibleSize reports whether a w×h page at dpi is the size of a sheet
// a desk scans: from a bus ticket (3 in) to A3 with a margin (18.5 in) on
// its long side.
func plausibleSize(w, h int, dpi float64) bool {
	long := float64(max(w, h)) / dpi
	return long >= 3 && long <= 18.5
}

// resolveDPI settles the page's resolution before anything is measured
// in its units. A file with no resolution, or one that cannot be right,
// has it measured on the page (raster.EstimateDPI); the manifest keeps
// what the file said and what the page measured.
func resolveDPI(p *scan.Page, border *raster.Border, r *PageReport, opt Options) {
	w, h := p.Gray.Rect.Dx(), p.Gray.Rect.Dy()
	r.FileDPI = math.Round(p.FileDPI*10) / 10
	r.DPISource = "file"
	if p.DPIAssumed {
		r.DPISource = "assumed"
	}
	credible := !p.DPIAssumed && plausibleSize(w, h, p.DPI)
	if !opt.runs(StepPageDPI) || (credible && p.DPI >= DoubtfulDPI) {
		if p.DPIAssumed {
			r.Warnings = append(r.Warnings, fmt.Sprintf("no resolution recorded in the file; assumed %d dpi", scan.AssumedDPI))
		}
		return
	}
	var sheet image.Rectangle
	if border != nil {
		sheet = border.Sheet
	}
	e, ok := raster.EstimateDPI(p.Gray, sheet)
	if ok {
		r.EstimatedDPI = math.Round(e.DPI*10) / 10
	}
	how := "its text"
	if e.Paper != "" {
		how = "its text and " + e.Paper + " paper"
		if e.FromText == 0 {
			how = "its shape (" + e.Paper + ")"
		}
	}
	switch {
	case ok && !credible:
		if p.DPIAssumed {
			r.Warnings = append(r.Warnings, fmt.Sprintf("no resolution recorded in the file; %.0f dpi measured from %s", e.DPI, how))
		} else {
			r.Warnings = append(r.Warnings, fmt.Sprintf("recorded resolution %.0f dpi does not fit the page; %.0f dpi measured from %s", p.DPI, e.DPI, how))
		}
	case ok && math.Abs(math.Log(e.DPI/p.DPI)) > math.Log(1.3):
		r.Warnings = append(r.Warnings, fmt.Sprintf("recorded resolution %.0f dpi does not fit the text; %.0f dpi measured from %s", p.DPI, e.DPI, how))
	case !ok && p.DPIAssumed:
		r.Warnings = append(r.Warnings, fmt.Sprintf("no resolution recorded in the file, and too little text to measure it; assumed %d dpi", scan.AssumedDPI))
		return
	default: // the file's stands
		return
	}
	p.DPI = e.DPI
	r.DPI = math.Round(e.DPI*10) / 10
	r.DPISource = "text"
	if e.Paper != "" {
		r.DPISource = "paper"
	}
}

// removeBorder makes the dark border around the sheet paper, and returns
// it (nil when there was none).
func removeBorder(p *scan.Page, r *PageReport, opt Options) *raster.Border {
	if !opt.runs(StepBorder) || !raster.HasDarkEdge(p.Gray) {
		return nil
	}
	// Blocks of about a millimetre: at the file's resolution if it has
	// one, else taking the long side for A4's.
	dpi := p.DPI
	if p.DPIAssumed {
		dpi = float64(max(p.Gray.Rect.Dx(), p.Gray.Rect.Dy())) / 11.69
	}
	b := raster.FindBorder(p.Gray, dpi)
	if b == nil {
		return nil
	}
	b.Remove(p.Gray)
	r.Cleanup = append(r.Cleanup, StepBorder)
	return b
}

// bluePrinted is the share of a page's ink in blue from which the page is
// taken to be printed in blue, not signed in it (dropColour).
const bluePrinted = 0.5

// dropColour makes red and blue ink paper in the page's luminance, which
// from here on is OCR's copy: the dossier embeds the original encoding.
// Only colour pages whose chroma shows such ink pay more than a look.
func dropColour(p *scan.Page, r *PageReport, opt Options) {
	doRed, doBlue := opt.runs(StepRedDropout), opt.runs(StepBlueDropout)
	if !doRed && !doBlue {
		return
	}
	c := p.Chroma()
	if c == nil {
		return
	}
	redShare, blueShare := raster.ColourInk(c.Red, c.Blue)
	red, blue := c.Red, c.Blue
	if !doRed || !raster.WorthDropping(redShare) {
		red = nil
	}
	if !doBlue || !raster.WorthDropping(blueShare) {
		blue = nil
	}
	if red == nil && blue == nil {
		return
	}
	black, ink := raster.Tones(p.Gray)
	// Blue is a pen's: signatures and handwriting are a small share of a
	// page's ink (generated pages: under a twentieth). A page whose ink is
	// half blue or more is printed in blue, and dropping it faded every
	// letter (four pages: CER 0.071, a quarter of the marked letters
	// wrong, against 0.0046 read as they are).
	if blue != nil && blueShare >= bluePrinted*ink {
		blue = nil
	}
	if red != nil {
		// Red print (titles, headings) is read, not dropped with the seals.
		red, r.RedPrint = raster.RedPrint(red, p.DPI/float64(c.Scale))
	}
	if red == nil && blue == nil || raster.Dropout(p.Gray, red, blue, c.Scale, black) == 0 {
		return
	}
	if red != nil {
		r.Cleanup = append(r.Cleanup, StepRedDropout)
	}
	if blue != nil {
		r.Cleanup = append(r.Cleanup, StepBlueDropout)
	}
}

// UnevenLight is the spread of the paper's brightness (raster.LightSpread)
// from which a page is flattened. The fixtures, with their lamp gradient
// and mottle, measure 0.012-0.032; generated pages with uneven light of
// depth 0.3-0.55 measure 0.15-0.32 and read as well unflattened (CER
// 0.017 either way on eight); the fixtures dimmed to 40 % at one corner
// measure over 0.4, and read at CER 0.13 unflattened, 0.003 flattened.
const UnevenLight = 0.25

// flattenLight evens out the light on the page's luminance when it is
// uneven enough to matter.
func flattenLight(p *scan.Page, border *raster.Border, r *PageReport, opt Options) {
	if !opt.runs(StepFlatten) {
		return
	}
	spread := raster.LightSpread(p.Gray, p.DPI, border)
	r.LightSpread = math.Round(spread*1000) / 1000
	if spread < UnevenLight {
		return
	}
	raster.Flatten(p.Gray, raster.MeasureBackground(p.Gray, p.DPI, border))
	r.Cleanup = append(r.Cleanup, StepFlatten)
}

// BleedShare is the share of lone grey pixels, against black ones, from
// which a page shows its back's print (raster.Bleed). Clean fixtures
// measure at most 0.12; the fixtures with the back at 25 % of black
// 0.22-0.94, at 45 % 0.31-1.16. Sensor noise of σ 11-19 measures up to
// 1.4, and the step, which makes the noisy paper white, reads those pages
// better too (eight generated pages: CER 0.024 without, 0.004 with).
const BleedShare = 0.2

// BleedMinDPI: under it the strokes of 13-pt print are a pixel or two
// wide and grey all through, and grey alone does not tell the back from
// the front (a phone photo at 90 dpi lost its text to the step).
const BleedMinDPI = 150

// suppressBleed makes paper of the back's print where it shows through.
func suppressBleed(p *scan.Page, r *PageReport, opt Options) {
	if !opt.runs(StepBleed) || p.DPI < BleedMinDPI {
		return
	}
	share, level := raster.Bleed(p.Gray)
	r.Bleed = math.Round(share*1000) / 1000
	if share < BleedShare {
		return
	}
	raster.SuppressBleed(p.Gray, level)
	r.Cleanup = append(r.Cleanup, StepBleed)
}

// Blur limits. BlurSigma on the fixtures: 0.94-0.99 px, 0.034-0.052 of
// the body text's x-height; on the generated hard set (noise, JPEG 40,
// speckle, phone photos at 70-150 dpi) at most 1.07 px and 0.13. The same
// fixtures blurred by a Gaussian read as well as sharp up to 0.15 of the
// x-height (CER 0.003-0.075) and fell off from 0.18 (0.054-0.169). A page
// warns from BlurLimit of the x-height and MinBlurPx: a sharp capture at
// 70 dpi is soft in its own pixels but not blurred (its resolution has
// its own warning).
const (
	BlurLimit = 0.16
	MinBlurPx = 1.5
)

// checkSharpness measures how blurred the page is and warns the operator
// when it is too blurred to read well: nothing later can sharpen it.
func checkSharpness(p *scan.Page, r *PageReport) {
	s, n := raster.BlurSigma(p.Gray)
	if n < 200 {
		return
	}
	r.BlurPx = math.Round(s*100) / 100
	share := s / (p.DPI * raster.BodyXHeight)
	if s >= MinBlurPx && share >= BlurLimit {
		r.Blurred = true
		r.Warnings = append(r.Warnings, fmt.Sprintf("page is blurred (edges spread %.1f px, %.0f %% of the letters' height): re-scan it in focus while the citizen is at the desk", s, 100*share))
	}
}

// ocrScale returns the factor the deskew pass scales the page by for OCR
// and the resolution OCR then reads at. Scans finer than opt.OCRDPI are
// read at it (Tesseract gains nothing from finer pixels, and costs more);
// pages under UpscaleBelow are enlarged to UpscaleTo, where Tesseract's
// letters are whole; the rest are read as they are.
func ocrScale(dpi float64, opt Options) (scale, ocrDPI float64) {
	if maxOCR := float64(opt.OCRDPI); maxOCR > 0 && math.Round(dpi) > maxOCR {
		return maxOCR / dpi, maxOCR
	}
	if opt.runs(StepUpscale) && dpi < UpscaleBelow {
		return UpscaleTo / dpi, UpscaleTo
	}
	return 1, math.Round(dpi)
}

// cleanRaster erases from the straightened raster OCR reads what carries
// no text: form leaders always, specks on a speckled page.
func cleanRaster(g *image.Gray, threshold uint8, r *PageReport, opt Options) {
	c := raster.CleanForOCR(g, r.OCRDPI, threshold, opt.runs(StepDespeckle))
	r.LeaderDots = c.LeaderDots
	if c.Specks > 0 {
		r.Cleanup = append(r.Cleanup, StepDespeckle)
		r.Specks = c.Specks
	}
}

// stepTimer times the steps of a stage into StageTimes fields.
func stepTimer(into *float64, f func()) {
	t := time.Now()
	f()
	*into += ms(time.Since(t))
}
