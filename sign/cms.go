package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
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

// signingCertificateV2 is the DER of the attribute value naming cert by
// its SHA-256.
func signingCertificateV2(cert *x509.Certificate) ([]byte, error) {
	h := sha256.Sum256(cert.Raw)
	der, err := asn1.Marshal(SigningCertificateV2{Certs: []ESSCertIDv2{{
		CertHash: h[:],
		IssuerSerial: IssuerSerial{
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer}},
			Serial: cert.SerialNumber,
		},
	}}})
	if err != nil {
		return nil, err
	}
	return der, nil
}

// Object identifiers the SignedData is written with.
var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// The RFC 5652 structures, as far as a detached SignedData with one
// signer needs them.
type (
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue // [0] EXPLICIT
	}
	signedDataV1 struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo struct{ ContentType asn1.ObjectIdentifier }
		Certificates     asn1.RawValue // [0] IMPLICIT SET OF Certificate
		SignerInfos      []signerInfo  `asn1:"set"`
	}
	issuerAndSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	signerInfo struct {
		Version            int
		SID                issuerAndSerial
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue // [0] IMPLICIT SET OF Attribute
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
	}
	attribute struct {
		Type   asn1.ObjectIdentifier
		Values asn1.RawValue // SET OF one value
	}
)

// signedData makes the detached CMS SignedData over a SHA-256 digest with
// exactly the signed attributes PAdES baseline allows: content-type,
// message-digest and signing-certificate-v2 (no signing-time, which ETSI
// EN 319 142-1 forbids: the time is the dictionary's /M). It is written
// here rather than by a library because the libraries want the private
// key itself, and a key on a token only signs.
func signedData(digest []byte, key crypto.Signer, chain []*x509.Certificate) ([]byte, error) {
	scv2, err := signingCertificateV2(chain[0])
	if err != nil {
		return nil, fmt.Errorf("signing-certificate-v2: %w", err)
	}
	var sigAlg pkix.AlgorithmIdentifier
	switch key.Public().(type) {
	case *rsa.PublicKey:
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}
	case *ecdsa.PublicKey:
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key.Public())
	}
	ctDER, err := asn1.Marshal(oidData)
	if err != nil {
		return nil, err
	}
	mdDER, err := asn1.Marshal(digest)
	if err != nil {
		return nil, err
	}
	var attrs [][]byte
	for _, a := range []struct {
		typ asn1.ObjectIdentifier
		der []byte
	}{{oidContentType, ctDER}, {oidMessageDigest, mdDER}, {OIDSigningCertificateV2, scv2}} {
		b, err := asn1.Marshal(attribute{a.typ, asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: a.der}})
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, b)
	}
	// DER orders a SET OF by the encodings of its elements.
	slices.SortFunc(attrs, bytes.Compare)
	body := bytes.Join(attrs, nil)

	// The signature is over the attributes with the SET tag, not the [0]
	// they are stored under (RFC 5652 5.4).
	asSet, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(asSet)
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign the attributes: %w", err)
	}

	var certs []byte
	for _, c := range chain {
		certs = append(certs, c.Raw...)
	}
	sha256Alg := pkix.AlgorithmIdentifier{Algorithm: oidSHA256}
	sd := signedDataV1{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{sha256Alg},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{asn1.RawValue{FullBytes: chain[0].RawIssuer}, chain[0].SerialNumber},
			DigestAlgorithm:    sha256Alg,
			SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: body},
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	sd.EncapContentInfo.ContentType = oidData
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{oidSignedData,
		asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
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
