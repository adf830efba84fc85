package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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

// tokenFlags binds the flags of a key on a PKCS#11 token (ingest, worker).
func tokenFlags(fs *flag.FlagSet) {
	fs.StringVar(&signing.module, "pkcs11-module", envOr("SOHOA_PKCS11_MODULE", sign.DefaultModule()),
		"PKCS#11 library of the token holding a pkcs11: --key ($SOHOA_PKCS11_MODULE, else SoftHSM2's module if installed)")
	fs.StringVar(&signing.chain, "key-chain", os.Getenv("SOHOA_KEY_CHAIN"),
		"PEM file of certificates for a pkcs11: --key: its own when the token lacks it, and the issuing CAs ($SOHOA_KEY_CHAIN)")
}

// loadTokenSigner opens the key a pkcs11: URI names. The PIN comes from
// the URI's pin-source file, else as a .p12's password does (the
// --key-password-file, else $SOHOA_KEY_PASSWORD), never from a flag.
func loadTokenSigner(uri, pin string) (*sign.Signer, error) {
	u, err := sign.ParsePKCS11URI(uri)
	if err != nil {
		return nil, usageError{err}
	}
	c := sign.PKCS11{Module: signing.module, Token: u.Token, Key: u.Object, PIN: pin}
	if u.ModulePath != "" {
		c.Module = u.ModulePath
	}
	if c.Module == "" {
		return nil, usageError{fmt.Errorf("--key %s: no PKCS#11 module: pass --pkcs11-module PATH (or set SOHOA_PKCS11_MODULE)", uri)}
	}
	if u.PINSource != "" {
		b, err := os.ReadFile(u.PINSource)
		if err != nil {
			return nil, fmt.Errorf("token PIN: %w", err)
		}
		c.PIN = strings.TrimRight(string(b), "\r\n")
	}
	if c.PIN == "" {
		return nil, fmt.Errorf("--key %s: no token PIN: put it in a file named by --key-password-file, or set SOHOA_KEY_PASSWORD", uri)
	}
	if signing.chain != "" {
		if c.Chain, err = sign.ReadCertificates(signing.chain); err != nil {
			return nil, err
		}
	}
	return sign.LoadPKCS11(c)
}
