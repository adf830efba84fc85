package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/sohoa/sohoa/internal/redact"
)

// ErrTimestamp is returned by Sign when the time-stamp authority fails or
// answers with something other than a token over our signature.
var ErrTimestamp = errors.New("time-stamp authority")

// maxTSAReply bounds what we read from a time-stamp authority.
const maxTSAReply = 1 << 20

// fetchTimestamp asks the RFC 3161 authority at url for a token over data
// (the signature value) and returns the DER TimeStampToken.
func (s *Signer) fetchTimestamp(ctx context.Context, data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	ts, err := s.fetchTimestampDigest(ctx, h[:])
	if err != nil {
		return nil, err
	}
	return ts.RawToken, nil
}

// fetchTimestampDigest asks the authority for a token over a SHA-256
// digest: the signature value's for a signature time-stamp, the signed
// bytes' for a document time-stamp (whose input may be the whole file).
func (s *Signer) fetchTimestampDigest(ctx context.Context, digest []byte) (*timestamp.Timestamp, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	treq := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Certificates: true, Nonce: nonce}
	req, err := treq.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: make request: %v", ErrTimestamp, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.TSAURL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrTimestamp, redact.URL(s.TSAURL), redact.Error(err, s.TSAURL))
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := s.httpClient().Do(hreq)
	if err != nil {
		// The client's error quotes the URL, token and all.
		return nil, fmt.Errorf("%w %s: %v", ErrTimestamp, redact.URL(s.TSAURL), redact.Error(err, s.TSAURL))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAReply))
	if err != nil {
		return nil, fmt.Errorf("%w %s: read reply: %v", ErrTimestamp, redact.URL(s.TSAURL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w %s: HTTP %s", ErrTimestamp, redact.URL(s.TSAURL), resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrTimestamp, redact.URL(s.TSAURL), err)
	}
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, digest) {
		return nil, fmt.Errorf("%w %s: token is not over our signature", ErrTimestamp, redact.URL(s.TSAURL))
	}
	if ts.Nonce != nil && ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("%w %s: nonce in the token differs from ours", ErrTimestamp, redact.URL(s.TSAURL))
	}
	return ts, nil
}

// httpClient reaches the TSA and the revocation sources.
func (s *Signer) httpClient() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	// A stalled server must not hold a dossier forever.
	return &http.Client{Timeout: 30 * time.Second}
}
