package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
)

// Object identifiers of the CAdES attributes PAdES baseline signatures use.
var (
	// OIDSigningCertificateV2 is id-aa-signingCertificateV2 (RFC 5035): the
	// signed hash of the signer's certificate, so it cannot be swapped.
	OIDSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	// OIDSignatureTimeStampToken is id-aa-signatureTimeStampToken (RFC
	// 3161 appendix A): a time-stamp over the signature value, which makes
	// a B-B signature B-T.
	OIDSignatureTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
)

// ESSCertIDv2 and SigningCertificateV2 are the RFC 5035 structures; the
// hash algorithm is left out, which means its DEFAULT, SHA-256.
type (
	IssuerSerial struct {
		Issuer []asn1.RawValue // GeneralNames: one directoryName
		Serial *big.Int
	}
	ESSCertIDv2 struct {
		CertHash     []byte
		IssuerSerial IssuerSerial
	}
	SigningCertificateV2 struct {
		Certs []ESSCertIDv2
	}
)

// signingCertificateV2 is the attribute naming cert by its SHA-256.
func signingCertificateV2(cert *x509.Certificate) (pkcs7.Attribute, error) {
	h := sha256.Sum256(cert.Raw)
	der, err := asn1.Marshal(SigningCertificateV2{Certs: []ESSCertIDv2{{
		CertHash: h[:],
		IssuerSerial: IssuerSerial{
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer}},
			Serial: cert.SerialNumber,
		},
	}}})
	if err != nil {
		return pkcs7.Attribute{}, err
	}
	return pkcs7.Attribute{Type: OIDSigningCertificateV2, Value: asn1.RawValue{FullBytes: der}}, nil
}

// signedData makes the detached CMS SignedData over a SHA-256 digest with
// exactly the signed attributes PAdES baseline allows: content-type,
// message-digest and signing-certificate-v2. pdfcpu's pkcs7 is used
// because, unlike the other Go forks, it adds no signing-time attribute,
// which ETSI EN 319 142-1 forbids (the time is the dictionary's /M).
func signedData(digest []byte, key crypto.PrivateKey, chain []*x509.Certificate) ([]byte, error) {
	scv2, err := signingCertificateV2(chain[0])
	if err != nil {
		return nil, fmt.Errorf("signing-certificate-v2: %w", err)
	}
	sd, err := pkcs7.NewSignedData()
	if err != nil {
		return nil, err
	}
	if err := sd.AddSignerChain(chain[0], key, digest, pkcs7.OIDDigestAlgorithmSHA256, chain[1:],
		pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{scv2}}); err != nil {
		return nil, err
	}
	return sd.Finish()
}

// addUnsignedAttribute returns cms with an unsigned attribute of the given
// type and single DER value appended to its first SignerInfo. It walks the
// DER rather than re-encoding through a library so that every signed byte
// stays as it was.
func addUnsignedAttribute(cms []byte, typ asn1.ObjectIdentifier, value []byte) ([]byte, error) {
	ci, err := derOne(cms)
	if err != nil {
		return nil, err
	}
	ciKids, err := derKids(ci.Bytes) // contentType, [0] content
	if err != nil || len(ciKids) != 2 {
		return nil, errors.New("cms: not a ContentInfo")
	}
	sd, err := derOne(ciKids[1].Bytes)
	if err != nil {
		return nil, err
	}
	sdKids, err := derKids(sd.Bytes) // version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos
	if err != nil || len(sdKids) < 4 {
		return nil, errors.New("cms: not a SignedData")
	}
	sis := sdKids[len(sdKids)-1]
	siList, err := derKids(sis.Bytes)
	if err != nil || len(siList) != 1 {
		return nil, errors.New("cms: want exactly one SignerInfo")
	}
	siKids, err := derKids(siList[0].Bytes)
	if err != nil {
		return nil, err
	}
	if last := siKids[len(siKids)-1]; last.Class == asn1.ClassContextSpecific && last.Tag == 1 {
		return nil, errors.New("cms: SignerInfo already has unsigned attributes")
	}
	attr, err := asn1.Marshal(struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}{typ, asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: value}})
	if err != nil {
		return nil, err
	}
	unsigned, err := derWrap(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1}, [][]byte{attr})
	if err != nil {
		return nil, err
	}
	si, err := derWrap(siList[0], append(fulls(siKids), unsigned))
	if err != nil {
		return nil, err
	}
	sisDER, err := derWrap(sis, [][]byte{si})
	if err != nil {
		return nil, err
	}
	sdDER, err := derWrap(sd, append(fulls(sdKids[:len(sdKids)-1]), sisDER))
	if err != nil {
		return nil, err
	}
	content, err := derWrap(ciKids[1], [][]byte{sdDER})
	if err != nil {
		return nil, err
	}
	return derWrap(ci, [][]byte{ciKids[0].FullBytes, content})
}

func derOne(b []byte) (asn1.RawValue, error) {
	var r asn1.RawValue
	rest, err := asn1.Unmarshal(b, &r)
	if err != nil {
		return r, fmt.Errorf("cms: %w", err)
	}
	if len(rest) != 0 {
		return r, errors.New("cms: trailing data")
	}
	return r, nil
}

func derKids(b []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		var r asn1.RawValue
		rest, err := asn1.Unmarshal(b, &r)
		if err != nil {
			return nil, fmt.Errorf("cms: %w", err)
		}
		out = append(out, r)
		b = rest
	}
	return out, nil
}

func fulls(rs []asn1.RawValue) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r.FullBytes
	}
	return out
}

// derWrap re-encodes the constructed value like with the given children.
func derWrap(like asn1.RawValue, kids [][]byte) ([]byte, error) {
	var body []byte
	for _, k := range kids {
		body = append(body, k...)
	}
	return asn1.Marshal(asn1.RawValue{Class: like.Class, Tag: like.Tag, IsCompound: true, Bytes: body})
}
