package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/sign"
)

// devKeyDir is where 'sohoa keys dev' puts the development key by default
// and where ingest looks for it when no key is configured.
func devKeyDir() (string, error) {
	if d := os.Getenv("SOHOA_DEV_KEYS"); d != "" {
		return d, nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find a folder for development keys (set SOHOA_DEV_KEYS): %w", err)
	}
	return filepath.Join(cfg, "sohoa", "dev-keys"), nil
}

func keys(args []string) error {
	if len(args) == 0 || args[0] != "dev" {
		return usageError{fmt.Errorf("usage: sohoa keys dev [--dir DIR]")}
	}
	fs := flag.NewFlagSet("keys dev", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def, err := devKeyDir()
	if err != nil {
		return err
	}
	dir := fs.String("dir", def, "folder for the development keys (default $SOHOA_DEV_KEYS, else the user's config folder)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	p12, err := sign.DevKeys(*dir)
	if err != nil {
		return err
	}
	fmt.Printf(`development signing key: %s (password %q)
development root CA:     %s
Dossiers signed with it verify as valid but untrusted, as they should: it is
not the center's key. To see "Certificate is Trusted." in pdfsig:
  certutil -N -d sql:DB --empty-password
  certutil -A -d sql:DB -n sohoa-dev -t C,C,C -i %s
  pdfsig -nssdir sql:DB FILE.pdf
`, p12, sign.DevPassword, filepath.Join(*dir, sign.DevRootFile), filepath.Join(*dir, sign.DevRootFile))
	return nil
}
