package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/redact"
)

// tokens manages the API's clients: sohoa tokens create|list|revoke.
func tokens(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("want create, list or revoke")}
	}
	var dsn, name, role, office string
	fs := flag.NewFlagSet("tokens "+args[0], flag.ContinueOnError)
	fs.StringVar(&dsn, "postgres", os.Getenv("SOHOA_POSTGRES_DSN"), "PostgreSQL DSN of the catalog ($SOHOA_POSTGRES_DSN; required)")
	switch args[0] {
	case "create":
		fs.StringVar(&name, "name", "", "the client's name, as the audit trail will show it (required)")
		fs.StringVar(&role, "role", "", "operator, workflow, auditor or admin (required)")
		fs.StringVar(&office, "office", "", "the office (agency code) an operator works for; its dossier codes start with it")
	case "revoke":
		fs.StringVar(&name, "name", "", "the client whose token stops working (required)")
	case "list":
	default:
		return usageError{fmt.Errorf("unknown tokens command %q: want create, list or revoke", args[0])}
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if dsn == "" {
		return usageError{errors.New("--postgres (SOHOA_POSTGRES_DSN) is required")}
	}
	if args[0] != "list" && name == "" {
		return usageError{errors.New("--name is required")}
	}
	if args[0] == "create" && office != "" {
		if err := catalog.CheckOffice(office); err != nil {
			return usageError{fmt.Errorf("--office: %w", err)}
		}
	}
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("catalog (SOHOA_POSTGRES_DSN): %w", redact.Error(err, dsn))
	}
	defer cat.Close()
	switch args[0] {
	case "create":
		tok, err := cat.CreateToken(ctx, name, role, office)
		if err != nil {
			return err
		}
		// The token alone on stdout, so scripts can take it; it is shown
		// this once and stored only as a hash.
		fmt.Println(tok)
		fmt.Fprintf(os.Stderr, "token for %s (%s) created; it is not stored and cannot be shown again\n", name, role)
	case "revoke":
		if err := cat.RevokeToken(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "token of %s revoked\n", name)
	case "list":
		ts, err := cat.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tOFFICE\tCREATED\tREVOKED")
		for _, t := range ts {
			rev := ""
			if !t.RevokedAt.IsZero() {
				rev = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Office, t.CreatedAt.Format(time.RFC3339), rev)
		}
		tw.Flush()
	}
	return nil
}
