package station

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// client speaks the station half of the sohoa HTTP API (`sohoa serve`)
// as a role operator token. Every call that reaches the service is
// retried with backoff while the link or the service is down, for as
// long as it takes: an office's link may be out for hours, and what the
// station has queued waits on disk meanwhile.
type client struct {
	base  string
	token string
	hc    *http.Client
	// minWait and maxWait bound the backoff between retries.
	minWait, maxWait time.Duration
	say              func(format string, args ...any)
}

// apiError is an answer the service gave and will give again: retrying
// the same request does not help.
type apiError struct {
	Op     string
	Status int
	Detail string
	// Presigned: the answer came to a presigned request (from the store
	// or the service's upload URL), not from an API route.
	Presigned bool
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.Op, e.Status, http.StatusText(e.Status), e.Detail)
}

// statusOf is the HTTP status of an apiError, 0 for any other error.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// transient reports whether a request that got status (0: no answer)
// may succeed later as it is.
func transient(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		status >= 500
}

// backoff waits before retry n (from 0) of a failed request: doubling
// from minWait to maxWait, with jitter so that the stations of an office
// do not all come back in the same second after an outage.
func (c *client) backoff(ctx context.Context, n int) error {
	d := c.minWait << min(n, 16)
	if d <= 0 || d > c.maxWait {
		d = c.maxWait
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call makes an API request with a JSON body (nil: none) and decodes a
// JSON answer into out (nil: ignored), retrying while there is no
// answer or a transient one.
func (c *client) call(ctx context.Context, op, method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	for n := 0; ; n++ {
		err := c.once(ctx, op, method, path, b, out)
		if err == nil || !transient(statusOf(err)) || ctx.Err() != nil {
			return err
		}
		if n == 0 || n%10 == 0 {
			c.say("%v; retrying", err)
		}
		if err := c.backoff(ctx, n); err != nil {
			return err
		}
	}
}

func (c *client) once(ctx context.Context, op, method, path string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode >= 300 {
		return &apiError{Op: op, Status: resp.StatusCode, Detail: problemDetail(data)}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: answer: %w", op, err)
		}
	}
	return nil
}

// problemDetail is the detail of a problem+json answer, or its start.
func problemDetail(b []byte) string {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(b, &p) == nil && p.Detail != "" {
		return p.Detail
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// presigned is a request the service signed for the station to send
// without its token: to MinIO, or to the service itself (local store).
type presigned struct {
	URL    string      `json:"url"`
	Method string      `json:"method"`
	Header http.Header `json:"headers"`
}

// put sends bytes [off, off+n) of file path to a presigned URL, once: a
// failure is answered by asking the service again, since a URL may have
// expired during a long outage.
func (c *client) put(ctx context.Context, op string, p presigned, path string, off, n int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer f.Close()
	// A page on a slow link takes a while; one that stalls for good is
	// ended by the transport's timeouts and this bound.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, io.NewSectionReader(f, off, n))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.ContentLength = n
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return &apiError{Op: op, Status: resp.StatusCode, Detail: problemDetail(data), Presigned: true}
	}
	return nil
}

// newHTTPClient is a client with the timeouts an unattended agent needs:
// a dead link is noticed, not waited on for ever.
func newHTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
	}}
}
