// Package scan reads the files scanner stations produce (JPEG, PNG, TIFF
// with one page per frame, and image-only PDFs) into pages: the luminance
// the later stages measure and recognise, the resolution the page was
// scanned at, and the original encoded image for the dossier PDF, so that a
// JPEG scan reaches the dossier byte for byte rather than re-compressed.
//
// It is the pipeline's normalize stage. Files are probed first (format,
// page count, pixel sizes: cheap, and enough to refuse a decompression
// bomb before any pixel is allocated), then decoded one page at a time.
package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/sohoa/sohoa/pipeline/pdf"
	"golang.org/x/image/tiff"
)

// Errors callers act on; every returned error wraps one of them and names
// the file and page.
var (
	ErrUnsupported = errors.New("unsupported file")
	// ErrTooLarge: a page over the pixel or decoded-size limit, or a file
	// over the page limit.
	ErrTooLarge = errors.New("over the size limit")
	ErrCorrupt  = errors.New("corrupt or truncated image")
	ErrChanged  = errors.New("file changed while it was being read")
)

// DefaultMaxPixels bounds one page's decoded size: A3 at 600 dpi is 70 MP,
// so 120 MP leaves room for any real scan while refusing bombs that would
// take gigabytes to decode.
const DefaultMaxPixels = 120_000_000

// DefaultMaxPages bounds the pages (TIFF frames, PDF pages) of one file.
// A desk's dossier runs to a few dozen pages and the thickest files to a
// few hundred; 500 pages are already a quarter of an hour of one core's
// OCR, while the 5000 allowed before let one upload of tiny frames hold a
// worker for hours.
const DefaultMaxPages = 500

// AssumedDPI is used when a file records no resolution; flatbed scans at
// desks are most often made at 300 dpi.
const AssumedDPI = 300

// Options bound what Open accepts.
type Options struct {
	MaxPixels int64 // per page; 0 means DefaultMaxPixels
	// MaxDecodedBytes bounds the memory one page takes to decode, as its
	// headers declare it before any pixel is read: width × height × the
	// bytes per pixel of the buffer the decoder fills (channels × bytes per
	// sample; Go's decoders keep two- and three-channel PNG and TIFF pixels
	// as four). Pixels alone do not bound memory: a 16-bit RGBA page takes
	// eight bytes a pixel. The luminance and the re-encoded image made from
	// the decoded page add about one byte a pixel and the compressed size,
	// Go's TIFF decoder one strip's bytes (held to what its rows take).
	// 0 means four bytes per pixel of MaxPixels: every 8-bit page within
	// the pixel limit fits (an A3 page at 600 dpi in 8-bit RGB takes 278 MB
	// of the default 480 MB), 16-bit colour only up to half as many pixels.
	MaxDecodedBytes int64
	MaxPages        int // per file; 0 means DefaultMaxPages
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

func (o Options) maxDecodedBytes() int64 {
	if o.MaxDecodedBytes <= 0 {
		return 4 * o.maxPixels()
	}
	return o.MaxDecodedBytes
}

func (o Options) maxPages() int {
	if o.MaxPages <= 0 {
		return DefaultMaxPages
	}
	return o.MaxPages
}

// File is a probed scan file: its pages counted and sized, none decoded.
type File struct {
	Path   string
	Format string // "jpeg", "png", "tiff" or "pdf"
	SHA256 string // of the file's bytes
	Size   int64
	Pages  int
	opt    Options
	// tiff: offset of each frame's IFD.
	ifds []int64
	// Multi-page files keep the bytes Open read and hashed: decoding them
	// page by page from a fresh read would re-hash the whole file for every
	// page. A PDF keeps its parsed form too, which pdfcpu does not promise
	// to be safe for concurrent use: mu serialises extraction.
	data []byte
	mu   sync.Mutex
	pdf  *model.Context
}

// Page is one decoded page.
type Page struct {
	Source string // the file's path
	Number int    // 1-based page (frame) within the file
	Format string
	SHA256 string // of the whole source file
	// Gray is the page's luminance as stored (EXIF orientation not yet
	// applied), with its origin at (0, 0).
	Gray *image.Gray
	DPI  float64
	// DPIAssumed is set when the file recorded no usable resolution and
	// AssumedDPI was taken.
	DPIAssumed bool
	// FileDPI is the resolution the file recorded, credible or not (0 when
	// it recorded none); for a PDF page, the one its page box gives.
	FileDPI float64
	// Orientation is the EXIF orientation tag (1-8; 1 when absent).
	Orientation int
	// Embed is the image as it goes into the dossier PDF: the original
	// encoded bytes when PDF can carry them, re-encoded otherwise.
	Embed pdf.Image
	// Notes say what was done to the image on the way, for the manifest.
	Notes []string
	// The page's colour, if any (Chroma): computed, or to be computed by
	// chromaOf on the first call.
	chroma   *Chroma
	chromaOf func() *Chroma
	// rgb is a colour page's RGB triplets, rows packed, where its decode
	// gave them (PNG): compaction's colour without a second decode.
	rgb []byte
}

// Open reads and probes a file. It fails on files that are not scans it can
// read, on pages over the pixel or decoded-size limit and on files over the
// page limit (ErrTooLarge), naming the file.
func Open(path string, opt Options) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := probe(path, data, opt)
	if err != nil {
		return nil, err
	}
	if f.Pages > 1 || f.Format == "pdf" {
		f.data = data
	}
	return f, nil
}

// OpenBytes probes a scan already in memory (a worker's copy of a stored
// original); name is how errors and the manifest refer to it. The File
// keeps data and decodes every page from it.
func OpenBytes(name string, data []byte, opt Options) (*File, error) {
	f, err := probe(name, data, opt)
	if err != nil {
		return nil, err
	}
	f.data = data
	return f, nil
}

func probe(path string, data []byte, opt Options) (_ *File, err error) {
	// Probing parses headers of hostile files (pdfcpu for PDFs): a panic is
	// a corrupt file.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: probe failed: %v", path, ErrCorrupt, r)
		}
	}()
	sum := sha256.Sum256(data)
	f := &File{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), opt: opt}
	f.Format, err = sniff(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch f.Format {
	case "jpeg", "png":
		f.Pages = 1
		s, err := encodedSize(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := f.checkSize(1, s); err != nil {
			return nil, err
		}
	case "tiff":
		if err := f.probeTIFF(data); err != nil {
			return nil, err
		}
	case "pdf":
		if err := f.probePDF(data); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Page decodes page n (1-based); it is safe for concurrent use. A
// single-page file is read again, so that a run over a large dossier holds
// one page's bytes at a time; if it no longer hashes to what Open saw, the
// page fails rather than be recorded under a hash its bytes do not have.
func (f *File) Page(n int) (_ *Page, err error) {
	if n < 1 || n > f.Pages {
		return nil, fmt.Errorf("%s: no page %d (file has %d)", f.Path, n, f.Pages)
	}
	data := f.data
	if data == nil {
		if data, err = os.ReadFile(f.Path); err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("%s: %w", f.Path, ErrChanged)
		}
	}
	// Decoders are large parsers facing hostile input: a panic in one is a
	// corrupt page, not the end of the run.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s page %d: %w: decoder failed: %v", f.Path, n, ErrCorrupt, r)
		}
	}()
	p := &Page{Source: f.Path, Number: n, Format: f.Format, SHA256: f.SHA256, Orientation: 1}
	switch f.Format {
	case "jpeg":
		err = decodeJPEG(p, data)
	case "png":
		err = decodePNG(p, data)
	case "tiff":
		err = f.decodeTIFF(p, data, n)
	case "pdf":
		err = f.decodePDF(p, data, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%s page %d: %w", f.Path, n, err)
	}
	p.FileDPI = p.DPI
	if p.DPI < 50 || p.DPI > 4800 {
		if p.DPI != 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("recorded resolution %.0f dpi is not credible", p.DPI))
		}
		p.DPI, p.DPIAssumed = AssumedDPI, true
	}
	return p, nil
}

// Name is the file's base name, how the manifest refers to a source.
func (f *File) Name() string { return filepath.Base(f.Path) }

// decodeError tells a file the decoders cannot read by design (12-bit or
// arithmetic JPEG, CMYK TIFF ...) from one that is damaged.
func decodeError(err error) error {
	var (
		je jpeg.UnsupportedError
		pe png.UnsupportedError
		te tiff.UnsupportedError
	)
	if errors.As(err, &je) || errors.As(err, &pe) || errors.As(err, &te) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

func sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg", nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png", nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff", nil
	case bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")):
		return "", fmt.Errorf("%w: BigTIFF is not supported; save as ordinary TIFF", ErrUnsupported)
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		return "pdf", nil
	case len(data) == 0:
		return "", fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	head := data[:min(len(data), 8)]
	return "", fmt.Errorf("%w: not a JPEG, PNG, TIFF or PDF (starts with % x)", ErrUnsupported, head)
}
