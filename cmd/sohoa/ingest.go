package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/sign"
)

// cpuProfile and memProfile are where --cpuprofile and --memprofile
// write; empty means no profiling.
var cpuProfile, memProfile string

// ingestRegister is ingest's population register, for the reconcile stage.
var ingestRegister registerConfig

// signing holds the sign stage's flags.
var signing struct {
	key, passwordFile, tsa, location, reason string
	level                                    string // PAdES level; empty: B-T with a TSA, else B-B
	visible                                  string // top-left or none
	module, chain                            string // PKCS#11 module; certificates for a token's key
	off                                      bool
}

func ingestFlags(opt *pipeline.Options, out *string, quiet *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(out, "out", "", "folder to write CODE.pdf and CODE.json into (required)")
	fs.StringVar(&opt.Code, "code", "", "dossier code, used for the file names and the PDF title (required; letters, digits, - _ .)")
	fs.StringVar(&opt.Lang, "lang", pipeline.DefaultLang, "Tesseract languages, joined by + (for example vie+eng)")
	fs.IntVar(&opt.Jobs, "jobs", runtime.NumCPU(), "pages processed in parallel, one Tesseract instance each")
	fs.IntVar(&opt.OCRDPI, "ocr-dpi", pipeline.DefaultOCRDPI, "read finer scans at this resolution (0: each at its own); word boxes are in its pixels")
	fs.Int64Var(&opt.MaxPixels, "max-pixels", scan.DefaultMaxPixels, "refuse pages larger than this many pixels (decompression-bomb guard)")
	fs.Func("skip", "steps of the resolution check and of the cleanup of OCR's copy not to run, comma-separated: "+strings.Join(pipeline.Steps, ", "), func(v string) error {
		opt.Skip = splitList(v)
		return pipeline.CheckSkip(opt.Skip)
	})
	opt.Images = pipeline.ImagesCompact
	fs.Func("images", "how pages' images go into the PDF: compact (re-encoded to G4 or JPEG where that is smaller; the originals are kept bit-exact beside it) or original (as scanned) (default compact)", func(v string) error {
		opt.Images = v
		return pipeline.CheckImages(v)
	})
	fs.BoolVar(quiet, "quiet", false, "print only the summary and errors")
	fs.StringVar(&signing.key, "key", os.Getenv("SOHOA_KEY"), "signing key and certificate chain: .p12, or PEM, or a key on a hardware token as pkcs11:token=LABEL;object=KEYLABEL (default $SOHOA_KEY, else the development key of 'sohoa keys dev')")
	fs.StringVar(&signing.passwordFile, "key-password-file", "", "file holding the key's password or the token's PIN (default $SOHOA_KEY_PASSWORD; the development key's own for it)")
	tokenFlags(fs)
	fs.StringVar(&signing.tsa, "tsa", os.Getenv("SOHOA_TSA_URL"), "RFC 3161 time-stamp authority URL: signatures become PAdES B-T (default $SOHOA_TSA_URL)")
	levelFlag(fs)
	fs.StringVar(&signing.location, "location", envOr("SOHOA_LOCATION", "Trung tâm Phục vụ hành chính công"), "service center named in the signature (default $SOHOA_LOCATION)")
	fs.StringVar(&signing.reason, "reason", "Số hóa hồ sơ (digitised dossier)", "reason given in the signature")
	fs.BoolVar(&signing.off, "no-sign", false, "leave the dossier unsigned")
	visibleFlag(fs)
	ingestRegister.bind(fs)
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this file (for performance work)")
	fs.StringVar(&memProfile, "memprofile", "", "write a Go profile of the run's allocations to this file at its end (for performance work)")
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
	gcForPages()
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
	// The key is loaded, and its certificate checked, before any page is
	// read: a wrong password or an expired certificate is no reason to
	// spend an hour of OCR.
	if !signing.off {
		var err error
		if opt.Signer, err = loadSigner(nil); err != nil {
			return err
		}
		defer opt.Signer.Close()
	}
	// The register too is reached before the OCR: a wrong address or
	// credential is found in a second, not after the pages.
	reg, closeReg, err := ingestRegister.open(ctx)
	if err != nil {
		return err
	}
	defer closeReg()
	opt.Register = reg
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
	if memProfile != "" {
		if err := writeAllocs(memProfile); err != nil {
			return err
		}
	}
	if m != nil {
		summary(os.Stdout, m, out)
	}
	return err
}

// writeAllocs writes the allocations profile, every allocation since the
// start (go tool pprof -sample_index=alloc_space).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write allocations profile %s: %w", path, err)
	}
	return f.Close()
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
	if md := m.Metadata; md != nil {
		for _, d := range md.Documents {
			typ := d.DocumentType
			if typ == "" {
				typ = "document of unknown type"
			}
			pages := fmt.Sprintf("pages %d-%d", d.FirstPage, d.LastPage)
			if d.FirstPage == d.LastPage {
				pages = fmt.Sprintf("page %d", d.FirstPage)
			}
			people := fmt.Sprintf("%d people named", len(d.People))
			if len(d.People) == 1 {
				people = "1 person named"
			}
			fmt.Fprintf(w, "  %s: %s, %s\n", pages, typ, people)
		}
		if r := md.Reconciliation; r != nil {
			fmt.Fprintf(w, "  register %s", r.Status)
			if r.Error != "" {
				fmt.Fprintf(w, ": %s", r.Error)
			}
			fmt.Fprintln(w)
		}
	}
	if m.Signature != nil {
		fmt.Fprintf(w, "  signed   %s by %s\n", m.Signature.Level, m.Signature.Signer)
	}
	for _, p := range m.Failed {
		fmt.Fprintf(w, "  FAILED %s\n", p.Error)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// loadSigner opens the configured key (a file, or a key on a token for a
// pkcs11: URI), or the development key when none is configured and
// 'sohoa keys dev' has made one. A service's warnings about it go to its
// log (log); the command line's, with log nil, to stderr.
func loadSigner(log *slog.Logger) (*sign.Signer, error) {
	path, password := signing.key, os.Getenv("SOHOA_KEY_PASSWORD")
	if path == "" {
		dir, err := devKeyDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, sign.DevP12File)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no signing key: run 'sohoa keys dev' for a development key, pass --key FILE (or set SOHOA_KEY) for the center's key, or --no-sign")
		}
		if password == "" {
			password = sign.DevPassword
		}
		// Loud, because a desk that forgot --key would otherwise seal
		// real dossiers with a key anyone can make.
		if log != nil {
			log.Warn("signing with the DEVELOPMENT key: not for real dossiers (pass --key)", "key", path)
		} else {
			fmt.Fprintf(os.Stderr, "sohoa: signing with the DEVELOPMENT key %s: not for real dossiers (pass --key)\n", path)
		}
	}
	if signing.passwordFile != "" {
		b, err := os.ReadFile(signing.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("key password: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	load := sign.Load
	if sign.IsPKCS11URI(path) {
		load = loadTokenSigner
	}
	s, err := load(path, password)
	if err != nil {
		return nil, err
	}
	s.TSAURL, s.Location, s.Reason = signing.tsa, signing.location, signing.reason
	if signing.visible == "top-left" {
		s.Visible = &sign.Appearance{}
	}
	if err := checkLevel(s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// visibleFlag binds --visible-signature, for ingest and the worker alike:
// a dossier shows its signature block whichever way it was made.
func visibleFlag(fs *flag.FlagSet) {
	signing.visible = "top-left"
	fs.Func("visible-signature", "signature block on page 1: top-left (where the rules put the digitizing officer's signature) or none (an invisible signature) (default top-left)", func(v string) error {
		if v != "top-left" && v != "none" {
			return fmt.Errorf("want top-left or none, not %q", v)
		}
		signing.visible = v
		return nil
	})
}

// levelFlag binds --level, the PAdES level signatures reach.
func levelFlag(fs *flag.FlagSet) {
	fs.StringVar(&signing.level, "level", os.Getenv("SOHOA_SIGN_LEVEL"), "PAdES level of the signature: B-B, B-T, B-LT (adds the chain's OCSP responses or CRLs, fetched at signing) or B-LTA (adds a document time-stamp as well); B-T and up need --tsa (default $SOHOA_SIGN_LEVEL, else B-T with --tsa and B-B without)")
}

// checkLevel sets and checks the signer's level before any work: B-LT
// and B-LTA fetch a time-stamp and every certificate's revocation status
// now, so a responder that cannot be reached stops the start, not a
// dossier.
func checkLevel(s *sign.Signer) error {
	if signing.level != "" {
		l, err := sign.ParseLevel(signing.level)
		if err != nil {
			return usageError{fmt.Errorf("--level (SOHOA_SIGN_LEVEL): %w", err)}
		}
		s.Level = l
	}
	if err := s.CheckLevel(); err != nil {
		return usageError{fmt.Errorf("--level (SOHOA_SIGN_LEVEL): %w", err)}
	}
	if !s.TargetLevel().AtLeast(sign.LevelBLT) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Preflight(ctx); err != nil {
		return fmt.Errorf("--level %s: %w", s.TargetLevel(), err)
	}
	return nil
}
