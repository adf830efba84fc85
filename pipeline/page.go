package pipeline

import (
	"fmt"
	"image"
	"math"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/raster"
	"github.com/sohoa/sohoa/pipeline/scan"
)

// PageReport is the manifest's record of one page.
type PageReport struct {
	Page       int     `json:"page"`        // position in the dossier, 1-based
	Source     string  `json:"source"`      // file name as given
	SourcePage int     `json:"source_page"` // page (frame) within that file
	SHA256     string  `json:"sha256"`      // of the original file's bytes
	Format     string  `json:"format,omitempty"`
	Width      int     `json:"width_px,omitempty"`
	Height     int     `json:"height_px,omitempty"`
	DPI        float64 `json:"dpi,omitempty"`
	DPIAssumed bool    `json:"dpi_assumed,omitempty"`
	// EXIFOrientation is the file's own orientation tag, applied first.
	EXIFOrientation int `json:"exif_orientation,omitempty"`
	// Rotation is the clockwise turn applied after it to bring the text
	// upright (0, 90, 180, 270). RotationMethod says what decided it
	// (orient.go): "geometry" (the ink's lines alone, when they were
	// unmistakable), "osd" (Tesseract's orientation detector), "reading"
	// (a band of lines read in each candidate turn) or "reread" (the whole
	// page read better in another turn). RotationConfidence (0-1) is the
	// share of that method's decisions, at that margin, found right on the
	// calibration pages: a probability, not a strength of evidence.
	Rotation           int     `json:"rotation_deg"`
	RotationConfidence float64 `json:"rotation_confidence"`
	RotationMethod     string  `json:"rotation_method,omitempty"`
	// Reread is set when the page's reading was poor and the page was
	// tried in its next-best turn; when the re-read was kept, Rotation,
	// Skew and the text are the re-read's.
	Reread *Reread `json:"reread,omitempty"`
	// Lines counts the lines read again on their own (lines.go), when
	// any was.
	Lines *LineRereads `json:"lines,omitempty"`
	// Skew is the tilt found, counter-clockwise as seen, in degrees; the
	// page was turned by -Skew to straighten it.
	Skew        float64 `json:"skew_deg"`
	Blank       bool    `json:"blank"`
	LowDPI      bool    `json:"low_dpi"`
	InkFraction float64 `json:"ink_fraction"`
	// FileDPI is the resolution the file recorded (0: none). When there
	// was none, or one that cannot be right, the page's own is measured
	// (EstimatedDPI; 0: not measured, or nothing to measure by), and
	// DPISource says where DPI came from: "file", "text" (the body text's
	// size), "paper" (the sheet the page's shape and text match) or
	// "assumed" (scan.AssumedDPI).
	FileDPI      float64 `json:"file_dpi"`
	EstimatedDPI float64 `json:"estimated_dpi,omitempty"`
	DPISource    string  `json:"dpi_source"`
	// Cleanup names the steps that changed the raster OCR read (see
	// Steps); the dossier shows the page as scanned.
	Cleanup []string `json:"cleanup,omitempty"`
	// Image is how the page's image went into the PDF (compact.go).
	Image PageImage `json:"image"`
	// LightSpread is how unevenly the paper is lit: 1 - dimmest/brightest
	// paper (0: even); StepFlatten evens it out from UnevenLight up.
	LightSpread float64 `json:"light_spread"`
	// Bleed is how much of the back's print shows through (grey pixels
	// away from black ones, against the black ones); StepBleed removes it
	// from BleedShare up.
	Bleed float64 `json:"bleed"`
	// BlurPx is how blurred the page is, as the σ in pixels of a Gaussian
	// blur (about 1 for a sharp scan); Blurred is set when that is too much
	// for its letters to read well (BlurLimit), and a warning says so.
	BlurPx  float64 `json:"blur_px"`
	Blurred bool    `json:"blurred"`
	// OCRDPI is the resolution of the straightened raster OCR read; word
	// boxes are in its pixels.
	OCRDPI float64 `json:"ocr_dpi"`
	// LeaderDots counts the form's dotted-line dots erased before OCR,
	// Specks the specks of dust and toner (StepDespeckle).
	LeaderDots int `json:"leader_dots"`
	Specks     int `json:"specks,omitempty"`
	// RedPrint counts the red letters kept from the red dropout: print in
	// red, read as print, where the seals' red was dropped.
	RedPrint      int     `json:"red_print,omitempty"`
	OCRConfidence float64 `json:"ocr_confidence"`
	Words         int     `json:"words"`
	Text          string  `json:"text"`
	// WordBoxes locate each word on the straightened page, in pixels at
	// DPI, with its line (numbered from 0 in reading order): what later
	// extraction of names, dates and ID numbers works from.
	WordBoxes []WordBox  `json:"word_boxes,omitempty"`
	Warnings  []string   `json:"warnings,omitempty"`
	Error     string     `json:"error,omitempty"`
	Times     StageTimes `json:"ms"`
}

// WordBox is one recognised word in the manifest.
type WordBox struct {
	Text       string  `json:"text"`
	Box        [4]int  `json:"box"` // x0, y0, x1, y1
	Confidence float64 `json:"conf"`
	Line       int     `json:"line"`
}

// Processed is a page through every stage but assembly.
type Processed struct {
	Report PageReport
	PDF    pdf.Page
}

// Process takes page n of f through normalize, orient, assess, deskew,
// clean and ocr. eng is the calling worker's own OCR engine.
func Process(f *scan.File, n int, eng *ocr.Engine, opt Options) (*Processed, error) {
	r := PageReport{Source: f.Name(), SourcePage: n, SHA256: f.SHA256, Format: f.Format}
	fail := func(stage string, err error) (*Processed, error) {
		if stage == StageNormalize { // scan errors name the file and page
			err = fmt.Errorf("%s: %w", stage, err)
		} else {
			err = fmt.Errorf("%s %s page %d: %w", stage, f.Name(), n, err)
		}
		r.Error = err.Error()
		return &Processed{Report: r}, err
	}

	// normalize
	t := time.Now()
	p, err := f.Page(n)
	if err != nil {
		return fail(StageNormalize, err)
	}
	r.Width, r.Height, r.DPI, r.DPIAssumed = p.Gray.Rect.Dx(), p.Gray.Rect.Dy(), math.Round(p.DPI*10)/10, p.DPIAssumed
	r.EXIFOrientation = p.Orientation
	r.Warnings = append(r.Warnings, p.Notes...)
	var border *raster.Border
	stepTimer(&r.Times.Border, func() { border = removeBorder(p, &r, opt) })
	stepTimer(&r.Times.Resolution, func() { resolveDPI(p, border, &r, opt) })
	stepTimer(&r.Times.Sharpness, func() { checkSharpness(p, &r) })
	embed := pageImage(p, &r, opt) // before the cleanup below changes p.Gray
	stepTimer(&r.Times.Dropout, func() { dropColour(p, &r, opt) })
	stepTimer(&r.Times.Flatten, func() { flattenLight(p, border, &r, opt) })
	stepTimer(&r.Times.Bleed, func() { suppressBleed(p, &r, opt) })
	r.Times.Normalize = ms(time.Since(t))

	// orient: measured on a small copy in the file's display frame.
	t = time.Now()
	thumb, factor := raster.Thumbnail(p.Gray, p.DPI)
	exifT, tw, th := raster.EXIF(p.Orientation, thumb.Rect.Dx(), thumb.Rect.Dy())
	if exifT != raster.Identity {
		thumb = raster.Render(thumb, exifT.Invert(), tw, th)
	}
	ink := raster.FindInk(thumb, p.DPI/float64(factor))
	layout := raster.Measure(ink)
	var upright orientation
	if ink.Fraction() >= BlankInk { // a blank page has nothing to read
		if upright, err = orient(thumb, p.DPI/float64(factor), ink, layout, eng); err != nil {
			return fail(StageOrient, err)
		}
		layout = upright.layout
	}
	r.Times.Orient = ms(time.Since(t))

	// assess
	t = time.Now()
	r.InkFraction = math.Round(ink.Fraction()*1e5) / 1e5
	r.Blank = ink.Fraction() < BlankInk
	r.LowDPI = math.Round(p.DPI) < MinDPI // pHYs in px/m gives 199.9996 for 200
	if r.Blank {
		r.Warnings = append(r.Warnings, WarnBlank)
		layout = raster.Layout{} // nothing to measure orientation by
	}
	if r.LowDPI {
		r.Warnings = append(r.Warnings, lowDPIWarning(p.DPI))
	}
	r.Rotation = layout.Turns * 90
	r.RotationConfidence = math.Round(upright.confidence*1000) / 1000 // 0.995 is not 1
	r.RotationMethod = upright.method
	r.Skew = math.Round(layout.Skew*1000) / 1000
	r.Times.Assess = ms(time.Since(t))

	// deskew: stored pixels → display frame → quarter turns → tilt undone.
	t = time.Now()
	w, h := p.Gray.Rect.Dx(), p.Gray.Rect.Dy()
	toOut, ow, oh := raster.EXIF(p.Orientation, w, h)
	turn, ow, oh := raster.QuarterTurn(layout.Turns, ow, oh)
	toOut = toOut.Then(turn)
	if math.Abs(layout.Skew) >= minSkew {
		toOut = toOut.Then(raster.RotateAbout(-layout.Skew, float64(ow)/2, float64(oh)/2))
	}
	// The paper's size, whatever resolution OCR reads at.
	pageW, pageH := float64(ow)*72/p.DPI, float64(oh)*72/p.DPI
	var s float64
	if s, r.OCRDPI = ocrScale(p.DPI, opt); s != 1 {
		toOut = toOut.Then(raster.Scale(s, s))
		ow, oh = int(math.Round(float64(ow)*s)), int(math.Round(float64(oh)*s))
	}
	straight := p.Gray
	if toOut != raster.Identity && !r.Blank {
		straight = raster.Render(p.Gray, toOut.Invert(), ow, oh)
	}
	r.Times.Deskew = ms(time.Since(t))

	// clean: in place; the decoded page is not looked at again (the PDF
	// embeds the original encoded bytes).
	t = time.Now()
	if !r.Blank {
		cleanRaster(straight, ink.Threshold, &r, opt)
	}
	r.Times.Clean = ms(time.Since(t))

	// ocr
	t = time.Now()
	var res ocr.Result
	if !r.Blank {
		got, err := eng.Recognize(straight, int(r.OCRDPI))
		if err != nil {
			return fail(StageOCR, err)
		}
		res = *got
		// A poor reading is tried in the next-best turn (orient.go).
		rec, better, alt, err := reread(eng, straight, r.OCRDPI, ink.Threshold, &res, upright)
		if err != nil {
			return fail(StageOCR, err)
		}
		read := straight // the raster the words are found on
		if r.Reread = rec; better != nil {
			res, read = *better, alt.g
			toOut = toOut.Then(alt.transform(ow, oh))
			if alt.turns%2 == 1 {
				pageW, pageH = pageH, pageW
			}
			ow, oh = alt.w, alt.h
			r.Rotation = (r.Rotation + 90*alt.turns) % 360
			r.Skew = math.Round((r.Skew+alt.skew)*1000) / 1000
			r.RotationMethod = OrientReread
			r.RotationConfidence = math.Round(rec.confidence*1000) / 1000
		}
		if opt.runs(StepLines) {
			ts := time.Now()
			st, err := rereadLines(eng, read, r.OCRDPI, ink.Threshold, &res)
			if err != nil {
				return fail(StageOCR, err)
			}
			if st != (LineRereads{}) {
				r.Lines = &st
			}
			r.Times.Lines = ms(time.Since(ts))
		}
	}
	if ink.Faint && !r.Blank && showThrough(&res, eng) {
		r.Blank = true
		r.Warnings = append(r.Warnings, WarnBlank)
		res = ocr.Result{}
	}
	r.OCRConfidence = res.MeanConfidence
	r.Words = len(res.Words)
	r.Text = res.Text()
	for i, line := range res.Lines() {
		for _, w := range line {
			r.WordBoxes = append(r.WordBoxes, WordBox{Text: w.Text, Confidence: w.Confidence, Line: i,
				Box: [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y}})
		}
	}
	if r.Words > 0 && r.OCRConfidence < LowConfidence {
		r.Warnings = append(r.Warnings, fmt.Sprintf("low OCR confidence %.0f: check the page, re-scan if it is hard to read", r.OCRConfidence))
	}
	r.Times.OCR = ms(time.Since(t))

	page := pdfPage(p, embed, toOut, ow, oh, pageW, pageH, &res)
	page.Original = pdf.Original{Name: r.Source, Page: n, SHA256: r.SHA256}
	return &Processed{Report: r, PDF: page}, nil
}

// pdfPage lays the page out at its physical size: the original image drawn
// through toOut (so the PDF straightens it, not a re-encode) and the words,
// found on the straightened raster, placed where they show. embed is the
// page's image as it goes in (pageImage): whatever its own size, it is
// drawn over the original's pixels, so the words stay where they show.
func pdfPage(p *scan.Page, embed pdf.Image, toOut raster.Affine, ow, oh int, pageW, pageH float64, res *ocr.Result) pdf.Page {
	// Points per output pixel; the raster's whole-pixel size may differ from
	// the paper's by a fraction of a pixel, which this absorbs.
	kx, ky := pageW/float64(ow), pageH/float64(oh)
	w, h := float64(p.Gray.Rect.Dx()), float64(p.Gray.Rect.Dy())
	// PDF draws an image into the unit square with its first row at the top.
	unitToPixels := raster.Affine{w, 0, 0, -h, 0, h}
	outToPage := raster.Affine{kx, 0, 0, -ky, 0, pageH}
	page := pdf.Page{
		Width:  pageW,
		Height: pageH,
		Image:  embed,
		Matrix: unitToPixels.Then(toOut).Then(outToPage),
	}
	rect := func(b image.Rectangle) pdf.Rect {
		return pdf.Rect{X0: float64(b.Min.X) * kx, X1: float64(b.Max.X) * kx,
			Y0: float64(oh-b.Max.Y) * ky, Y1: float64(oh-b.Min.Y) * ky}
	}
	for _, line := range res.Lines() {
		var l pdf.Line
		box := line[0].Box
		for _, wd := range line {
			l.Words = append(l.Words, pdf.Word{Text: wd.Text, Box: rect(wd.Box)})
			box = box.Union(wd.Box)
		}
		l.Box = rect(box)
		page.Lines = append(page.Lines, l)
	}
	return page
}

// WarnBlank is the warning of a page with no ink on it.
const WarnBlank = "blank page"

// showThrough reports whether res, the reading of a page whose only ink is
// faint (raster.Ink.Faint), read the back of a blank page showing through
// rather than faded print: the back's print, mirrored, reads as garbage,
// unsure and (in Vietnamese) not made of syllables, where faded print
// reads as the page it is. The page is then blank, and the garbage is
// no text to search or extract from.
func showThrough(res *ocr.Result, eng *ocr.Engine) bool {
	if len(res.Words) == 0 {
		return true
	}
	if res.MeanConfidence >= LowConfidence {
		return false
	}
	share, ok := ocr.Plausibility(res.Words)
	return !vietnamese(eng) || !ok || share < showThroughSyllables
}

// showThroughSyllables is the share of a faint page's letters in
// Vietnamese syllables under which its unsure reading is taken for the
// back's mirrored print. Measured: the mirrored backs of generated pages
// read at confidence 41-44 with 0.14-0.18 of their letters in syllables;
// the same pages faded to 35 % at 95-96 with 0.96-1.00 (only a reading
// under LowConfidence is looked at).
const showThroughSyllables = 0.5

func lowDPIWarning(dpi float64) string {
	return fmt.Sprintf("scanned at %.0f dpi, below %d dpi: re-scan for reliable text", dpi, MinDPI)
}

// Glance is what a page's file tells at once, before any of the stages:
// the warnings of a blank page and of a resolution recorded below MinDPI,
// in the words the assess stage uses. The service gives them to the
// operator as the page arrives, while the citizen is still at the desk;
// the page stage replaces them with its own (it also measures a
// resolution the file does not record, and sees turned and blurred
// pages). It costs a decode and a look at a small copy.
func Glance(p *scan.Page) []string {
	warnings := []string{}
	thumb, factor := raster.Thumbnail(p.Gray, p.DPI)
	if raster.FindInk(thumb, p.DPI/float64(factor)).Fraction() < BlankInk {
		warnings = append(warnings, WarnBlank)
	}
	if !p.DPIAssumed && math.Round(p.DPI) < MinDPI {
		warnings = append(warnings, lowDPIWarning(p.DPI))
	}
	return warnings
}
