package sign

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// Keys in hardware (a USB token, an HSM) are reached through PKCS#11: the
// token signs the digest and the private key never leaves it. The token's
// library (the "module", such as SoftHSM2's libsofthsm2.so or a token
// vendor's) is loaded at run time.

// Errors from LoadPKCS11 that callers act on.
var (
	ErrNoPIN     = errors.New("no PIN given")
	ErrWrongPIN  = errors.New("wrong PIN")
	ErrPINLocked = errors.New("PIN locked")
	ErrNoToken   = errors.New("no such token")
	ErrNoModule  = errors.New("PKCS#11 module not found")
)

// DefaultPKCS11Module is where Debian's softhsm2 package puts SoftHSM2's
// module; DefaultModule returns it when it is installed.
const DefaultPKCS11Module = "/usr/lib/softhsm/libsofthsm2.so"

// DefaultModule is DefaultPKCS11Module if it exists, else "".
func DefaultModule() string {
	if _, err := os.Stat(DefaultPKCS11Module); err == nil {
		return DefaultPKCS11Module
	}
	return ""
}

// PKCS11 names a signing key on a token.
type PKCS11 struct {
	// Module is the path of the token's PKCS#11 library.
	Module string
	// Token is the token's label; Key the label (CKA_LABEL) of the
	// private key on it.
	Token, Key string
	// PIN is the user PIN.
	PIN string
	// Chain is the certificates to embed beyond those found on the token:
	// the signer's own certificate when the token does not hold it, and
	// the issuing CAs.
	Chain []*x509.Certificate
}

// PKCS11URI is the part of an RFC 7512 PKCS#11 URI that selects a key:
// "pkcs11:token=LABEL;object=KEYLABEL", optionally with
// "?module-path=PATH" and "&pin-source=file:PATH" (or a bare PATH).
type PKCS11URI struct {
	Token, Object, ModulePath, PINSource string
}

// IsPKCS11URI reports whether s is a PKCS#11 URI rather than a file name.
func IsPKCS11URI(s string) bool { return strings.HasPrefix(strings.ToLower(s), "pkcs11:") }

// ParsePKCS11URI reads a PKCS#11 URI. token and object are required;
// other path attributes than type=private and id are refused, so that a
// typo does not silently select some other key.
func ParsePKCS11URI(s string) (PKCS11URI, error) {
	var u PKCS11URI
	if !IsPKCS11URI(s) {
		return u, fmt.Errorf("sign: PKCS#11 URI %q: want the pkcs11: scheme", s)
	}
	rest := s[len("pkcs11:"):]
	path, query, _ := strings.Cut(rest, "?")
	for part := range strings.SplitSeq(path, ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		val, err := url.PathUnescape(v)
		if !ok || err != nil {
			return u, fmt.Errorf("sign: PKCS#11 URI %q: bad attribute %q", s, part)
		}
		switch k {
		case "token":
			u.Token = val
		case "object":
			u.Object = val
		case "type":
			if val != "private" {
				return u, fmt.Errorf("sign: PKCS#11 URI %q: type=%s, want private (the signing key)", s, val)
			}
		default:
			return u, fmt.Errorf("sign: PKCS#11 URI %q: attribute %q not supported (want token and object)", s, k)
		}
	}
	if query != "" {
		for part := range strings.SplitSeq(query, "&") {
			k, v, ok := strings.Cut(part, "=")
			val, err := url.PathUnescape(v)
			if !ok || err != nil {
				return u, fmt.Errorf("sign: PKCS#11 URI %q: bad query attribute %q", s, part)
			}
			switch k {
			case "module-path":
				u.ModulePath = val
			case "pin-source":
				u.PINSource = strings.TrimPrefix(val, "file:")
			case "pin-value":
				// A PIN in the URI would end up in shell history and
				// process lists.
				return u, fmt.Errorf("sign: PKCS#11 URI: pin-value is refused; give the PIN in a file (pin-source) or the environment")
			default:
				return u, fmt.Errorf("sign: PKCS#11 URI %q: query attribute %q not supported", s, k)
			}
		}
	}
	if u.Token == "" || u.Object == "" {
		return u, fmt.Errorf("sign: PKCS#11 URI %q: want both token= and object=", s)
	}
	return u, nil
}

// LoadPKCS11 opens the key labelled c.Key on the token labelled c.Token,
// logging in with c.PIN. The signer's certificate is the token's
// certificate with the key's CKA_ID, else its label, else the one in
// c.Chain that matches the key; it must be valid now. The Signer keeps
// the token's sessions open until Close.
//
// A wrong PIN, a missing token or key, or a module that cannot be loaded
// is reported here, before any work that would need a signature.
func LoadPKCS11(c PKCS11) (*Signer, error) {
	what := fmt.Sprintf("sign: PKCS#11 token %q key %q", c.Token, c.Key)
	if c.Module == "" {
		return nil, fmt.Errorf("%s: %w: no module given", what, ErrNoModule)
	}
	if _, err := os.Stat(c.Module); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", what, ErrNoModule, err)
	}
	if c.Token == "" || c.Key == "" {
		return nil, fmt.Errorf("%s: both a token label and a key label are required", what)
	}
	if c.PIN == "" {
		return nil, fmt.Errorf("%s: %w", what, ErrNoPIN)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Module, TokenLabel: c.Token, Pin: c.PIN})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, tokenError(err, c))
	}
	s, err := pkcs11Signer(ctx, c)
	if err != nil {
		ctx.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s.close = ctx.Close
	return s, nil
}

func pkcs11Signer(ctx *crypto11.Context, c PKCS11) (*Signer, error) {
	keys, err := ctx.FindKeyPairs(nil, []byte(c.Key))
	if err != nil {
		return nil, fmt.Errorf("find the key: %w", err)
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("%w with that label on the token (a private key needs a public key with the same CKA_ID)", ErrNoKey)
	case 1:
	default:
		return nil, fmt.Errorf("%d private keys have that label; give each its own", len(keys))
	}
	key := keys[0]
	chain := append([]*x509.Certificate(nil), c.Chain...)
	if cert, err := tokenCertificate(ctx, key, c.Key); err != nil {
		return nil, err
	} else if cert != nil {
		chain = append([]*x509.Certificate{cert}, chain...)
	}
	s, err := newSigner(key, chain)
	if err != nil {
		return nil, err
	}
	if err := s.checkValidity(s.now()); err != nil {
		return nil, err
	}
	return s, nil
}

// tokenCertificate is the certificate stored beside key, by CKA_ID or by
// label, or nil when the token holds none.
func tokenCertificate(ctx *crypto11.Context, key crypto.Signer, label string) (*x509.Certificate, error) {
	id, err := ctx.GetAttribute(key, crypto11.CkaId)
	if err != nil {
		return nil, fmt.Errorf("read the key's CKA_ID: %w", err)
	}
	if len(id.Value) > 0 {
		cert, err := ctx.FindCertificate(id.Value, nil, nil)
		if err != nil || cert != nil {
			return cert, err
		}
	}
	return ctx.FindCertificate(nil, []byte(label), nil)
}

// tokenError names what went wrong in logging in without the PIN.
func tokenError(err error, c PKCS11) error {
	var p11 pkcs11.Error
	if errors.As(err, &p11) {
		switch p11 {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
			return ErrWrongPIN
		case pkcs11.CKR_PIN_LOCKED:
			return fmt.Errorf("%w: the token refuses the user PIN until its security officer resets it", ErrPINLocked)
		}
	}
	// crypto11 keeps its token-not-found error unexported; its text is
	// the only way to tell it apart.
	if strings.Contains(err.Error(), "could not find PKCS#11 token") {
		return fmt.Errorf("%w: module %s has no token labelled %q (is the token plugged in?)", ErrNoToken, c.Module, c.Token)
	}
	if c.PIN != "" {
		return errors.New(strings.ReplaceAll(err.Error(), c.PIN, "***"))
	}
	return err
}

// ReadCertificates reads the PEM certificates in path, for the chain of a
// key whose certificates are not all on its token. A private key in the
// file is refused: the key is on the token.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sign: certificates %s: %w", path, err)
	}
	var certs []*x509.Certificate
	key, err := pemBlocks(data, &certs)
	switch {
	case err != nil:
		return nil, fmt.Errorf("sign: certificates %s: %w", path, err)
	case key != nil:
		return nil, fmt.Errorf("sign: certificates %s: holds a private key; a token's chain file should hold certificates only", path)
	case len(certs) == 0:
		return nil, fmt.Errorf("sign: certificates %s: %w", path, ErrNoCertificate)
	}
	return certs, nil
}
