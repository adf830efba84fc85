package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sohoa/sohoa/internal/redact"
	"github.com/sohoa/sohoa/register/pgmirror"
)

const registerUsage = "usage: sohoa register load [--postgres DSN] [--batch N] FILE.csv"

// maxRejectsShown bounds the rejected rows printed one by one: a file
// with a wrong column order would otherwise print a million lines.
const maxRejectsShown = 1000

// registerCmd manages the register mirror: sohoa register load FILE.csv
// loads a province's export (format: register/CONTRACT.md) into the
// catalog's database, in the register schema. It exits 1 when rows were
// rejected, after loading every good one, so that a script notices.
func registerCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "load" {
		return usageError{errors.New(registerUsage)}
	}
	var dsn string
	var batch int
	fs := flag.NewFlagSet("register load", flag.ContinueOnError)
	fs.StringVar(&dsn, "postgres", os.Getenv("SOHOA_POSTGRES_DSN"), "PostgreSQL DSN of the database that holds the mirror, normally the catalog's ($SOHOA_POSTGRES_DSN; required)")
	fs.IntVar(&batch, "batch", pgmirror.DefaultBatch, "rows per transaction")
	// The file may come before or after the flags: parse, take the
	// argument the flags stopped at, parse the rest.
	var files []string
	rest := args[1:]
	for {
		fs.SetOutput(io.Discard)
		if err := fs.Parse(rest); err != nil {
			return parseFlags(fs, rest) // prints the help, or the usage error
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageError{errors.New(registerUsage)}
	}
	if dsn == "" {
		return usageError{errors.New("--postgres (SOHOA_POSTGRES_DSN) is required")}
	}
	if batch < 1 {
		return usageError{fmt.Errorf("--batch %d: want at least 1", batch)}
	}
	var in io.Reader = os.Stdin
	name := files[0]
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else {
		name = "stdin"
	}
	m, err := pgmirror.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("register mirror (SOHOA_POSTGRES_DSN): %w", redact.Error(err, dsn))
	}
	defer m.Close()
	shown := 0
	start := time.Now()
	rep, err := m.Load(ctx, bufio.NewReaderSize(in, 1<<20), pgmirror.LoadOptions{Batch: batch, Reject: func(r pgmirror.Rejection) {
		// FILE:LINE: first, as compilers write it, so editors jump there.
		switch {
		case shown >= maxRejectsShown:
		case r.ID != "":
			fmt.Fprintf(os.Stderr, "%s:%d: id %s: %s\n", name, r.Line, r.ID, r.Reason)
		default:
			fmt.Fprintf(os.Stderr, "%s:%d: %s\n", name, r.Line, r.Reason)
		}
		shown++
	}})
	took := time.Since(start)
	if shown > maxRejectsShown {
		fmt.Fprintf(os.Stderr, "%s: ... and %d more rejected rows\n", name, shown-maxRejectsShown)
	}
	fmt.Printf("%s: %d rows read in %s (%.0f rows/s): %d new, %d changed, %d unchanged, %d superseded by a later row, %d rejected\n",
		name, rep.Read, took.Round(time.Millisecond), float64(rep.Read)/took.Seconds(), rep.Inserted, rep.Updated, rep.Unchanged, rep.Superseded, rep.Rejected)
	if err != nil {
		return fmt.Errorf("%w (the batches before it are loaded; loading the file again is safe)", redact.Error(err, dsn))
	}
	if rep.Rejected > 0 {
		return errVerifyFailed
	}
	return nil
}
