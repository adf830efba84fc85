package station

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Usage is the command's help text; name is how it was invoked ("sohoa
// station" or "sohoa-station").
func Usage(name string) string {
	return fmt.Sprintf(`Usage: %s --server URL --token-file FILE --watch DIR [options]
       %[1]s sheet [--end] [--out FILE.pdf] CODE

The agent on a scanner PC. Each sub-folder of DIR is one dossier, its
page files (JPEG, PNG, TIFF, PDF) the pages in name order (scan2 before
scan10). A folder named after an existing dossier's code, or holding a
%s with one, adds pages to it; any other folder gets a new
dossier. A file is taken once it has not changed for --settle and is
whole; the same scan twice in a folder is sent once. Put a file named
%s (or %s.txt) into the folder when the dossier is complete: it is
submitted once every page is sent, and the page warnings the workers
find are shown. What was done is kept in --db: stop or kill the agent at
any time, or lose the link for hours; it goes on where it was and sends
no page twice.

Pages written into DIR itself are a stream: a separator sheet, printed
by "%[1]s sheet CODE", sends the pages after it to dossier CODE
(they are moved into the sub-folder CODE); an end sheet ("sheet --end")
submits the dossier. Sheets are read from JPEG, PNG and TIFF scans, not
from PDFs, and are never sent; the agent puts them into DIR/%[5]s.
Pages with no sheet before them are left where they are.

At the agent's terminal, Enter (or "nộp") submits the dossier the sheets
are filling, and "nộp NAME" the dossier of sub-folder NAME.

Options may also be set in a file given by --config, one "name = value"
a line (# starts a comment); the command line wins.

`, name, JoinFile, SubmitMarker, SubmitMarker, SheetsFolder)
}

// ErrHelp is returned when help was asked for and printed.
var ErrHelp = flag.ErrHelp

// Command runs the agent with command-line arguments args (without the
// command's name) until ctx ends. A mistake in the arguments is an error
// wrapping *UsageError.
func Command(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sheet" {
		return sheetCommand(name+" sheet", args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, Usage(name))
		fs.PrintDefaults()
	}
	var cfg Config
	configFile := fs.String("config", "", "read options from this file")
	fs.StringVar(&cfg.Server, "server", "", "the sohoa API's base URL")
	tokenFile := fs.String("token-file", "", "file holding an API token of role operator (or set SOHOA_TOKEN)")
	fs.StringVar(&cfg.Watch, "watch", "", "the folder the scanner writes to")
	fs.StringVar(&cfg.DB, "db", "", "the queue file (default DIR/.sohoa-station.db)")
	fs.StringVar(&cfg.Procedure, "procedure", "", "procedure (TTHC) code of the dossiers the agent creates")
	fs.StringVar(&cfg.Queue, "queue", "desk", "processing queue of new dossiers: desk or bulk")
	fs.DurationVar(&cfg.Settle, "settle", 3*time.Second, "a file is taken once unchanged this long")
	fs.DurationVar(&cfg.Poll, "poll", time.Second, "how often the folder is looked at")
	fs.DurationVar(&cfg.SubmitIdle, "submit-idle", 0, "also submit a folder with no new page for this long (0: only on SUBMIT)")
	fs.Int64Var(&cfg.MultipartAbove, "multipart-above", 16<<20, "send larger files in resumable parts, where the service's storage takes them")
	fs.DurationVar(&cfg.MinBackoff, "min-backoff", time.Second, "first wait before retrying while the server is unreachable")
	fs.DurationVar(&cfg.MaxBackoff, "max-backoff", time.Minute, "longest wait between retries")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		return &UsageError{err}
	}
	if fs.NArg() > 0 {
		return &UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *configFile != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if err := readConfig(fs, *configFile, set); err != nil {
			return &UsageError{err}
		}
	}
	// At a terminal the operator may type Enter to submit; a service's
	// standard input is left alone.
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		cfg.Keys = os.Stdin
	}
	cfg.Token = strings.TrimSpace(os.Getenv("SOHOA_TOKEN"))
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return &UsageError{fmt.Errorf("token-file: %w", err)}
		}
		cfg.Token = strings.TrimSpace(string(b))
	}
	if cfg.DB == "" && cfg.Watch != "" {
		cfg.DB = filepath.Join(cfg.Watch, ".sohoa-station.db")
	}
	cfg.Out = stdout
	if err := cfg.validate(); err != nil {
		return &UsageError{err}
	}
	return Run(ctx, cfg)
}

// UsageError is a mistake in the agent's arguments or configuration.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// readConfig sets, from a "name = value" file, the flags the command line
// did not.
func readConfig(fs *flag.FlagSet, path string, set map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if !ok || k == "" || k == "config" {
			return fmt.Errorf("config %s line %d: want name = value", path, n)
		}
		if fs.Lookup(k) == nil {
			return fmt.Errorf("config %s line %d: no option %q", path, n, k)
		}
		if set[k] {
			continue
		}
		if err := fs.Set(k, v); err != nil {
			return fmt.Errorf("config %s line %d: %s: %w", path, n, k, err)
		}
	}
	return sc.Err()
}

// sheetCommand prints a separator sheet: a PDF to --out, or to stdout.
func sheetCommand(name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [--end] [--out FILE.pdf] CODE\n\nWrites the separator sheet of dossier CODE, an A4 PDF to print.\n\n", name)
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write the PDF to this file (default: CODE.pdf, or CODE-end.pdf; - for stdout)")
	end := fs.Bool("end", false, "an end sheet: put after the dossier's last page, it submits the dossier")
	// The code may come before the options, as a person types it.
	var code string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		return &UsageError{err}
	}
	rest := fs.Args()
	if code == "" && len(rest) > 0 {
		code, rest = rest[0], rest[1:]
	}
	switch {
	case code == "":
		return &UsageError{errors.New("sheet: the dossier's code is required")}
	case len(rest) > 0:
		return &UsageError{fmt.Errorf("sheet: unexpected argument %q", rest[0])}
	case !codePattern.MatchString(code):
		return &UsageError{fmt.Errorf("sheet %q: %w", code, ErrBadCode)}
	}
	s := Sheet{Code: code, Submit: *end}
	if *out == "-" {
		return WriteSheetPDF(stdout, s)
	}
	path := *out
	if path == "" {
		path = code + ".pdf"
		if *end {
			path = code + "-end.pdf"
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	if err := WriteSheetPDF(f, s); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %v written; print it at 100%%\n", path, s)
	return nil
}
