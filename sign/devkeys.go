package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Development identity written by DevKeys. The password is public: these
// keys sign nothing that leaves a developer's machine.
const (
	DevP12File     = "sohoa-dev.p12"
	DevRootFile    = "root.pem"
	DevPassword    = "sohoa-dev"
	DevSignerName  = "Trung tâm Phục vụ hành chính công (DEV)"
	devOrg         = "sohoa (DEV)"
	devRootName    = "sohoa DEV Root CA"
	devIssuingName = "sohoa DEV Issuing CA"
)

// OIDDocumentSigning is id-kp-documentSigning (RFC 9336).
var OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// DevKeys makes a development signing identity in dir, unless one is
// already there: a root CA, an issuing CA and a signing certificate for
// DevSignerName, written as DevP12File (password DevPassword, chain
// included) and the root alone as DevRootFile for trust stores (pdfsig:
// certutil -A -d sql:DB -n sohoa-dev -t C,C,C -i root.pem). It returns the
// path of the .p12. Existing files are kept, so calling it on every start
// is safe; delete them to make new keys.
//
// The signing certificate has the key usages digitalSignature and
// nonRepudiation and the extended key usages emailProtection (NSS, hence
// pdfsig, checks signing certificates for the e-mail signer usage) and
// documentSigning.
func DevKeys(dir string) (string, error) {
	p12Path := filepath.Join(dir, DevP12File)
	rootPath := filepath.Join(dir, DevRootFile)
	_, errP12 := os.Stat(p12Path)
	_, errRoot := os.Stat(rootPath)
	if errP12 == nil && errRoot == nil {
		return p12Path, nil
	}
	if errP12 == nil || errRoot == nil {
		return "", fmt.Errorf("sign: dev keys in %s: only one of %s and %s exists; remove it to make new keys",
			dir, DevP12File, DevRootFile)
	}
	if !errors.Is(errP12, os.ErrNotExist) {
		return "", fmt.Errorf("sign: dev keys: %w", errP12)
	}
	p12, rootPEM, err := makeDevKeys(time.Now())
	if err != nil {
		return "", fmt.Errorf("sign: dev keys: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("sign: dev keys: %w", err)
	}
	if err := os.WriteFile(rootPath, rootPEM, 0o644); err != nil {
		return "", fmt.Errorf("sign: dev keys: %w", err)
	}
	if err := os.WriteFile(p12Path, p12, 0o600); err != nil {
		return "", fmt.Errorf("sign: dev keys: %w", err)
	}
	return p12Path, nil
}

// makeDevKeys returns the .p12 and the root certificate's PEM.
func makeDevKeys(now time.Time) (p12, rootPEM []byte, err error) {
	start := now.Add(-time.Hour)
	root, rootKey, err := devCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: devRootName, Organization: []string{devOrg}, Country: []string{"VN"}},
		NotBefore: start, NotAfter: start.AddDate(20, 0, 0),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	issuing, issuingKey, err := devCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: devIssuingName, Organization: []string{devOrg}, Country: []string{"VN"}},
		NotBefore: start, NotAfter: start.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, root, rootKey)
	if err != nil {
		return nil, nil, err
	}
	leaf, leafKey, err := devCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: DevSignerName, Organization: []string{devOrg}, Country: []string{"VN"}},
		NotBefore: start, NotAfter: start.AddDate(3, 0, 0),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{OIDDocumentSigning},
	}, issuing, issuingKey)
	if err != nil {
		return nil, nil, err
	}
	p12, err = pkcs12.Modern.Encode(leafKey, leaf, []*x509.Certificate{issuing, root}, DevPassword)
	if err != nil {
		return nil, nil, err
	}
	return p12, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), nil
}

// devCert issues tmpl with a new P-256 key, signed by parent (self-signed
// when parent is nil).
func devCert(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}
