package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Errors from Load and Sign that callers act on. Every error wraps one of
// them together with the file's name; none carries key material or the
// password.
var (
	ErrWrongPassword  = errors.New("wrong password")
	ErrCertExpired    = errors.New("certificate expired or not yet valid")
	ErrKeyMismatch    = errors.New("private key does not match the certificate")
	ErrNoKey          = errors.New("no private key")
	ErrNoCertificate  = errors.New("no certificate")
	ErrUnsupportedKey = errors.New("unsupported key type (want RSA or ECDSA)")
	ErrEncryptedKey   = errors.New("encrypted PEM private key (use an unencrypted key or a .p12)")
)

// Load reads a signing identity.
//
// A file ending in .p12 or .pfx is PKCS#12, decrypted with password.
// Anything else is PEM: the certificate chain, signer's certificate first,
// and an unencrypted private key ("PRIVATE KEY", "RSA PRIVATE KEY" or "EC
// PRIVATE KEY"), either in the same file or, if the file has no key, in
// the file beside it with the extension replaced by ".key"
// (signer.pem → signer.key). password is ignored for PEM.
//
// The signer's certificate must be valid now; a key that does not match
// it, or that is neither RSA nor ECDSA, is refused.
func Load(path, password string) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sign: load %s: %w", path, err)
	}
	var key crypto.PrivateKey
	var chain []*x509.Certificate
	switch strings.ToLower(filepath.Ext(path)) {
	case ".p12", ".pfx":
		key, chain, err = decodeP12(data, password)
	default:
		key, chain, err = decodePEM(path, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: load %s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("sign: load %s: %w: %T", path, ErrUnsupportedKey, key)
	}
	s, err := newSigner(signer, chain)
	if err != nil {
		return nil, fmt.Errorf("sign: load %s: %w", path, err)
	}
	if err := s.checkValidity(s.now()); err != nil {
		return nil, fmt.Errorf("sign: load %s: %w", path, err)
	}
	return s, nil
}

func decodeP12(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, ErrWrongPassword
	case err != nil && strings.Contains(err.Error(), "certificate missing"):
		return nil, nil, ErrNoCertificate
	case err != nil && strings.Contains(err.Error(), "private key missing"):
		return nil, nil, ErrNoKey
	case err != nil:
		// go-pkcs12's messages name structures, never secrets.
		return nil, nil, fmt.Errorf("PKCS#12: %v", err)
	}
	return key, append([]*x509.Certificate{cert}, cas...), nil
}

func decodePEM(path string, data []byte) (crypto.PrivateKey, []*x509.Certificate, error) {
	var certs []*x509.Certificate
	key, err := pemBlocks(data, &certs)
	if err != nil {
		return nil, nil, err
	}
	if key == nil {
		keyPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".key"
		kd, err := os.ReadFile(keyPath)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w in the file nor in %s", ErrNoKey, keyPath)
		}
		if err != nil {
			return nil, nil, err
		}
		var more []*x509.Certificate
		if key, err = pemBlocks(kd, &more); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
		}
		if key == nil {
			return nil, nil, fmt.Errorf("%w in %s", ErrNoKey, keyPath)
		}
	}
	if len(certs) == 0 {
		return nil, nil, ErrNoCertificate
	}
	return key, certs, nil
}

// pemBlocks appends the certificates in data to certs and returns its
// private key, if any. Parse errors name the block, never its bytes.
func pemBlocks(data []byte, certs *[]*x509.Certificate) (crypto.PrivateKey, error) {
	var key crypto.PrivateKey
	for i := 1; ; i++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return key, nil
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PEM block %d: certificate: %v", i, err)
			}
			*certs = append(*certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				return nil, fmt.Errorf("PEM block %d: a second private key", i)
			}
			k, err := parsePrivateKey(b)
			if err != nil {
				return nil, fmt.Errorf("PEM block %d: %w", i, err)
			}
			key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, ErrEncryptedKey
		default:
			if strings.Contains(b.Type, "PRIVATE KEY") && b.Headers["Proc-Type"] != "" {
				return nil, ErrEncryptedKey
			}
		}
	}
}

func parsePrivateKey(b *pem.Block) (crypto.PrivateKey, error) {
	if b.Headers["Proc-Type"] != "" {
		return nil, ErrEncryptedKey
	}
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		// The parser's message describes the structure only.
		return nil, fmt.Errorf("private key: %v", err)
	}
	return k, nil
}

// newSigner checks key and chain and orders the chain from the certificate
// matching key.
func newSigner(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if key == nil {
		return nil, ErrNoKey
	}
	if len(chain) == 0 || slices.Contains(chain, nil) {
		return nil, ErrNoCertificate
	}
	pub := key.Public()
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	leaf := -1
	for i, c := range chain {
		if eq, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(pub) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, fmt.Errorf("%w %q", ErrKeyMismatch, chain[0].Subject.String())
	}
	ordered := []*x509.Certificate{chain[leaf]}
	for i, c := range chain {
		if i != leaf {
			ordered = append(ordered, c)
		}
	}
	return &Signer{key: key, chain: ordered}, nil
}

// checkValidity reports whether the signer's certificate is valid at t.
func (s *Signer) checkValidity(t time.Time) error {
	c := s.chain[0]
	if t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return fmt.Errorf("%w: %q is valid from %s to %s, not at %s", ErrCertExpired, c.Subject.String(),
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	return nil
}
