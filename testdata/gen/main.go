// Command gen renders the test scans sohoa's pipeline is tested on:
// Vietnamese administrative pages (forms with seals and signatures,
// decisions, notices) typeset in a serif (Liberation Serif, metric twin of
// Times New Roman, where the installed one covers Vietnamese; else DejaVu
// Serif Condensed), then degraded the way
// a desk scanner degrades them (skew, a page turned sideways or upside
// down, paper tone, blur, noise, show-through, JPEG), each with its ground
// truth text.
//
// Run from the module root:
//
//	go run ./testdata/gen                        # regenerate the committed fixtures
//	go run ./testdata/gen -out DIR -n 50 -seed 7 # 50 unseen pages for benchmarks
//
// The fixtures go to testdata/scans (images and catalog.json) and
// testdata/truth; benchmark pages to DIR (images and catalog.json) and
// DIR/truth. In both, a catalog entry's file is relative to the catalog's
// folder and its truth to the folder above. The fixture set is fixed by its
// seed, so running it again rewrites the same bytes. See testdata/README.md
// for the catalog's conventions on skew and rotation.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// fixtureSeed fixes the committed fixture set.
const fixtureSeed = 20250415

func main() {
	out := flag.String("out", "testdata", "where to write: the fixtures go to testdata/scans and testdata/truth, benchmark pages (-n) to DIR and DIR/truth")
	n := flag.Int("n", 0, "when above 0, write this many unseen random pages for benchmarks instead of the fixtures")
	seed := flag.Uint64("seed", 1, "seed of the benchmark pages (-n)")
	flag.Parse()
	if err := run(*out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string, n int, seed uint64) error {
	var outs []*outputFile
	switch {
	case n < 0:
		return fmt.Errorf("-n must not be negative, got %d", n)
	case n == 0:
		if _, err := os.Stat(filepath.Join(root, "gen", "main.go")); err != nil {
			return fmt.Errorf("the fixture set goes into the module's testdata/: run from the module root (%w)", err)
		}
		seed = fixtureSeed
		outs = fixtures(seed)
	default:
		if _, err := os.Stat(filepath.Join(root, "gen", "main.go")); err == nil {
			return fmt.Errorf("-n writes benchmark pages; give -out a directory other than the fixtures' root %s", root)
		}
		outs = bench(n, seed)
	}
	fs, err := loadFonts()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: typesetting in %s\n", filepath.Base(fs.files[0]))
	if err := render(outs, seed); err != nil {
		return err
	}
	return write(root, outs, n == 0)
}

// outputFile is one file under scans/ and the pages it holds.
type outputFile struct {
	name    string
	format  string // jpg, png, tif or pdf
	quality int    // JPEG quality, for jpg and pdf
	pages   []*pageJob
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

	img   image.Image
	lines []string
	kind  string
	name  string
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
		for p, j := range o.pages {
			tasks = append(tasks, task{j, uint64(i)<<16 | uint64(p)})
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
		for !fits(s, j.spec.skew) {
			if !j.shrink {
				return fmt.Errorf("%s at %d dpi: text leaves the image at skew %.1f°", d.name, j.dpi, j.spec.skew)
			}
			j.spec.skew = math.Trunc(j.spec.skew*0.9*100) / 100
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

// catalogEntry describes one page. File is relative to the folder
// catalog.json lies in; Truth to the folder above that one.
type catalogEntry struct {
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
}

// write encodes the pages. The fixtures go to root/scans (images and
// catalog.json) and root/truth; benchmark pages to root itself and
// root/truth. Either way a catalog's truth paths are relative to the folder
// above the catalog's.
func write(root string, outs []*outputFile, fixtures bool) error {
	scans, truth := root, filepath.Join(root, "truth")
	if fixtures {
		scans = filepath.Join(root, "scans")
	}
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
	var catalog []catalogEntry
	for _, o := range outs {
		data, err := encode(o)
		if err != nil {
			return fmt.Errorf("encode %s: %w", o.name, err)
		}
		if err := os.WriteFile(filepath.Join(scans, o.name), data, 0o644); err != nil {
			return err
		}
		if fixtures && o.name == "form-300.jpg" {
			// A JPEG cut off after its first 3 KB: the bad-input case. It
			// lives apart from the scans so that the demo run over
			// testdata/scans makes a whole dossier.
			bad := filepath.Join(filepath.Dir(scans), "bad")
			if err := os.MkdirAll(bad, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(bad, "truncated.jpg"), data[:3072], 0o644); err != nil {
				return err
			}
		}
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
			if err := os.WriteFile(filepath.Join(truth, name), []byte(text), 0o644); err != nil {
				return err
			}
			b := j.img.Bounds()
			catalog = append(catalog, catalogEntry{
				File: o.name, Page: i + 1, DPI: j.dpi, SkewDeg: j.spec.skew, RotationDeg: j.spec.rotation,
				Blank: j.build == nil, Truth: filepath.ToSlash(filepath.Join(truthRel, name)), Color: j.spec.color,
				Kind: j.kind, Doc: j.name, WidthPx: b.Dx(), HeightPx: b.Dy(),
			})
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
		return encodeJPEG(p0.img, o.quality, p0.dpi)
	case "png":
		return encodePNG(p0.img, p0.dpi)
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
