// Command ocrbench measures sohoa's OCR pipeline against the tesseract
// command and OCRmyPDF on the same pages, in one run, and scores each by
// character error rate against ground truth.
//
//	go run ./bench/ocrbench [-pages testdata/scans] [-gen 24] [-hard 4] [-rounds 3] [-sizes]
//
// Pages come from a generator catalog (testdata/scans, and with -gen N that
// many unseen pages made by testdata/gen with a fresh seed; with -hard N the
// hard set, N pages of each class of real desks' faults, from its fixed
// seed; -pages "" leaves the fixtures out). Each tool runs
// over all pages with every core busy; rounds interleave the tools so that
// the shared machine's noise falls on all of them alike, and the median
// round is reported. It prints seconds per page, pages per minute, CER of
// the text each tool produced (the PDF text layer for the PDF makers),
// bytes per page, and the ratios sohoa/tesseract and sohoa/OCRmyPDF; and
// the quality floor: tesseract on the same pages straightened by hand with
// the generator's known angles. The per-class table adds, for every class,
// the marked letters (tone marks and other diacritics) each tool got wrong,
// the pages sohoa turned the right way up, and time page by page: sohoa's
// stages on each page (its manifest) against the tesseract command's run
// on it, also as the median over the pages of their ratios (a page's
// ratio is the median over the rounds of its ratio in each round; each
// page's times and ratio in pages.tsv in the run's folder). With -sizes it only makes
// sohoa's dossier and OCRmyPDF's PDF/A once each and compares their bytes
// per page.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/raster"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

type catalogPage struct {
	File     string  `json:"file"`
	Page     int     `json:"page"`
	DPI      float64 `json:"dpi"`
	Skew     float64 `json:"skew_deg"`
	Rotation int     `json:"rotation_deg"`
	Blank    bool    `json:"blank"`
	Truth    string  `json:"truth"`
	Class    string  `json:"class"`  // the hard set's class
	NoDPI    bool    `json:"no_dpi"` // the file records no resolution; DPI is the true one
	Color    bool    `json:"color"`  // a colour scan (-sizes reports by it)

	dir   string // the catalog's folder, which holds the scans
	root  string // its parent, which holds truth/
	img   string // single-page image for the tesseract command
	class string
	truth string
	// turned is the clockwise turn sohoa applied to the page, from its
	// manifest; -1 where the page is not in it.
	turned int
}

// upright reports whether sohoa's turn undid the page's known rotation.
func (p *catalogPage) upright() bool { return p.turned == (360-p.Rotation)%360 }

func main() {
	pagesDir := flag.String("pages", "testdata/scans", "folder with catalog.json and the scans")
	gen := flag.Int("gen", 24, "also generate this many unseen pages with testdata/gen (0: none)")
	seed := flag.Int("seed", int(time.Now().Unix()%100000), "seed for the unseen pages")
	hard := flag.Int("hard", 0, "also generate the hard set with this many pages per class (0: none)")
	hardSeed := flag.Uint64("hard-seed", scanset.HardSeed, "seed for the hard set")
	rounds := flag.Int("rounds", 3, "timing rounds per tool")
	jobs := flag.Int("jobs", runtime.NumCPU(), "parallel pages for every tool")
	out := flag.String("out", "bench/results", "where inputs and outputs go")
	withOCRmyPDF := flag.Bool("ocrmypdf", true, "also run OCRmyPDF when it is installed (false: only sohoa and the tesseract command, for a quicker look at the times)")
	sizes := flag.Bool("sizes", false, "measure only the dossiers' bytes per page: sohoa and OCRmyPDF once each, no timing, no tesseract")
	flag.Parse()
	log.SetFlags(0)

	work, err := filepath.Abs(filepath.Join(*out, time.Now().Format("20060102-150405")))
	check(err)
	check(os.MkdirAll(work, 0o755))
	var pages []*catalogPage
	if *pagesDir != "" {
		pages = loadCatalog(*pagesDir)
	}
	if *gen > 0 {
		files, err := scanset.Bench(*gen, uint64(*seed))
		check(err)
		pages = append(pages, writeSet(filepath.Join(work, "unseen"), files)...)
	}
	if *hard > 0 {
		files, err := scanset.Hard(*hard, *hardSeed)
		check(err)
		pages = append(pages, writeSet(filepath.Join(work, "hard"), files)...)
	}
	pages = slices.DeleteFunc(pages, func(p *catalogPage) bool { return p.Blank })
	if len(pages) == 0 {
		log.Fatal("no pages: give -pages, -gen or -hard")
	}
	prepare(pages, work)
	log.Printf("%d pages (%d unseen, seed %d; hard set %d per class, seed %d), %d jobs, %d rounds",
		len(pages), *gen, *seed, *hard, *hardSeed, *jobs, *rounds)

	sohoa := filepath.Join(work, "sohoa")
	run("go", "build", "-o", sohoa, "./cmd/sohoa")
	// sohoa's dossiers are signed, as in production: a development key
	// made for this run (the children inherit the variable).
	check(os.Setenv("SOHOA_DEV_KEYS", filepath.Join(work, "keys")))
	run(sohoa, "keys", "dev")
	inputPDF := filepath.Join(work, "input.pdf")
	writeImagePDF(pages, inputPDF)

	if *sizes {
		sizeReport(os.Stdout, pages, work, sohoa, inputPDF, *jobs)
		return
	}

	// Each page's time, for the per-page ratios.
	var raw []string
	for _, p := range pages {
		raw = append(raw, p.img)
	}
	straight := straighten(pages, *jobs, filepath.Join(work, "straight"))
	hasOCRmyPDF := *withOCRmyPDF && exec.Command("ocrmypdf", "--version").Run() == nil
	tools := []*tool{
		{name: "tesseract", run: func(int) ([]string, []float64) {
			secs := make([]float64, len(pages))
			return tesseractAll(raw, *jobs, secs), secs
		}},
		{name: "tesseract, straightened by hand", run: func(int) ([]string, []float64) { return tesseractAll(straight, *jobs, nil), nil }},
		{name: "sohoa", run: func(r int) ([]string, []float64) {
			dir := filepath.Join(work, fmt.Sprintf("sohoa%d", r))
			var imgs []string
			for _, p := range pages {
				imgs = append(imgs, p.img)
			}
			args := append([]string{"ingest", "--quiet", "--jobs", fmt.Sprint(*jobs), "--out", dir, "--code", "BENCH"}, imgs...)
			run(sohoa, args...)
			secs := make([]float64, len(pages))
			readManifest(filepath.Join(dir, "BENCH.json"), pages, secs)
			return pdfPages(filepath.Join(dir, "BENCH.pdf"), len(pages)), secs
		}},
	}
	if hasOCRmyPDF {
		tools = append(tools, &tool{name: "ocrmypdf", run: func(r int) ([]string, []float64) {
			o := filepath.Join(work, fmt.Sprintf("ocrmypdf%d.pdf", r))
			run("ocrmypdf", "-q", "-l", "vie", "--deskew", "--rotate-pages", "--output-type", "pdfa",
				"--jobs", fmt.Sprint(*jobs), inputPDF, o)
			return pdfPages(o, len(pages)), nil
		}})
	} else if *withOCRmyPDF {
		log.Print("ocrmypdf not installed (deploy/setup.sh --bench installs it): skipped")
	}

	for r := 0; r < *rounds; r++ {
		for _, t := range tools {
			peakRSS.Store(0)
			start := time.Now()
			var secs []float64
			if t.texts, secs = t.run(r); secs != nil {
				t.pageRounds = append(t.pageRounds, secs)
			}
			t.rss = max(t.rss, peakRSS.Load())
			t.secs = append(t.secs, time.Since(start).Seconds())
			t.bytes = outputBytes(work, t.name, r)
			log.Printf("round %d %-31s %.1f s", r+1, t.name, t.secs[len(t.secs)-1])
		}
	}
	report(os.Stdout, pages, tools)
	pageTimes(filepath.Join(work, "pages.tsv"), pages, findTool(tools, "tesseract"), findTool(tools, "sohoa"))
}

type tool struct {
	name  string
	run   func(round int) (texts []string, pageSecs []float64)
	texts []string
	secs  []float64
	bytes int64
	rss   int64 // KiB, largest over rounds
	// pageRounds is each round's time for each page (the tesseract
	// command's run on the page; sohoa's stages on it, from its
	// manifest), for the tools that time pages.
	pageRounds [][]float64
}

// findTool returns the tool of that name.
func findTool(tools []*tool, name string) *tool {
	i := slices.IndexFunc(tools, func(t *tool) bool { return t.name == name })
	return tools[i]
}

// pageMean is page i's mean time over the rounds.
func (t *tool) pageMean(i int) float64 {
	var s float64
	for _, r := range t.pageRounds {
		s += r[i]
	}
	return s / float64(max(1, len(t.pageRounds)))
}

// pageRatios is each page's time ratio sohoa/tesseract: in each round,
// then the median over the rounds (0 where a page was not timed). A round
// the shared machine made slow for one tool but not the other moves a
// ratio of sums; it does not move the median of three.
func pageRatios(tess, sohoa [][]float64) []float64 {
	if len(tess) == 0 || len(sohoa) == 0 {
		return nil
	}
	out := make([]float64, len(tess[0]))
	for i := range out {
		var rs []float64
		for r := range min(len(tess), len(sohoa)) {
			if tess[r][i] > 0 && sohoa[r][i] > 0 {
				rs = append(rs, sohoa[r][i]/tess[r][i])
			}
		}
		if len(rs) > 0 {
			slices.Sort(rs)
			out[i] = rs[len(rs)/2]
		}
	}
	return out
}

func (t *tool) median() float64 {
	s := slices.Clone(t.secs)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeSet writes generated pages into dir (images and catalog.json) and
// dir/truth, and loads them back as the catalog describes them.
func writeSet(dir string, files []scanset.File) []*catalogPage {
	check(scanset.Write(dir, filepath.Join(dir, "truth"), files))
	return loadCatalog(dir)
}

func loadCatalog(dir string) []*catalogPage {
	b, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	check(err)
	var c []*catalogPage
	check(json.Unmarshal(b, &c))
	for _, p := range c {
		p.dir, p.root = dir, filepath.Dir(dir)
		t, err := os.ReadFile(filepath.Join(p.root, p.Truth))
		check(err)
		p.truth = string(t)
		p.class = classify(p)
	}
	return c
}

// classify names the page classes the targets are stated for: the hard
// set's own, or by the page's geometry.
func classify(p *catalogPage) string {
	switch {
	case p.Class != "":
		return "hard/" + p.Class
	case p.Rotation == 180 && p.DPI < 250:
		return "upside-down 200dpi"
	case p.Rotation == 180:
		return "upside-down"
	case p.Rotation == 90 || p.Rotation == 270:
		return "sideways"
	case math.Abs(p.Skew) >= 5:
		return "skew 5-15°"
	case p.DPI < 200:
		return "low dpi"
	}
	return "upright, skew <5°"
}

// prepare gives every page a single-image file the tesseract command reads:
// JPEG and PNG pages as they are, frames of TIFF and PDF files extracted
// as PNG (lossless, so no tool is handicapped).
func prepare(pages []*catalogPage, work string) {
	for i, p := range pages {
		src := filepath.Join(p.dir, p.File)
		ext := strings.ToLower(filepath.Ext(src))
		if (ext == ".jpg" || ext == ".png") && p.Page == 1 {
			p.img = src
			continue
		}
		f, err := scan.Open(src, scan.Options{})
		check(err)
		pg, err := f.Page(p.Page)
		check(err)
		p.img = filepath.Join(work, "pages", fmt.Sprintf("%03d.png", i))
		writePNG(p.img, pg.Gray, pg.DPI)
	}
}

func writePNG(path string, g *image.Gray, dpi float64) {
	check(os.MkdirAll(filepath.Dir(path), 0o755))
	var buf bytes.Buffer
	check(png.Encode(&buf, g))
	b := buf.Bytes()
	// Insert a pHYs chunk after IHDR so tesseract knows the resolution.
	ppm := uint32(math.Round(dpi / 0.0254))
	chunk := []byte{0, 0, 0, 9, 'p', 'H', 'Y', 's',
		byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm),
		byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm), 1}
	crc := crc32.ChecksumIEEE(chunk[4:])
	chunk = append(chunk, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
	out := append(append(append([]byte{}, b[:33]...), chunk...), b[33:]...)
	check(os.WriteFile(path, out, 0o644))
}

// writeImagePDF makes the image-only PDF OCRmyPDF takes, one page per
// scan at its physical size, with the same encoded images sohoa embeds.
func writeImagePDF(pages []*catalogPage, path string) {
	f, err := os.Create(path)
	check(err)
	w, err := pdf.NewWriter(f, pdf.Info{Title: "bench input"})
	check(err)
	for _, p := range pages {
		sf, err := scan.Open(p.img, scan.Options{})
		check(err)
		pg, err := sf.Page(1)
		check(err)
		k := 72 / pg.DPI
		wpt, hpt := float64(pg.Gray.Rect.Dx())*k, float64(pg.Gray.Rect.Dy())*k
		check(w.AddPage(pdf.Page{Width: wpt, Height: hpt, Image: pg.Embed, Matrix: [6]float64{wpt, 0, 0, hpt, 0, 0}}))
	}
	check(w.Close())
	check(f.Close())
}

// tesseractAll runs `tesseract IMG - -l vie` on every image, jobs at a
// time, each single-threaded as sohoa's engines are, and adds each run's
// time to secs when secs is not nil.
func tesseractAll(imgs []string, jobs int, secs []float64) []string {
	texts := make([]string, len(imgs))
	parallel(len(imgs), jobs, func(i int) {
		cmd := exec.Command("tesseract", imgs[i], "-", "-l", "vie")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		start := time.Now()
		out, err := cmd.Output()
		check(err)
		if secs != nil {
			secs[i] += time.Since(start).Seconds()
		}
		noteRSS(cmd)
		texts[i] = string(out)
	})
	return texts
}

// straighten undoes each page's known rotation and skew exactly and saves
// the result losslessly: the tesseract command on these is the quality
// floor (the best the OCR engine does on the page, whatever any tool's
// orientation and deskew achieve) and the time floor for the same work.
func straighten(pages []*catalogPage, jobs int, dir string) []string {
	imgs := make([]string, len(pages))
	parallel(len(pages), jobs, func(i int) {
		p := pages[i]
		f, err := scan.Open(p.img, scan.Options{})
		check(err)
		pg, err := f.Page(1)
		check(err)
		w, h := pg.Gray.Rect.Dx(), pg.Gray.Rect.Dy()
		turn, ow, oh := raster.QuarterTurn((360-p.Rotation)/90, w, h)
		m := turn.Then(raster.RotateAbout(-p.Skew, float64(ow)/2, float64(oh)/2))
		imgs[i] = filepath.Join(dir, fmt.Sprintf("%03d.png", i))
		dpi := pg.DPI
		if p.NoDPI { // by hand, as one who knows the page's true resolution
			dpi = p.DPI
		}
		writePNG(imgs[i], raster.Render(pg.Gray, m.Invert(), ow, oh), dpi)
	})
	return imgs
}

func parallel(n, jobs int, f func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// readManifest reads from sohoa's manifest the turn it gave each page and
// adds to secs the time its stages took on it, matched by the file name it
// was given. The stages' times leave out what a dossier costs once (the
// engines' start, the PDF's assembly and signature), which the whole
// run's time includes.
func readManifest(manifest string, pages []*catalogPage, secs []float64) {
	b, err := os.ReadFile(manifest)
	check(err)
	type page struct {
		Source   string              `json:"source"`
		Rotation int                 `json:"rotation_deg"`
		MS       pipeline.StageTimes `json:"ms"`
	}
	var m struct {
		Pages []page `json:"pages"`
	}
	check(json.Unmarshal(b, &m))
	bySource := map[string]page{}
	for _, r := range m.Pages {
		bySource[r.Source] = r
	}
	for i, p := range pages {
		r, ok := bySource[filepath.Base(p.img)]
		if !ok {
			p.turned = -1
			continue
		}
		p.turned = r.Rotation
		secs[i] += r.MS.Total() / 1000
	}
}

// pdfPages returns each page's text layer as pdftotext reads it.
func pdfPages(path string, n int) []string {
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	check(err)
	texts := strings.Split(string(out), "\f")
	if len(texts) < n {
		log.Fatalf("%s: %d pages of text, want %d", path, len(texts), n)
	}
	return texts[:n]
}

func outputBytes(work, name string, round int) int64 {
	var p string
	switch name {
	case "sohoa":
		p = filepath.Join(work, fmt.Sprintf("sohoa%d", round), "BENCH.pdf")
	case "ocrmypdf":
		p = filepath.Join(work, fmt.Sprintf("ocrmypdf%d.pdf", round))
	default:
		return 0
	}
	st, err := os.Stat(p)
	check(err)
	return st.Size()
}

func report(w *os.File, pages []*catalogPage, tools []*tool) {
	n := float64(len(pages))
	var tess, straight, sohoa, ocrm *tool
	for _, t := range tools {
		switch t.name {
		case "tesseract":
			tess = t
		case "sohoa":
			sohoa = t
		case "ocrmypdf":
			ocrm = t
		default:
			straight = t
		}
	}
	floor := straight.texts
	fmt.Fprintf(w, "\n%d pages, %d cores, median of %d rounds\n\n", len(pages), runtime.NumCPU(), len(tess.secs))
	fmt.Fprintf(w, "| tool | s/page | pages/min | CER | marked letters wrong | bytes/page | peak RSS of a process | sohoa ÷ tool (time) |\n|---|---|---|---|---|---|---|---|\n")
	score := func(texts []string) ocr.Score {
		var s ocr.Score
		for i, p := range pages {
			s = s.Add(ocr.Compare(p.truth, texts[i]))
		}
		return s
	}
	for _, t := range tools {
		s := score(t.texts)
		sec := t.median() / n
		bpp := "—"
		if t.bytes > 0 {
			bpp = fmt.Sprintf("%.0f", float64(t.bytes)/n)
		}
		fmt.Fprintf(w, "| %s | %.3f | %.1f | %.4f | %.4f | %s | %.0f MiB | %.2f |\n", t.name, sec, 60/sec, s.CER(), s.MarkErrorRate(), bpp, float64(t.rss)/1024, sohoa.median()/t.median())
	}
	fmt.Fprintf(w, "\nsohoa/tesseract time ratio: %.3f (target ≤ 1.10)\n", sohoa.median()/tess.median())
	fmt.Fprintf(w, "sohoa/tesseract on straightened pages (the same OCR work): %.3f\n", sohoa.median()/straight.median())
	if ocrm != nil {
		fmt.Fprintf(w, "sohoa/OCRmyPDF time ratio: %.3f\n", sohoa.median()/ocrm.median())
	}

	// Time page by page: sohoa's stages on a page against the tesseract
	// command's run on it, with every core busy in both.
	var ratios []float64
	for _, r := range pageRatios(tess.pageRounds, sohoa.pageRounds) {
		if r > 0 {
			ratios = append(ratios, r)
		}
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		fmt.Fprintf(w, "median of per-page time ratios sohoa/tesseract: %.3f (target ≤ 1.25 on the mixed set)\n", ratios[len(ratios)/2])
	}

	// CER by page class: the target is sohoa within 2× the floor on each.
	classes := map[string][]int{}
	for i, p := range pages {
		classes[p.class] = append(classes[p.class], i)
	}
	names := make([]string, 0, len(classes))
	for c := range classes {
		names = append(names, c)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "\n| page class | pages | floor CER | tesseract CER | sohoa CER | OCRmyPDF CER | sohoa ÷ floor | marked letters wrong: tesseract | sohoa | sohoa orientation right | time: tesseract s/page | sohoa s/page | sohoa ÷ tesseract |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range names {
		var f, tt, so, om ocr.Score
		right := 0
		var tsec, ssec float64
		for _, i := range classes[c] {
			tsec += tess.pageMean(i)
			ssec += sohoa.pageMean(i)
			f = f.Add(ocr.Compare(pages[i].truth, floor[i]))
			tt = tt.Add(ocr.Compare(pages[i].truth, tess.texts[i]))
			so = so.Add(ocr.Compare(pages[i].truth, sohoa.texts[i]))
			if ocrm != nil {
				om = om.Add(ocr.Compare(pages[i].truth, ocrm.texts[i]))
			}
			if pages[i].upright() {
				right++
			}
		}
		omc := "—"
		if ocrm != nil {
			omc = fmt.Sprintf("%.4f", om.CER())
		}
		ratio := so.CER() / math.Max(f.CER(), 1e-4)
		k := float64(len(classes[c]) * len(tess.secs))
		fmt.Fprintf(w, "| %s | %d | %.4f | %.4f | %.4f | %s | %.2f | %d/%d | %d/%d | %d/%d | %.3f | %.3f | %.2f |\n", c, len(classes[c]), f.CER(), tt.CER(), so.CER(), omc, ratio,
			tt.MarkErrors, tt.MarkedChars, so.MarkErrors, so.MarkedChars, right, len(classes[c]), tsec/k, ssec/k, ssec/math.Max(tsec, 1e-9))
	}
	var wrong []string
	for _, p := range pages {
		if !p.upright() {
			wrong = append(wrong, fmt.Sprintf("%s (turned %d°, want %d°)", filepath.Base(p.img), p.turned, (360-p.Rotation)%360))
		}
	}
	if len(wrong) > 0 {
		fmt.Fprintf(w, "\nsohoa turned %d of %d pages wrong: %s\n", len(wrong), len(pages), strings.Join(wrong, ", "))
	}
}

// sizeReport makes sohoa's dossier and OCRmyPDF's PDF/A of the pages
// once and prints their bytes per page, and how sohoa embedded the pages'
// images (the manifest's choice per page) by page colour.
func sizeReport(w *os.File, pages []*catalogPage, work, sohoa, inputPDF string, jobs int) {
	dir := filepath.Join(work, "sohoa0")
	args := []string{"ingest", "--quiet", "--jobs", fmt.Sprint(jobs), "--out", dir, "--code", "BENCH"}
	for _, p := range pages {
		args = append(args, p.img)
	}
	run(sohoa, args...)
	n := float64(len(pages))
	sohoaBytes := outputBytes(work, "sohoa", 0)
	fmt.Fprintf(w, "\n%d pages\n\n| tool | bytes/page |\n|---|---|\n| sohoa | %.0f |\n", len(pages), float64(sohoaBytes)/n)
	if exec.Command("ocrmypdf", "--version").Run() == nil {
		run("ocrmypdf", "-q", "-l", "vie", "--deskew", "--rotate-pages", "--output-type", "pdfa",
			"--jobs", fmt.Sprint(jobs), inputPDF, filepath.Join(work, "ocrmypdf0.pdf"))
		ocrm := outputBytes(work, "ocrmypdf", 0)
		fmt.Fprintf(w, "| ocrmypdf | %.0f |\n\nsohoa/OCRmyPDF bytes per page: %.3f (target ≤ 0.5)\n", float64(ocrm)/n, float64(sohoaBytes)/float64(ocrm))
	}
	b, err := os.ReadFile(filepath.Join(dir, "BENCH.json"))
	check(err)
	var m struct {
		Pages []struct {
			Image struct {
				Choice        string `json:"choice"`
				Bytes         int    `json:"bytes"`
				OriginalBytes int    `json:"original_bytes"`
			} `json:"image"`
		} `json:"pages"`
	}
	check(json.Unmarshal(b, &m))
	type group struct{ pages, bytes, orig int }
	groups := map[string]*group{}
	for i, p := range pages {
		im := m.Pages[i].Image
		key := "grey " + im.Choice
		if p.Color {
			key = "colour " + im.Choice
		}
		if groups[key] == nil {
			groups[key] = &group{}
		}
		g := groups[key]
		g.pages++
		g.bytes += im.Bytes
		g.orig += im.OriginalBytes
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(w, "\n| sohoa's page images | pages | image bytes/page | the original's |\n|---|---|---|---|\n")
	for _, k := range keys {
		g := groups[k]
		fmt.Fprintf(w, "| %s | %d | %d | %d |\n", k, g.pages, g.bytes/g.pages, g.orig/g.pages)
	}
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	noteRSS(cmd)
}

// peakRSS is the largest resident set, in KiB, of any process a tool ran
// in the current round (with its own children, as wait4 reports them).
var peakRSS atomic.Int64

func noteRSS(cmd *exec.Cmd) {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		for {
			cur := peakRSS.Load()
			if ru.Maxrss <= cur || peakRSS.CompareAndSwap(cur, ru.Maxrss) {
				return
			}
		}
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// pageTimes writes each page's time, the tesseract command's and sohoa's
// (mean over rounds), and its ratio (pageRatios), for a look at the pages the median
// of the ratios falls among.
func pageTimes(path string, pages []*catalogPage, tess, sohoa *tool) {
	ratio := pageRatios(tess.pageRounds, sohoa.pageRounds)
	var b strings.Builder
	b.WriteString("page\tclass\ttesseract_s\tsohoa_s\tratio\n")
	for i, p := range pages {
		if ratio[i] <= 0 { // not timed, or not in sohoa's manifest
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\t%.3f\t%.3f\t%.2f\n", filepath.Base(p.img), p.class, tess.pageMean(i), sohoa.pageMean(i), ratio[i])
	}
	check(os.WriteFile(path, []byte(b.String()), 0o644))
}
