// Command sohoa digitises the paper files citizens bring to one-stop
// public service desks: scanned pages in, a searchable dossier PDF and a
// manifest out.
//
//	sohoa ingest --out DIR --code CODE INPUT...
//	sohoa verify FILE.pdf [--originals DIR] [--json]
//	sohoa serve [options]
//	sohoa worker [options]
//	sohoa audit verify [--dossier CODE]
//	sohoa register load FILE.csv
//	sohoa keys dev
//	sohoa version
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/sohoa/sohoa/ocr"
)

const usage = `sohoa turns scanned pages into searchable Vietnamese dossier PDFs.

Usage:
  sohoa ingest --out DIR --code CODE [options] INPUT...
  sohoa verify FILE.pdf [--originals DIR] [--roots PEM] [--json]
  sohoa serve [options]
  sohoa worker [options]
  sohoa station --server URL --token-file FILE --watch DIR [options]
  sohoa tokens create --name NAME --role ROLE [--office OFFICE] | list | revoke --name NAME
  sohoa audit verify [--dossier CODE] [--postgres DSN]
  sohoa register load [--postgres DSN] FILE.csv
  sohoa keys dev [--dir DIR]
  sohoa version
  sohoa help [COMMAND]

Commands:
  ingest    OCR scans (JPEG, PNG, TIFF, image-only PDF) into a signed
            PDF/A-2b dossier DIR/CODE.pdf and a manifest DIR/CODE.json
  verify    check a dossier: signature, whole file signed, signer and chain,
            signing time and time-stamp, PDF/A claims, fonts, and with
            --originals each original scan's SHA-256; exits 1 on any failure
  serve     the HTTP API scanner stations upload dossiers through
  worker    process submitted dossiers from the queue (run one or many,
            on one or many machines); serve and worker share Redis,
            PostgreSQL and storage, set by flags or SOHOA_* variables
            ('sohoa serve -h', 'sohoa worker -h')
  station   the agent on a scanner PC: watches the scanner's folder, one
            sub-folder a dossier, and uploads its pages, resuming after
            a restart or an outage without sending a page twice
  tokens    API clients: each token has one role (operator, workflow,
            auditor, admin); it is printed once and stored hashed
  audit verify
            recompute the catalog's hash-chained event trail of every
            dossier (or one); exits 1 naming each event edited, deleted or
            inserted behind the catalog's back
  register load
            load a province's population register export (CSV) into the
            register mirror; reloading is safe; exits 1 naming each
            rejected line after loading the good ones
  keys dev  make a development CA and signing key (not for production)
  version   print the versions of sohoa, Tesseract and the OCR models

Run 'sohoa help ingest' for the options of a command.
`

func main() {
	// Tesseract's OpenMP threads fight the page-level parallelism; the
	// limit must be in the environment before the library loads.
	if err := ocr.SingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// gcForPages sets the garbage collector for page work, in the commands
// that do it (ingest, worker), each setting unless the environment names
// its own (GOGC, GOMEMLIMIT). A page's stages allocate about 80 MB of
// short-lived rasters against a live heap of 20-35 MB, so at Go's default
// the collector ran several times a page (135 times on 44 hard pages),
// each time letting go of memory the next page faulted back in. Measured
// on those pages, two runs each: GOGC 400 spent 2.2-3.3 % less time in the
// stages than 100 (800 no less than 400), for a peak RSS of 534-631 MB
// against 409-433 MB with two jobs. The soft limit, 1 GiB or half the
// container's memory where that is less, keeps a run of very large pages
// (a 120 MP page decodes to 480 MB) from growing the heap to five times
// what it holds; Tesseract's own memory is outside it.
func gcForPages() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := int64(1 << 30)
		if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil { // "max" when unbounded
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n/2 < limit {
				limit = n / 2
			}
		}
		debug.SetMemoryLimit(limit)
	}
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "ingest":
		err = ingest(ctx, args[1:])
	case "serve":
		err = serve(ctx, args[1:])
	case "worker":
		err = worker(ctx, args[1:])
	case "station":
		err = stationCmd(ctx, args[1:])
	case "tokens":
		err = tokens(ctx, args[1:])
	case "audit":
		err = audit(ctx, args[1:])
	case "register":
		err = registerCmd(ctx, args[1:])
	case "keys":
		err = keys(args[1:])
	case "verify":
		err = verifyCmd(args[1:])
	case "version", "--version":
		err = version()
	case "help", "-h", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "ingest":
				return ingestHelp()
			case "serve", "worker", "station":
				return run(ctx, []string{args[1], "-h"})
			case "audit":
				return run(ctx, []string{"audit", "verify", "-h"})
			case "register":
				return run(ctx, []string{"register", "load", "-h"})
			}
		}
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "sohoa: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errVerifyFailed):
		return 1
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "sohoa %s: %v\nRun 'sohoa help %s' for usage.\n", args[0], err, args[0])
		return 2
	default:
		fmt.Fprintf(os.Stderr, "sohoa %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is a mistake on the command line, as opposed to a failure.
type usageError struct{ error }
