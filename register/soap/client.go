// Package soap is the client of the population register's SOAP 1.1
// service, as the provincial and national data-integration platforms
// offer it (the contract: ../CONTRACT.md). It is the register.Register a
// desk uses when it reaches the platform; register/pgmirror is the other.
//
// A platform is far away and not always up. Each request has its own
// timeout; a timeout or a 5xx answer is retried, with exponential backoff,
// a few times; a run of failures opens a circuit breaker, so that while
// the platform is down calls fail at once with register.ErrUnavailable and
// the caller marks the dossier "not yet reconciled" instead of holding a
// desk. Citizens found are kept a few minutes, since a dossier asks about
// the same citizen more than once.
//
// The contract server in soap/soaptest speaks the other side, over mutual
// TLS, and can be slow, fail or lie on demand; the tests run the client
// against it.
package soap

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sohoa/sohoa/register"
)

// Config is how to reach the platform and how patient to be.
type Config struct {
	// URL is the service's endpoint, https://.
	URL string
	// Namespace of the request and response elements; DefaultNamespace
	// when empty.
	Namespace string
	// Auth puts the credentials on each request (required).
	Auth Auth
	// TLS is the transport's TLS configuration: the client certificate for
	// mutual TLS and the platform's CA (LoadTLS). nil: the system's roots,
	// no client certificate.
	TLS *tls.Config

	// Timeout bounds one request, from connecting to the end of the
	// answer; default 10 s.
	Timeout time.Duration
	// Attempts is how many times a call is tried when it times out or
	// gets a 5xx answer; default 3. 1 means no retry.
	Attempts int
	// Backoff is the wait before the first retry, doubled before each
	// next one, with up to half again added at random so that many desks
	// do not retry in step; default 200 ms.
	Backoff time.Duration
	// FailureThreshold is how many consecutive failed requests open the
	// circuit; default 5. Cooldown is how long it stays open before one
	// request may try; default 30 s.
	FailureThreshold int
	Cooldown         time.Duration
	// CacheTTL is how long a citizen found stays cached; default 10
	// minutes, negative for no cache. CacheSize bounds the numbers kept;
	// default 1000.
	CacheTTL  time.Duration
	CacheSize int

	// Now is the clock of the API key's timestamps, the breaker and the
	// cache; time.Now when nil.
	Now func() time.Time
}

// Client is a register.Register over the SOAP service. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	url     string
	http    *http.Client
	breaker *breaker
	cache   *cache
}

var _ register.Register = (*Client)(nil)

// New checks cfg, naming the bad field, and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		// The answers are personal data; they do not travel in clear.
		return nil, fmt.Errorf("register SOAP client: URL %q: want https://host/path", cfg.URL)
	}
	if cfg.Auth == nil {
		return nil, errors.New("register SOAP client: Auth is required (an API key or a platform token)")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 10*time.Second)
	def(&cfg.Backoff, 200*time.Millisecond)
	def(&cfg.Cooldown, 30*time.Second)
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.FailureThreshold <= 0 {
		cfg.FailureThreshold = 5
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     cfg.TLS,
		TLSHandshakeTimeout: cfg.Timeout,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	c := &Client{cfg: cfg, url: u.String(), http: &http.Client{Transport: tr},
		breaker: &breaker{threshold: cfg.FailureThreshold, cooldown: cfg.Cooldown}}
	if cfg.CacheTTL > 0 {
		c.cache = newCache(cfg.CacheTTL, cfg.CacheSize)
	}
	return c, nil
}

// Lookup asks the register for the citizen req identifies; nil when it
// answers with an empty record. A citizen a recent lookup found is
// answered from the cache, by the register's own rule (register.Matches).
func (c *Client) Lookup(ctx context.Context, req register.Request) (*register.Citizen, error) {
	if err := req.Check(false); err != nil {
		return nil, fmt.Errorf("register lookup: %w", err)
	}
	key := req.ID
	if key == "" {
		key = req.LegacyID
	}
	if cit, ok := c.cache.get(key, c.cfg.Now()); ok {
		if register.Matches(req, cit) {
			return cit, nil
		}
		return nil, nil
	}
	var resp responseEnvelope
	if err := c.call(ctx, opLookup, req, &resp); err != nil {
		return nil, err
	}
	if resp.Body.Lookup == nil {
		return nil, c.malformed(opLookup, req, errors.New("no "+opLookup+"Response in the body"))
	}
	if got := resp.Body.Lookup.RequestID; got != req.RequestID {
		return nil, c.malformed(opLookup, req, fmt.Errorf("answer to request %q", got))
	}
	cit, err := resp.Body.Lookup.Citizen.citizen()
	if err != nil {
		return nil, c.malformed(opLookup, req, err)
	}
	if cit == nil {
		return nil, nil
	}
	if (req.ID != "" && cit.ID != req.ID) || (req.LegacyID != "" && cit.LegacyID != req.LegacyID) {
		return nil, c.malformed(opLookup, req, errors.New("the record is of another number"))
	}
	c.cache.put(cit, c.cfg.Now())
	return cit, nil
}

// Verify asks the register whether a citizen with req's number, name and
// date of birth exists.
func (c *Client) Verify(ctx context.Context, req register.Request) (bool, error) {
	if err := req.Check(true); err != nil {
		return false, fmt.Errorf("register verify: %w", err)
	}
	var resp responseEnvelope
	if err := c.call(ctx, opVerify, req, &resp); err != nil {
		return false, err
	}
	if resp.Body.Verify == nil {
		return false, c.malformed(opVerify, req, errors.New("no "+opVerify+"Response in the body"))
	}
	if got := resp.Body.Verify.RequestID; got != req.RequestID {
		return false, c.malformed(opVerify, req, fmt.Errorf("answer to request %q", got))
	}
	switch strings.TrimSpace(resp.Body.Verify.Result) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, c.malformed(opVerify, req, fmt.Errorf("KetQua %q: want true or false", resp.Body.Verify.Result))
}

func (c *Client) malformed(op string, req register.Request, err error) error {
	return fmt.Errorf("register %s, request %s: malformed answer: %w: %w", opNames[op], req.RequestID, register.ErrUnavailable, err)
}

// opNames name the operations in errors as a reader of the log says them.
var opNames = map[string]string{opLookup: "lookup", opVerify: "verify"}

// call sends op and decodes the answer into resp, retrying and minding
// the breaker. Its error wraps one of register's sentinels.
func (c *Client) call(ctx context.Context, op string, req register.Request, resp *responseEnvelope) error {
	name := opNames[op]
	body, err := envelope(c.cfg.Namespace, op, req)
	if err != nil {
		return fmt.Errorf("register %s, request %s: %w: %w", name, req.RequestID, register.ErrBadRequest, err)
	}
	for attempt := 1; ; attempt++ {
		if !c.breaker.allow(c.cfg.Now()) {
			return fmt.Errorf("register %s, request %s: %w: circuit open after %d failed requests; next try after %s",
				name, req.RequestID, register.ErrUnavailable, c.cfg.FailureThreshold, c.cfg.Cooldown)
		}
		r := c.attempt(ctx, op, body, resp)
		switch {
		case ctx.Err() != nil:
			c.breaker.done(c.cfg.Now(), abandoned)
			return fmt.Errorf("register %s, request %s: %w: %w", name, req.RequestID, register.ErrUnavailable, ctx.Err())
		case r.failure:
			c.breaker.done(c.cfg.Now(), failed)
		default:
			c.breaker.done(c.cfg.Now(), succeeded)
		}
		if r.err == nil {
			return nil
		}
		err := fmt.Errorf("register %s, request %s, attempt %d of %d: %w", name, req.RequestID, attempt, c.cfg.Attempts, r.err)
		if !r.retry || attempt >= c.cfg.Attempts {
			return err
		}
		wait := c.cfg.Backoff << (attempt - 1)
		wait += rand.N(wait/2 + 1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (then: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// result is how one request went.
type result struct {
	err     error // wraps a register sentinel; nil on an answer
	retry   bool  // worth trying again: a timeout or a 5xx
	failure bool  // counts against the breaker: no usable answer
}

// maxAnswer bounds the answer read: a citizen's record is a few KiB; a
// platform gone wrong must not fill the desk's memory.
const maxAnswer = 1 << 20

func (c *Client) attempt(ctx context.Context, op string, body []byte, resp *responseEnvelope) result {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return result{err: fmt.Errorf("%w: %w", register.ErrBadRequest, err)}
	}
	hr.Header.Set("Content-Type", `text/xml; charset=utf-8`)
	hr.Header.Set("SOAPAction", `"`+soapAction(c.cfg.Namespace, op)+`"`)
	if err := c.cfg.Auth.Authorize(hr, c.cfg.Now()); err != nil {
		return result{err: fmt.Errorf("%w: %w", register.ErrNotPermitted, err)}
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return transportResult(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		r := transportResult(err)
		r.err = fmt.Errorf("HTTP %d, reading the answer: %w", res.StatusCode, r.err)
		return r
	}
	*resp = responseEnvelope{}
	var xerr error
	if len(raw) > maxAnswer {
		xerr = fmt.Errorf("answer over %d bytes", maxAnswer)
	} else {
		xerr = xml.Unmarshal(raw, resp)
	}
	if xerr == nil && resp.Body.Fault != nil {
		return faultResult(res.StatusCode, resp.Body.Fault)
	}
	switch st := res.StatusCode; {
	case st >= 500:
		return result{err: fmt.Errorf("%w: HTTP %d", register.ErrUnavailable, st), retry: true, failure: true}
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return result{err: fmt.Errorf("%w: HTTP %d", register.ErrNotPermitted, st)}
	case st == http.StatusBadRequest:
		return result{err: fmt.Errorf("%w: HTTP %d", register.ErrBadRequest, st)}
	case st != http.StatusOK:
		// A wrong URL, a proxy's rate limit: no answer from the register.
		return result{err: fmt.Errorf("%w: HTTP %d", register.ErrUnavailable, st), failure: true}
	case xerr != nil:
		return result{err: fmt.Errorf("%w: malformed answer: %w", register.ErrUnavailable, xerr), failure: true}
	}
	return result{}
}

// faultResult classifies a SOAP fault. SOAP 1.1 sends every fault with
// HTTP 500, so the status alone cannot say whether to retry: the register's
// code and the faultcode do. A fault that blames the request is an answer,
// and the platform is healthy.
func faultResult(status int, f *fault) result {
	switch f.Detail.Code {
	case codeNotPermitted, codeAuthFailed:
		return result{err: fmt.Errorf("%w: %w", register.ErrNotPermitted, f)}
	case codeBadRequest:
		return result{err: fmt.Errorf("%w: %w", register.ErrBadRequest, f)}
	}
	if f.client() {
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			return result{err: fmt.Errorf("%w: %w", register.ErrNotPermitted, f)}
		}
		return result{err: fmt.Errorf("%w: %w", register.ErrBadRequest, f)}
	}
	return result{err: fmt.Errorf("%w: %w", register.ErrUnavailable, f), retry: true, failure: true}
}

// transportResult classifies an error before any answer: a timeout is
// retried; anything else (refused connection, TLS refused) is a failure
// that another try within the second will not mend.
func transportResult(err error) result {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return result{err: fmt.Errorf("%w: timed out: %w", register.ErrUnavailable, err), retry: true, failure: true}
	}
	return result{err: fmt.Errorf("%w: %w", register.ErrUnavailable, err), failure: true}
}

// soapAction is the SOAPAction header's value for op: the namespace and
// the operation joined by a slash (none added when the namespace ends in
// one).
func soapAction(namespace, op string) string {
	if strings.HasSuffix(namespace, "/") {
		return namespace + op
	}
	return namespace + "/" + op
}
