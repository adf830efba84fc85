package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/redact"
)

const auditUsage = "usage: sohoa audit verify [--dossier CODE] [--postgres DSN]"

// audit checks the catalog's hash-chained event trail: sohoa audit verify.
// It reads only; it exits 1, through errVerifyFailed, naming the first
// broken link of each dossier whose trail was edited, cut or added to.
func audit(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New(auditUsage)}
	}
	var dsn, code string
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.StringVar(&dsn, "postgres", os.Getenv("SOHOA_POSTGRES_DSN"), "PostgreSQL DSN of the catalog ($SOHOA_POSTGRES_DSN; required)")
	fs.StringVar(&code, "dossier", "", "check this dossier's trail only (default: every dossier's)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if dsn == "" {
		return usageError{errors.New("--postgres (SOHOA_POSTGRES_DSN) is required")}
	}
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("catalog (SOHOA_POSTGRES_DSN): %w", redact.Error(err, dsn))
	}
	defer cat.Close()
	rep, err := cat.VerifyTrails(ctx, code)
	if err != nil {
		return err
	}
	if len(rep.Problems) == 0 {
		fmt.Printf("trail ok: %d dossiers, %d events\n", rep.Dossiers, rep.Events)
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Println(p)
	}
	fmt.Printf("trail BROKEN: %d of %d dossiers, %d events checked\n", len(rep.Problems), rep.Dossiers, rep.Events)
	return errVerifyFailed
}
