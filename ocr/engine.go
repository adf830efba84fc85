// Package ocr recognises text on straightened page rasters with Tesseract
// (through gosseract) and scores recognised text against ground truth.
//
// It sits after the deskew stage and before assembly: the pipeline hands it
// an upright grayscale raster and gets back words with their boxes and
// confidences, which become the PDF's invisible text layer. The orient
// stage asks it too, when the ink alone does not say which way up a page
// reads: Tesseract's orientation detector (osd.go) and readings of a band
// of lines in each candidate turn (sample.go), judged by how many words are
// Vietnamese syllables (vietnamese.go).
package ocr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"
)

// Word is one recognised word, its box in the raster's pixel space and
// Tesseract's confidence in it (0-100).
type Word struct {
	Text       string
	Box        image.Rectangle
	Confidence float64
	Block      int
	Par        int
	Line       int
}

// Result is what one page's recognition produced.
type Result struct {
	Words []Word
	// MeanConfidence averages word confidences weighted by word length, so a
	// page is not judged by its stray one-letter fragments. Zero when no word
	// was found.
	MeanConfidence float64
}

// Lines groups the words into text lines in reading order.
func (r *Result) Lines() [][]Word {
	var lines [][]Word
	for i, w := range r.Words {
		if i == 0 || w.Block != r.Words[i-1].Block || w.Par != r.Words[i-1].Par || w.Line != r.Words[i-1].Line {
			lines = append(lines, nil)
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], w)
	}
	return lines
}

// Text is the page text: words joined by spaces, lines by newlines and
// blocks separated by a blank line, as Tesseract's own text output does.
func (r *Result) Text() string {
	var b strings.Builder
	for i, w := range r.Words {
		if i > 0 {
			prev := r.Words[i-1]
			switch {
			case w.Block != prev.Block:
				b.WriteString("\n\n")
			case w.Par != prev.Par || w.Line != prev.Line:
				b.WriteString("\n")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString(w.Text)
	}
	return b.String()
}

// Engine is one Tesseract instance with its model loaded. Loading the model
// costs far more than recognising a small page, so a worker goroutine keeps
// one Engine for all its pages. An Engine is not safe for concurrent use.
type Engine struct {
	client *gosseract.Client
	lang   string
	pgm    []byte    // reused buffer for the raster handed to Leptonica
	osd    *detector // orientation detector, loaded on first use (osd.go)
	osdErr error     // why it could not be loaded, once found
}

// ErrUnknownLanguage reports a language whose traineddata is not installed.
var ErrUnknownLanguage = errors.New("ocr: language model not installed")

// NewEngine loads the models for lang, a Tesseract language list such as
// "vie" or "vie+eng".
func NewEngine(lang string) (*Engine, error) {
	if err := CheckLanguages(lang); err != nil {
		return nil, err
	}
	c := gosseract.NewClient()
	if err := c.SetLanguage(strings.Split(lang, "+")...); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: set language %q: %w", lang, err)
	}
	e := &Engine{client: c, lang: lang}
	// gosseract loads the model on first use, redirecting the process's
	// stderr while it does; two engines doing that at once can lose stderr
	// for good. Load it here, one engine at a time, on a 1×1 page.
	initMu.Lock()
	defer initMu.Unlock()
	if err := c.SetImageFromBytes([]byte("P5\n1 1\n255\n\xff")); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: load %s: %w", lang, err)
	}
	if _, err := c.Text(); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: load model %s: %w", lang, err)
	}
	// Tesseract's library default is one uniform block; scans are pages
	// with headings, columns and form fields, which the tesseract command
	// (and every comparison with it) reads in automatic mode.
	if err := c.SetPageSegMode(gosseract.PSM_AUTO); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: set page segmentation: %w", err)
	}
	// Tesseract narrates its work ("Detected 40 diacritics") on the
	// process's output; the manifest is where results belong.
	if err := c.SetVariable("debug_file", os.DevNull); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: silence tesseract: %w", err)
	}
	// Tesseract reads every line it is unsure of a second time, inverted,
	// in case it is light text on a dark ground. Desk scans have none
	// (cleanup turns dark borders white), and degraded pages are unsure
	// of many lines: the second readings cost them about a twentieth of
	// their time and left the hard set's reading as good (CER 0.0391 before, 0.0388 after).
	if err := c.SetVariable("tessedit_do_invert", "0"); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: turn off inverted re-reading: %w", err)
	}
	// Tesseract tests every row for fixed-pitch (typewritten) spacing, a
	// dynamic programme over its letters' cuts; off, every row is taken as
	// proportional, which only changes how a typewritten row is first cut
	// into words before the LSTM reads it. Off, sohoa read the 44 hard
	// pages and 20 clean ones to the same text, its OCR stage 1-4 % faster
	// (two runs); the tesseract command read 8 pages typeset in monospace
	// fonts as typewriters print to the same CER (DejaVu Sans Mono, 0.1013
	// both) or one letter apart in 5,000 (Nimbus Mono, 0.1572 and 0.1574).
	if err := c.SetVariable("textord_disable_pitch_test", "1"); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: turn off the fixed-pitch test: %w", err)
	}
	return e, nil
}

var initMu sync.Mutex

// Close frees the Tesseract instances.
func (e *Engine) Close() error {
	e.osd.close()
	return e.client.Close()
}

// Recognize runs layout analysis and recognition once on g, whose resolution
// is dpi, and returns every word.
func (e *Engine) Recognize(g *image.Gray, dpi int) (*Result, error) {
	b := g.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		return &Result{}, nil
	}
	// Leptonica's own serialisation is the cheapest thing it reads from
	// memory: a header and its raster words, copied in one go (a PGM
	// costs it a pass that sets pixel by pixel, a third of a page's
	// overhead before this).
	e.pgm = appendSpix(e.pgm[:0], g)
	if err := e.client.SetImageFromBytes(e.pgm); err != nil {
		return nil, fmt.Errorf("ocr: hand raster to tesseract: %w", err)
	}
	// PGM carries no resolution; Tesseract's size heuristics need the real one.
	if dpi < 70 {
		dpi = 70
	}
	if err := e.client.SetVariable("user_defined_dpi", strconv.Itoa(dpi)); err != nil {
		return nil, fmt.Errorf("ocr: set resolution: %w", err)
	}
	// GetBoundingBoxesVerbose recognises once and walks the result; asking
	// gosseract for Text() as well would set the image and recognise again.
	boxes, err := e.client.GetBoundingBoxesVerbose()
	if err != nil {
		return nil, fmt.Errorf("ocr: recognise: %w", err)
	}
	res := &Result{Words: make([]Word, 0, len(boxes))}
	for _, bb := range boxes {
		// NFC, so that a tone mark Tesseract emits as a combining
		// character compares and searches like the precomposed letter.
		text := norm.NFC.String(strings.TrimSpace(bb.Word))
		if text == "" {
			continue
		}
		res.Words = append(res.Words, Word{
			Text: text, Box: bb.Box, Confidence: bb.Confidence,
			Block: bb.BlockNum, Par: bb.ParNum, Line: bb.LineNum,
		})
	}
	res.Words = dropEchoes(res.Words)
	var confSum, weight float64
	for _, w := range res.Words {
		n := float64(len([]rune(w.Text)))
		confSum += w.Confidence * n
		weight += n
	}
	if weight > 0 {
		res.MeanConfidence = math.Round(confSum/weight*10) / 10
	}
	return res, nil
}

// dropEchoes removes the words Tesseract's LSTM now and then emits twice:
// a word, or its start, again over the same letters of the same line ("Vĩ
// Vĩnh", "đất đ", "ở Ở" over one word). Of two neighbours on a line that
// overlap across by more than half the narrower one, where the text of one,
// in small letters, begins the other's, the shorter goes, or of two as long
// the less sure. Neighbours that merely overlap (a hyphen after a word, a
// wide mark) are no echoes.
func dropEchoes(words []Word) []Word {
	out := words[:0]
	for _, w := range words {
		if n := len(out); n > 0 {
			prev := &out[n-1]
			if echoes(*prev, w) {
				if keepSecond(*prev, w) {
					*prev = w
				}
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

func echoes(a, b Word) bool {
	if a.Block != b.Block || a.Par != b.Par || a.Line != b.Line {
		return false
	}
	over := min(a.Box.Max.X, b.Box.Max.X) - max(a.Box.Min.X, b.Box.Min.X)
	if narrow := min(a.Box.Dx(), b.Box.Dx()); narrow <= 0 || 2*over < narrow {
		return false
	}
	x, y := strings.ToLower(a.Text), strings.ToLower(b.Text)
	return strings.HasPrefix(x, y) || strings.HasPrefix(y, x)
}

// keepSecond reports whether of a word and its echo b is the one to keep.
func keepSecond(a, b Word) bool {
	la, lb := len([]rune(a.Text)), len([]rune(b.Text))
	if la != lb {
		return lb > la
	}
	return b.Confidence > a.Confidence
}

// appendSpix serialises an 8-bit raster in Leptonica's "spix" layout:
// seven 32-bit native-endian header words ("spix", width, height, depth,
// words per line, colours, data bytes) and then the rows, each padded to
// whole words, with the four pixels of a word in big-endian order within
// it as Leptonica keeps them in memory.
func appendSpix(dst []byte, g *image.Gray) []byte {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	wpl := (w + 3) / 4
	ne := binary.NativeEndian
	dst = append(dst, "spix"...)
	for _, v := range []uint32{uint32(w), uint32(h), 8, uint32(wpl), 0, uint32(4 * wpl * h)} {
		dst = ne.AppendUint32(dst, v)
	}
	start := len(dst)
	dst = append(dst, make([]byte, 4*wpl*h)...)
	data := dst[start:]
	for y := 0; y < h; y++ {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		out := data[4*wpl*y:][:4*wpl]
		for i := 0; i+4 <= w; i += 4 {
			ne.PutUint32(out[i:], binary.BigEndian.Uint32(row[i:]))
		}
		if rem := w % 4; rem != 0 {
			var last [4]byte
			copy(last[:], row[w-rem:])
			ne.PutUint32(out[w-rem:], binary.BigEndian.Uint32(last[:]))
		}
	}
	return dst
}

// TesseractVersion is the linked Tesseract library's version.
func TesseractVersion() string { return gosseract.Version() }

// ModelFiles returns the traineddata path of each language in lang.
func ModelFiles(lang string) ([]string, error) {
	dir, err := tessdataDir()
	if err != nil {
		return nil, err
	}
	var files []string
	for _, l := range strings.Split(lang, "+") {
		if l == "" || strings.ContainsAny(l, `/\.`) {
			return nil, fmt.Errorf("%w: bad language name %q", ErrUnknownLanguage, l)
		}
		files = append(files, filepath.Join(dir, l+".traineddata"))
	}
	return files, nil
}

// CheckLanguages reports which of lang's models are missing, so a bad
// --lang fails before any page is read rather than inside a worker.
func CheckLanguages(lang string) error {
	files, err := ModelFiles(lang)
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w: %s (looked for %s; install tesseract-ocr-%s)",
				ErrUnknownLanguage, strings.TrimSuffix(filepath.Base(f), ".traineddata"), f,
				strings.TrimSuffix(filepath.Base(f), ".traineddata"))
		}
	}
	return nil
}

func tessdataDir() (string, error) {
	if p := os.Getenv("TESSDATA_PREFIX"); p != "" {
		return p, nil
	}
	for _, d := range []string{
		"/usr/share/tesseract-ocr/5/tessdata",
		"/usr/share/tesseract-ocr/4.00/tessdata",
		"/usr/share/tessdata",
		"/usr/local/share/tessdata",
	} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	return "", errors.New("ocr: no tessdata directory found; install tesseract-ocr or set TESSDATA_PREFIX")
}

// SingleThreaded makes sure OpenMP inside Tesseract runs one thread per
// recognition. sohoa parallelises across pages instead, which scales better
// than Tesseract's threads within a page; but libgomp reads
// OMP_THREAD_LIMIT when it is loaded, before any Go code runs, so the only
// way to set it is to re-execute the process with it in the environment.
// Call it first thing in main (and in TestMain); it returns only when the
// limit is in force.
func SingleThreaded() error {
	if os.Getenv("OMP_THREAD_LIMIT") != "" {
		return nil
	}
	if err := os.Setenv("OMP_THREAD_LIMIT", "1"); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("ocr: find own executable to set OMP_THREAD_LIMIT: %w", err)
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}
