package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
)

// cpuProfile is where --cpuprofile writes; empty means no profiling.
var cpuProfile string

func ingestFlags(opt *pipeline.Options, out *string, quiet *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(out, "out", "", "folder to write CODE.pdf and CODE.json into (required)")
	fs.StringVar(&opt.Code, "code", "", "dossier code, used for the file names and the PDF title (required; letters, digits, - _ .)")
	fs.StringVar(&opt.Lang, "lang", pipeline.DefaultLang, "Tesseract languages, joined by + (for example vie+eng)")
	fs.IntVar(&opt.Jobs, "jobs", runtime.NumCPU(), "pages processed in parallel, one Tesseract instance each")
	fs.IntVar(&opt.OCRDPI, "ocr-dpi", pipeline.DefaultOCRDPI, "read finer scans at this resolution (0: each at its own); word boxes are in its pixels")
	fs.Int64Var(&opt.MaxPixels, "max-pixels", scan.DefaultMaxPixels, "refuse pages larger than this many pixels (decompression-bomb guard)")
	fs.BoolVar(quiet, "quiet", false, "print only the summary and errors")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this file (for performance work)")
	return fs
}

func ingestHelp() int {
	var opt pipeline.Options
	var out string
	var quiet bool
	fs := ingestFlags(&opt, &out, &quiet)
	fmt.Print(`Usage: sohoa ingest --out DIR --code CODE [options] INPUT...

OCR scanned pages into one searchable dossier PDF, DIR/CODE.pdf, and a
manifest, DIR/CODE.json, with per page: source file and its SHA-256, pixel
size, DPI, rotation and skew corrected, blank and low-DPI flags, OCR
confidence, the text, and the time spent in each stage.

INPUT is a file or a folder; folders contribute their .jpg .jpeg .png .tif
.tiff .pdf files in name order. Files are read as JPEG, PNG, TIFF (every
frame is a page) or image-only PDF (every page's image), judged by content.

Every page goes through: ` + strings.Join(pipeline.Stages, " → ") + `.
A page that fails is left out of the PDF and named in the manifest; the
others are finished, and the command then exits 1.

Options:
`)
	fs.SetOutput(os.Stdout)
	fs.PrintDefaults()
	fmt.Print(`
Environment:
  TESSDATA_PREFIX   folder holding LANG.traineddata (default: the system's)
`)
	return 0
}

func ingest(ctx context.Context, args []string) error {
	var opt pipeline.Options
	var out string
	var quiet bool
	fs := ingestFlags(&opt, &out, &quiet)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	switch {
	case out == "":
		return usageError{fmt.Errorf("--out is required")}
	case opt.Code == "":
		return usageError{fmt.Errorf("--code is required")}
	case fs.NArg() == 0:
		return usageError{fmt.Errorf("no INPUT files or folders")}
	case opt.Jobs < 1:
		return usageError{fmt.Errorf("--jobs must be at least 1, got %d", opt.Jobs)}
	case opt.OCRDPI != 0 && opt.OCRDPI < 100:
		return usageError{fmt.Errorf("--ocr-dpi must be 0 or at least 100, got %d", opt.OCRDPI)}
	case opt.MaxPixels < 1:
		return usageError{fmt.Errorf("--max-pixels must be positive, got %d", opt.MaxPixels)}
	}
	if err := pipeline.CheckCode(opt.Code); err != nil {
		return usageError{err}
	}
	if err := ocr.CheckLanguages(opt.Lang); err != nil {
		return usageError{err}
	}
	files, err := pipeline.Inputs(fs.Args())
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	prog := newProgress(os.Stderr, quiet)
	m, err := pipeline.Ingest(ctx, files, out, opt, prog.event)
	prog.finish()
	if m != nil {
		summary(os.Stdout, m, out)
	}
	return err
}

func summary(w io.Writer, m *pipeline.Manifest, dir string) {
	if m.PDF != "" {
		fmt.Fprintf(w, "dossier %s: %d pages in %.1f s\n  PDF      %s/%s (%d bytes)\n  manifest %s/%s.json\n",
			m.Code, len(m.Pages), m.Seconds, dir, m.PDF, m.PDFBytes, dir, m.Code)
	}
	for _, p := range m.Pages {
		if len(p.Warnings) > 0 {
			fmt.Fprintf(w, "  page %d (%s p%d): %s\n", p.Page, p.Source, p.SourcePage, strings.Join(p.Warnings, "; "))
		}
	}
	for _, p := range m.Failed {
		fmt.Fprintf(w, "  FAILED %s\n", p.Error)
	}
}
