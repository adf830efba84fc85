package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sohoa/sohoa/verify"
)

// errVerifyFailed makes the command exit 1 after the report is printed.
var errVerifyFailed = errors.New("verification failed")

func verifyCmd(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	originals := fs.String("originals", "", "folder with the original scans: check each against the SHA-256 the dossier records")
	roots := fs.String("roots", "", "PEM file of trusted root certificates (default: the chain is reported, trust not judged)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	// Flags may follow the file, as in 'sohoa verify FILE --json'.
	var files []string
	for rest := args; len(rest) > 0; {
		if err := fs.Parse(rest); err != nil {
			return usageError{err}
		}
		rest = fs.Args()
		if len(rest) > 0 {
			files = append(files, rest[0])
			rest = rest[1:]
		}
	}
	if len(files) != 1 {
		return usageError{fmt.Errorf("usage: sohoa verify FILE.pdf [--originals DIR] [--roots PEM] [--json]")}
	}
	opt := verify.Options{Originals: *originals}
	if *roots != "" {
		b, err := os.ReadFile(*roots)
		if err != nil {
			return err
		}
		opt.Roots = x509.NewCertPool()
		if !opt.Roots.AppendCertsFromPEM(b) {
			return fmt.Errorf("%s: no PEM certificates", *roots)
		}
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	rep, err := verify.File(data, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(files[0], rep)
	}
	if !rep.OK {
		return errVerifyFailed
	}
	return nil
}

func printReport(name string, r *verify.Report) {
	status := "OK"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Printf("%s: %s\n", name, status)
	for _, s := range r.Signatures {
		level := s.Level
		if level == "" {
			level = "no PAdES level"
		}
		fmt.Printf("  signature   valid=%v, covers whole file=%v, %s, PAdES %s\n", s.Valid, s.CoversWholeFile, s.SubFilter, level)
		fmt.Printf("  signer      %s\n", s.Signer)
		for _, c := range s.Chain {
			fmt.Printf("  chain       %s\n", c)
		}
		if s.Trusted != nil {
			fmt.Printf("  trusted     %v\n", *s.Trusted)
		}
		if s.SigningTime != nil {
			fmt.Printf("  signed at   %s\n", s.SigningTime.Format("2006-01-02 15:04:05 MST"))
		}
		if s.Timestamp != nil {
			fmt.Printf("  time-stamp  %s by %s (matches signature: %v)\n", s.Timestamp.Time.Format("2006-01-02 15:04:05 MST"), s.Timestamp.TSA, s.Timestamp.ImprintMatches)
		}
		for _, rv := range s.Revocation {
			fmt.Printf("  revocation  %s: %s", rv.Certificate, rv.Status)
			if rv.Source != "" {
				fmt.Printf(" (%s of %s)", rv.Source, rv.IssuedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
			}
			if rv.RevokedAt != nil {
				fmt.Printf(", revoked %s", rv.RevokedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
			}
			fmt.Println()
		}
	}
	for _, d := range r.DocumentTimestamps {
		fmt.Printf("  doc stamp   %s by %s (matches file: %v, covers whole file: %v)\n", d.Time.Format("2006-01-02 15:04:05 MST"), d.TSA, d.ImprintMatches, d.CoversWholeFile)
	}
	fmt.Printf("  PDF/A       %v (part %s, conformance %s); fonts embedded: %v\n", r.PDFA, r.PDFAPart, r.PDFALevel, r.FontsEmbedded)
	for _, o := range r.Originals {
		fmt.Printf("  page %-3d    %s p%d: %s\n", o.DossierPage, o.File, o.FilePage, o.Status)
	}
	for _, p := range r.Problems {
		fmt.Printf("  PROBLEM     %s\n", p)
	}
}
