package soap

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Auth puts sohoa's credentials on a request to the platform. The two
// platforms in use authenticate differently, hence the two
// implementations: an API key with a timestamped digest (APIKey) or an
// access token the platform issued (PlatformToken). Mutual TLS, where the
// platform asks for it, is the transport's business (Config.TLS), on top
// of either.
type Auth interface {
	// Authorize sets the request's credentials; now is the client's
	// clock. The request's context bounds any fetch the credentials need.
	Authorize(r *http.Request, now time.Time) error
}

// APIKey authenticates with Basic auth: the user is the key, the password
// "TIMESTAMP.DIGEST", where TIMESTAMP is the UTC time as yyyyMMddHHmmss and
// DIGEST the lower-case hex SHA-256 of key, TIMESTAMP and secret
// concatenated. The secret never travels; the platform recomputes the
// digest and refuses a timestamp too far from its own clock, so a captured
// header is good only for minutes.
type APIKey struct {
	Key, Secret string
}

// APIKeyTimestamp is the layout of the timestamp APIKey signs.
const APIKeyTimestamp = "20060102150405"

// Authorize implements Auth.
func (a APIKey) Authorize(r *http.Request, now time.Time) error {
	if a.Key == "" || a.Secret == "" {
		return errors.New("API key auth: key and secret are required")
	}
	ts := now.UTC().Format(APIKeyTimestamp)
	sum := sha256.Sum256([]byte(a.Key + ts + a.Secret))
	r.SetBasicAuth(a.Key, ts+"."+hex.EncodeToString(sum[:]))
	return nil
}

// PlatformToken authenticates with an access token the integration
// platform issued, sent as "Authorization: Bearer TOKEN". The function is
// asked for the token before every request, so that it can cache it and
// renew it before it expires, as the platform's token endpoint requires.
type PlatformToken func(r *http.Request) (string, error)

// StaticToken is a PlatformToken that is always tok: for a long-lived
// token, or a test.
func StaticToken(tok string) PlatformToken {
	return func(*http.Request) (string, error) { return tok, nil }
}

// Authorize implements Auth.
func (f PlatformToken) Authorize(r *http.Request, _ time.Time) error {
	tok, err := f(r)
	if err != nil {
		return fmt.Errorf("platform token: %w", err)
	}
	if tok == "" {
		return errors.New("platform token: empty")
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
