package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/sign"
)

// Options are the choices that change a dossier; all of them are recorded
// in its manifest.
type Options struct {
	Code      string `json:"code"`
	Lang      string `json:"lang"`
	Jobs      int    `json:"jobs"`
	MaxPixels int64  `json:"max_pixels"`
	// OCRDPI caps the resolution OCR reads at: finer scans are resampled
	// down in the deskew pass (0: read every page at its own resolution).
	OCRDPI int `json:"ocr_dpi"`
	// Skip names steps of the resolution check and of the cleanup of OCR's
	// copy not to run (Steps); none skipped by default.
	Skip []string `json:"skip,omitempty"`
	// Signer seals the dossier (the sign stage); nil leaves it unsigned.
	Signer *sign.Signer `json:"-"`
	// Register is the population register the reconcile stage checks the
	// documents' people against; nil: extract only.
	Register *Register `json:"-"`
	// Images is how pages' images go into the dossier PDF: ImagesCompact
	// (the default, also meant by "") or ImagesOriginal.
	Images string `json:"images,omitempty"`
}

// Event reports progress: one page finished or failed.
type Event struct {
	Done, Total int
	Page        *PageReport
}

// Tools names what produced the dossier, so a result can be traced to the
// model that read it.
type Tools struct {
	Sohoa     string  `json:"sohoa"`
	Tesseract string  `json:"tesseract"`
	Models    []Model `json:"models"`
}

// Model is one traineddata file by name and content hash.
type Model struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// ErrPagesFailed is returned when some pages could not be processed; the
// dossier holds the others and the manifest says which failed and why.
var ErrPagesFailed = errors.New("pages failed")

// Version is sohoa's version: the module version or VCS revision the binary
// was built from.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v = s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}

// Inputs expands the command line's files and folders into scan files in
// order: each argument in the order given, a folder's files by name. In a
// folder only files named like scans (.jpg, .png, .tif, .pdf ...) are
// taken; a file named on its own is always taken and judged by its content.
func Inputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", a, err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("input folder %s: %w", a, err)
		}
		var names []string
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf":
				if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
		}
		slices.Sort(names)
		for _, n := range names {
			out = append(out, filepath.Join(a, n))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no scan files in the inputs")
	}
	// The manifest and the PDF's XMP name originals by file name; two
	// inputs of one name could not both be found again by an auditor.
	seen := map[string]string{}
	for _, f := range out {
		b := filepath.Base(f)
		if prev, ok := seen[b]; ok {
			return nil, fmt.Errorf("inputs %s and %s have the same file name; rename one", prev, f)
		}
		seen[b] = f
	}
	return out, nil
}

// Ingest runs every page of the input files through the stages and writes
// dir/CODE.pdf and dir/CODE.json. Pages that fail are left out of the PDF
// and listed in the manifest; Ingest then returns an error wrapping
// ErrPagesFailed that names them, after finishing all the others.
func Ingest(ctx context.Context, files []string, dir string, opt Options, progress func(Event)) (*Manifest, error) {
	start := time.Now()
	if opt.Lang == "" {
		opt.Lang = DefaultLang
	}
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = scan.DefaultMaxPixels
	}
	if err := CheckCode(opt.Code); err != nil {
		return nil, err
	}
	tools, err := ToolVersions(opt.Lang)
	if err != nil {
		return nil, err
	}

	// Probe every file first: page counts for progress, and bad files
	// known before any OCR time is spent.
	type job struct {
		file *scan.File
		n    int
	}
	var jobs []job
	var unreadable []PageReport
	for _, path := range files {
		f, err := scan.Open(path, scan.Options{MaxPixels: opt.MaxPixels})
		if err != nil {
			unreadable = append(unreadable, PageReport{Source: filepath.Base(path), Error: "normalize: " + err.Error()})
			continue
		}
		for n := 1; n <= f.Pages; n++ {
			jobs = append(jobs, job{f, n})
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	pdfPath := filepath.Join(dir, opt.Code+".pdf")
	tmp, err := os.CreateTemp(dir, "."+opt.Code+".pdf.*")
	if err != nil {
		return nil, fmt.Errorf("create dossier PDF: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	b, err := NewBuilder(tmp, start, tools, opt)
	if err != nil {
		tmp.Close()
		return nil, err
	}
	b.Timed = true
	for i := range unreadable {
		b.Fail(&unreadable[i])
	}

	// Workers each own an OCR engine; results come back in any order and
	// are written in dossier order as soon as the next one is ready.
	results := make([]chan *Processed, len(jobs))
	for i := range results {
		results[i] = make(chan *Processed, 1)
	}
	// Load every engine before any page is processed: gosseract points the
	// process's stderr at /dev/null while a model loads, which would swallow
	// progress lines printed meanwhile, and a broken model fails the run
	// before any work is done.
	engines := make([]*ocr.Engine, 0, min(opt.Jobs, max(1, len(jobs))))
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	for range cap(engines) {
		eng, err := ocr.NewEngine(opt.Lang)
		if err != nil {
			tmp.Close()
			return nil, err
		}
		engines = append(engines, eng)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for _, eng := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, _ := processSafely(jobs[i].file, jobs[i].n, eng, opt)
				results[i] <- p
			}
		}()
	}
	// Pages are handed out at most 2×Jobs ahead of the one being written,
	// so a slow early page cannot make the finished later ones pile up in
	// memory.
	ahead := make(chan struct{}, 2*len(engines))
	go func() {
		defer close(next)
		for i := range jobs {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if ctx.Err() != nil {
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	done := 0
	for i := range jobs {
		var p *Processed
		select {
		case p = <-results[i]:
			<-ahead
		case <-ctx.Done():
			// Workers finish the page in hand (their engines are closed
			// on return) and the half-written PDF is removed.
			tmp.Close()
			wg.Wait()
			return nil, ctx.Err()
		}
		done++
		// A page the PDF refuses is recorded as failed, as one that
		// failed before; the others go on.
		b.Add(p)
		if progress != nil {
			progress(Event{Done: done, Total: len(jobs), Page: &p.Report})
		}
	}
	wg.Wait()

	m, err := b.Finish(ctx)
	switch {
	case errors.Is(err, ErrNoPages): // every page failed: no PDF
		tmp.Close()
	case err != nil:
		tmp.Close()
		return nil, err
	default:
		if err := tmp.Close(); err != nil {
			return nil, fmt.Errorf("%s: write dossier PDF: %w", StageAssemble, err)
		}
		var sig *SignatureInfo
		if opt.Signer != nil {
			if sig, err = signFile(ctx, opt.Signer, tmp.Name()); err != nil {
				return nil, err
			}
		}
		if err := os.Rename(tmp.Name(), pdfPath); err != nil {
			return nil, fmt.Errorf("%s: %w", StageAssemble, err)
		}
		data, err := os.ReadFile(pdfPath)
		if err != nil {
			return nil, fmt.Errorf("read back dossier PDF: %w", err)
		}
		m.SetPDF(filepath.Base(pdfPath), data, sig)
	}
	m.Seconds = ms(time.Since(start)) / 1000
	if err := writeManifest(filepath.Join(dir, opt.Code+".json"), m); err != nil {
		return m, err
	}
	if len(m.Failed) > 0 {
		var names []string
		for _, f := range m.Failed {
			if f.SourcePage > 0 {
				names = append(names, fmt.Sprintf("%s page %d", f.Source, f.SourcePage))
			} else {
				names = append(names, f.Source)
			}
		}
		return m, fmt.Errorf("%w: %d of %d: %s", ErrPagesFailed, len(m.Failed), len(m.Failed)+len(m.Pages), strings.Join(names, ", "))
	}
	return m, nil
}

// processSafely is Process for a worker: a panic in a decoder or in OCR on
// a hostile page fails that page, not the run and the pages already done.
func processSafely(f *scan.File, n int, eng *ocr.Engine, opt Options) (p *Processed, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s page %d: internal error: %v", f.Name(), n, r)
			p = &Processed{Report: PageReport{Source: f.Name(), SourcePage: n, SHA256: f.SHA256, Error: err.Error()}}
		}
	}()
	return Process(f, n, eng, opt)
}

// ProcessFile takes the given pages of f (1-based; a multi-frame TIFF or
// PDF has several) through the page stages one at a time, as a worker does
// with one stored original, and hands each to keep as soon as it is made:
// keep stores it, so that a file of many frames holds one decoded frame at
// a time, and a run that is cancelled or dies leaves the frames done for
// the next to skip. ctx is checked before each page: a cancelled run
// returns ctx.Err() once the page in hand is done. The first page that
// fails stops the run with its error, which wraps scan's sentinels when
// the file itself is at fault; a panic in a decoder or in OCR is that
// page's error.
func ProcessFile(ctx context.Context, f *scan.File, pages []int, eng *ocr.Engine, opt Options, keep func(*Processed) error) error {
	for _, n := range pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := processSafely(f, n, eng, opt)
		if err != nil {
			return err
		}
		if err := keep(p); err != nil {
			return err
		}
	}
	return nil
}

// Sign is the sign stage: it seals an assembled dossier PDF with an
// incremental update, so the PDF/A part stays byte for byte.
func Sign(ctx context.Context, s *sign.Signer, data []byte) ([]byte, *SignatureInfo, error) {
	t := time.Now()
	signed, err := s.SignContext(ctx, data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", StageSign, err)
	}
	cert := s.Certificate()
	info := &SignatureInfo{Signer: cert.Subject.String(), Issuer: cert.Issuer.String(),
		Serial: cert.SerialNumber.Text(16), Level: "PAdES " + string(s.TargetLevel()), Location: s.Location, MS: ms(time.Since(t))}
	return signed, info, nil
}

// signFile seals the assembled PDF at path in place.
func signFile(ctx context.Context, s *sign.Signer, path string) (*SignatureInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StageSign, err)
	}
	signed, info, err := Sign(ctx, s, data)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		return nil, fmt.Errorf("%s: %w", StageSign, err)
	}
	return info, nil
}

// CheckCode keeps the dossier code usable as a file name and object key.
func CheckCode(code string) error {
	if code == "" {
		return errors.New("dossier code is required")
	}
	if len(code) > 64 {
		return fmt.Errorf("dossier code %q: longer than 64 characters", code)
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || code[0] == '.' {
			return fmt.Errorf("dossier code %q: use letters, digits, '-', '_' and '.' only", code)
		}
	}
	return nil
}

// ToolVersions names sohoa, Tesseract and the OCR models (by content hash)
// that read lang: what a dossier records as having made it, and what a
// stored stage result's key depends on.
func ToolVersions(lang string) (Tools, error) {
	t := Tools{Sohoa: Version(), Tesseract: ocr.TesseractVersion()}
	if err := ocr.CheckLanguages(lang); err != nil {
		return t, err
	}
	files, err := ocr.ModelFiles(lang)
	if err != nil {
		return t, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return t, fmt.Errorf("read OCR model: %w", err)
		}
		sum := sha256.Sum256(b)
		t.Models = append(t.Models, Model{File: f, SHA256: hex.EncodeToString(sum[:])})
	}
	return t, nil
}

func writeManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return os.Rename(tmp, path)
}
