// Package scanset makes the test scans sohoa's pipeline is measured on:
// Vietnamese administrative pages (forms with seals and signatures,
// decisions, notices) typeset in a serif (Liberation Serif, metric twin of
// Times New Roman, where the installed one covers Vietnamese; else DejaVu
// Serif Condensed), then degraded the way a desk degrades them, each with
// its ground truth text. There are three sets:
//
//   - Fixtures: the committed set under testdata/scans, fixed by
//     FixtureSeed: a desk scanner's ordinary faults (skew, a page turned
//     sideways or upside down, paper tone, blur, noise, show-through, JPEG);
//   - Bench: n unseen random pages of the same kind, for benchmarks;
//   - Hard: pages as the worst desks send them, by class (heavy noise,
//     speckle, JPEG 40, 150 dpi, seal and signature over the text, a scanner
//     lid's dark border, bleed-through, uneven light, skew to 15°, captures
//     with no resolution recorded), generated on the fly by tests from
//     HardSeed rather than committed.
//
// Each returns the encoded files in memory with their pages' catalog
// entries and truth; Write puts a set on disk and Check verifies one there.
// Command testdata/gen is the command line over this package. See
// testdata/README.md for the catalog's conventions on skew and rotation.
package scanset

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// FixtureSeed fixes the committed fixture set.
const FixtureSeed = 20250415

// Entry describes one page in catalog.json. File is relative to the folder
// catalog.json lies in; Truth to the folder above that one.
type Entry struct {
	File        string  `json:"file"`
	Page        int     `json:"page"`
	DPI         int     `json:"dpi"`
	SkewDeg     float64 `json:"skew_deg"`
	RotationDeg int     `json:"rotation_deg"`
	Blank       bool    `json:"blank"`
	Truth       string  `json:"truth"`
	Color       bool    `json:"color"`
	Kind        string  `json:"kind"`
	Doc         string  `json:"doc"`
	WidthPx     int     `json:"width_px"`
	HeightPx    int     `json:"height_px"`
	// Class is the hard set's page class, which also opens the file name.
	Class string `json:"class,omitempty"`
	// NoDPI says the file records no resolution at all (no JFIF density,
	// pHYs or EXIF resolution); DPI is then the page's true resolution,
	// the A4 sheet's width in pixels over 8.27 inches.
	NoDPI bool `json:"no_dpi,omitempty"`
	// Degradations lists what was done to the page beyond an ordinary
	// scan, for reports.
	Degradations []string `json:"degradations,omitempty"`
}

// Page is one generated page: its catalog entry and its ground truth.
type Page struct {
	Entry
	// TruthFile is the truth's file name, in the truth folder Write is
	// given; Entry.Truth is filled in by Write, relative to where it writes.
	TruthFile string
	// Text is the ground truth: NFC, one line per printed line, each ending
	// in a newline; empty for a blank page.
	Text string
}

// File is one generated scan file and the pages it holds.
type File struct {
	Name  string
	Data  []byte
	Pages []Page
}

// Fixtures makes the committed fixture set. File names, resolutions, skews,
// rotations and colours are a contract with the pipeline's tests.
func Fixtures() ([]File, error) { return generate(fixtures(FixtureSeed), FixtureSeed) }

// Bench makes n unseen random pages for benchmarks: random texts and
// kinds, 200 or 300 dpi, skew uniform in [-15°, 15°] (lessened only where a
// line would leave the image), one in five upside down, one in ten
// sideways, JPEG or PNG.
func Bench(n int, seed uint64) ([]File, error) {
	if n < 0 {
		return nil, fmt.Errorf("bench pages: n must not be negative, got %d", n)
	}
	return generate(bench(n, seed), seed)
}

// Typeface names the regular font file the pages are typeset in: the
// first installed set that covers Vietnamese.
func Typeface() (string, error) {
	fs, err := loadFonts()
	if err != nil {
		return "", err
	}
	return filepath.Base(fs.files[0]), nil
}

// outputFile is one file under scans/ and the pages it holds.
type outputFile struct {
	name    string
	format  string // jpg, png, tif or pdf
	quality int    // JPEG quality, for jpg and pdf
	noDPI   bool   // record no resolution in the file (jpg and png)
	quick   bool   // made for one run, not kept: PNG at its fastest compression
	// stream, when set, numbers the random streams of the file's pages in
	// place of its position in the set, so that a page stays the same
	// whatever else is generated with it.
	stream uint64
	pages  []*pageJob
}

// pageJob is one page to typeset and scan. build makes the page's text;
// nil makes a blank page. back, when set, is the text on the back of the
// sheet that shows through.
type pageJob struct {
	build  func(rng *rand.Rand) *doc
	back   func(rng *rand.Rand) *doc
	dpi    int
	spec   scanSpec
	shrink bool // benchmark pages: lessen the skew until no line leaves the image
	// The hard set's marks made over the printed lines, after typesetting:
	// a seal stamped and a signature scrawled where they cover text.
	sealOver, signOver bool
	class              string // the hard set's class; empty elsewhere

	img   image.Image
	lines []string
	kind  string
	name  string
}

// generate typesets, scans and encodes the pages.
func generate(outs []*outputFile, seed uint64) ([]File, error) {
	if err := render(outs, seed); err != nil {
		return nil, err
	}
	files := make([]File, len(outs))
	errs := make([]error, len(outs))
	parallel(len(outs), func(i int) { files[i], errs[i] = encodeFile(outs[i]) })
	return files, errors.Join(errs...)
}

func encodeFile(o *outputFile) (File, error) {
	data, err := encode(o)
	if err != nil {
		return File{}, fmt.Errorf("encode %s: %w", o.name, err)
	}
	f := File{Name: o.name, Data: data}
	base := strings.TrimSuffix(o.name, filepath.Ext(o.name))
	for i, j := range o.pages {
		name := base + ".txt"
		if len(o.pages) > 1 {
			name = fmt.Sprintf("%s-p%d.txt", base, i+1)
		}
		text := ""
		if len(j.lines) > 0 {
			text = strings.Join(j.lines, "\n") + "\n"
		}
		var degradations []string
		if j.class != "" {
			degradations = describe(j, o)
		}
		b := j.img.Bounds()
		f.Pages = append(f.Pages, Page{
			Entry: Entry{
				File: o.name, Page: i + 1, DPI: j.dpi, SkewDeg: j.spec.skew, RotationDeg: j.spec.rotation,
				Blank: j.build == nil, Color: j.spec.color, Kind: j.kind, Doc: j.name,
				WidthPx: b.Dx(), HeightPx: b.Dy(),
				Class: j.class, NoDPI: o.noDPI, Degradations: degradations,
			},
			TruthFile: name,
			Text:      text,
		})
	}
	return f, nil
}

// parallel calls f(0) to f(n-1), a worker per core up to four.
func parallel(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), 4); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// render typesets and scans every page, a worker per core; each page draws
// from its own random stream, so the result does not depend on scheduling.
func render(outs []*outputFile, seed uint64) error {
	type task struct {
		job    *pageJob
		stream uint64
	}
	var tasks []task
	for i, o := range outs {
		base := uint64(i) << 16
		if o.stream != 0 {
			base = o.stream
		}
		for p, j := range o.pages {
			tasks = append(tasks, task{j, base | uint64(p)})
		}
	}
	ch := make(chan task)
	errs := make(chan error, len(tasks))
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), 4); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs, err := loadFonts() // faces keep buffers: one set per worker
			if err != nil {
				errs <- err
				for range ch {
				}
				return
			}
			for t := range ch {
				if err := renderPage(fs, t.job, rand.New(rand.NewPCG(seed, t.stream))); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, t := range tasks {
		ch <- t
	}
	close(ch)
	wg.Wait()
	close(errs)
	return <-errs
}

func renderPage(fs *fonts, j *pageJob, rng *rand.Rand) error {
	w, h := pagePixels(j.dpi)
	s := &sheet{w: w, h: h, dpi: j.dpi, ink: image.NewAlpha(image.Rect(0, 0, w, h))}
	j.kind, j.name = "blank", "blank"
	if j.build != nil {
		d := j.build(rng)
		var err error
		s, err = typeset(fs, d, j.dpi, rng)
		// A random benchmark page may draw names and addresses too long for
		// one sheet: draw again.
		for tries := 0; err != nil && j.shrink && tries < 20; tries++ {
			d = j.build(rng)
			s, err = typeset(fs, d, j.dpi, rng)
		}
		if err != nil {
			return err
		}
		j.kind, j.name = d.kind, d.name
		for !fits(s, j.spec) {
			if !j.shrink {
				return fmt.Errorf("%s at %d dpi: text leaves the image at skew %.1f°", d.name, j.dpi, j.spec.skew)
			}
			j.spec.skew = math.Trunc(j.spec.skew*0.9*100) / 100
			j.spec.shift = [2]float64{math.Trunc(j.spec.shift[0]*0.9*10) / 10, math.Trunc(j.spec.shift[1]*0.9*10) / 10}
		}
		if j.sealOver {
			sealOverText(fs, s, rng)
		}
		if j.signOver {
			signOverText(s, rng)
		}
	}
	var back *image.Alpha
	if j.back != nil {
		b, err := typeset(fs, j.back(rng), j.dpi, rng)
		if err != nil {
			return err
		}
		back = b.ink
	}
	j.lines = s.lines
	j.img = scan(s, back, j.spec, rng)
	return nil
}

// Write puts files into the scans folder, their truth into the truth
// folder, and the catalog into scans/catalog.json, its truth paths relative
// to the folder above scans.
func Write(scans, truth string, files []File) error {
	for _, d := range []string{scans, truth} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	absScans, err := filepath.Abs(scans)
	if err != nil {
		return err
	}
	absTruth, err := filepath.Abs(truth)
	if err != nil {
		return err
	}
	truthRel, err := filepath.Rel(filepath.Dir(absScans), absTruth)
	if err != nil {
		return err
	}
	catalog := []Entry{}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(scans, f.Name), f.Data, 0o644); err != nil {
			return err
		}
		for _, p := range f.Pages {
			if err := os.WriteFile(filepath.Join(truth, p.TruthFile), []byte(p.Text), 0o644); err != nil {
				return err
			}
			e := p.Entry
			e.Truth = filepath.ToSlash(filepath.Join(truthRel, p.TruthFile))
			catalog = append(catalog, e)
		}
	}
	js, err := json.MarshalIndent(catalog, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(scans, "catalog.json"), append(js, '\n'), 0o644)
}

// A4 in PostScript points.
const a4WidthPt, a4HeightPt = 595.28, 841.89

func encode(o *outputFile) ([]byte, error) {
	p0 := o.pages[0]
	switch o.format {
	case "jpg":
		if o.noDPI {
			return encodeJPEGNoDPI(p0.img, o.quality)
		}
		return encodeJPEG(p0.img, o.quality, p0.dpi)
	case "png":
		level := png.BestCompression
		if o.quick {
			level = png.BestSpeed
		}
		if o.noDPI {
			return encodePNGNoDPI(p0.img, level)
		}
		return encodePNG(p0.img, p0.dpi, level)
	case "tif":
		var pages []*image.Gray
		for _, j := range o.pages {
			g, ok := j.img.(*image.Gray)
			if !ok {
				return nil, fmt.Errorf("TIFF pages must be grey")
			}
			pages = append(pages, g)
		}
		return encodeTIFF(pages, p0.dpi)
	case "pdf":
		var pages []pdfPage
		for _, j := range o.pages {
			data, err := encodeJPEG(j.img, o.quality, j.dpi)
			if err != nil {
				return nil, err
			}
			b := j.img.Bounds()
			_, gray := j.img.(*image.Gray)
			pages = append(pages, pdfPage{jpeg: data, w: b.Dx(), h: b.Dy(), gray: gray})
		}
		return encodePDF(pages, a4WidthPt, a4HeightPt, "D:20250415093000+07'00'"), nil
	}
	return nil, fmt.Errorf("unknown format %q", o.format)
}
