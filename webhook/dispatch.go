package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/redact"
)

// batch is how many events one round fans out, and how many deliveries
// it claims and posts at once, per query.
const batch = 16

// MinSecretLen is the shortest secret a Dispatcher accepts.
const MinSecretLen = 32

// Dispatcher posts the catalog's outbox events to the receivers at URLs.
// Several may run at once, in one process or many, against one catalog:
// a delivery is claimed by one of them at a time. All of them must be
// given the same URLs (see catalog.FanOut).
type Dispatcher struct {
	Catalog *catalog.Catalog
	// URLs are the receivers; each gets every event made while it is
	// configured.
	URLs []string
	// Secret signs every request (at least MinSecretLen bytes).
	Secret []byte
	// Client posts the events. The default follows no redirects: a
	// receiver that moved answers 3xx, which is retried like any other
	// failure until its URL is corrected.
	Client *http.Client
	// Every is how often the outbox is polled (default 1 s).
	Every time.Duration
	Log   *slog.Logger

	// Timeout bounds one POST, answer included (default 10 s).
	Timeout time.Duration
	// RetryDelay is the delay before the first retry, doubling after up
	// to MaxRetryDelay (defaults 5 s and 10 min); each delay is drawn
	// between half and all of that, so that events held up by one
	// outage do not all arrive at once when it ends.
	RetryDelay, MaxRetryDelay time.Duration
	// MaxAttempts, when above 0, is the number of failed attempts after
	// which a delivery is given up (kept, marked dead). 0: never give up,
	// so that no event is lost to a long outage.
	MaxAttempts int
}

// Check reports the first thing wrong with the configuration, naming the
// field.
func (d *Dispatcher) Check() error {
	if d.Catalog == nil {
		return errors.New("webhook dispatcher: Catalog is required")
	}
	if len(d.URLs) == 0 {
		return errors.New("webhook dispatcher: URLs: at least one receiver is required")
	}
	seen := map[string]bool{}
	for _, s := range d.URLs {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook dispatcher: URLs: %q is not an http or https URL", redact.URL(s))
		}
		if seen[s] {
			return fmt.Errorf("webhook dispatcher: URLs: %q is listed twice", redact.URL(s))
		}
		seen[s] = true
	}
	if len(d.Secret) < MinSecretLen {
		return fmt.Errorf("webhook dispatcher: Secret: %d bytes, want at least %d", len(d.Secret), MinSecretLen)
	}
	if d.MaxAttempts < 0 {
		return fmt.Errorf("webhook dispatcher: MaxAttempts: %d is negative", d.MaxAttempts)
	}
	return nil
}

// withDefaults returns a copy of d with the defaults filled in.
func (d *Dispatcher) withDefaults() *Dispatcher {
	c := *d
	if c.Every <= 0 {
		c.Every = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = 5 * time.Second
	}
	if c.MaxRetryDelay <= 0 {
		c.MaxRetryDelay = 10 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &c
}

// Run dispatches until ctx is done, then returns nil once the posts in
// flight have ended and their outcomes are recorded. It returns an error
// only for a bad configuration; trouble with the database or a receiver
// is logged and retried.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.Check(); err != nil {
		return err
	}
	c := d.withDefaults()
	t := time.NewTicker(c.Every)
	defer t.Stop()
	for {
		c.round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// round fans out the new events, then posts the due deliveries until
// none is left.
func (d *Dispatcher) round(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.Catalog.FanOut(ctx, d.URLs, batch)
		if err != nil {
			d.logDB(ctx, err)
			return
		}
		if n < batch {
			break
		}
	}
	// The lease covers the post and recording its outcome.
	lease := d.Timeout + time.Minute
	for ctx.Err() == nil {
		ds, err := d.Catalog.ClaimDeliveries(ctx, d.URLs, batch, lease)
		if err != nil {
			d.logDB(ctx, err)
			return
		}
		var wg sync.WaitGroup
		for _, dl := range ds {
			wg.Go(func() { d.deliver(ctx, dl) })
		}
		wg.Wait()
		if len(ds) < batch {
			return
		}
	}
}

func (d *Dispatcher) logDB(ctx context.Context, err error) {
	if ctx.Err() == nil {
		d.Log.Warn("webhook dispatch", "err", err)
	}
}

// deliver posts one claimed delivery and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, dl catalog.Delivery) {
	// The error is logged and kept in the catalog: the client's errors
	// name the URL, its query (a receiver's token) included.
	perr := redact.Error(d.post(ctx, dl), dl.URL)
	// Record even when shutting down: the attempt was made.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := d.Log.With("event", dl.OutboxID, "type", dl.Kind, "dossier", dl.Dossier, "url", redact.URL(dl.URL), "attempt", dl.Attempts)
	var err error
	switch {
	case perr == nil:
		log.Info("webhook delivered")
		err = d.Catalog.MarkDelivered(rctx, dl)
	case d.MaxAttempts > 0 && dl.Attempts >= d.MaxAttempts:
		log.Error("webhook given up", "err", perr)
		err = d.Catalog.GiveUpDelivery(rctx, dl, perr.Error())
	default:
		delay := backoff(dl.Attempts, d.RetryDelay, d.MaxRetryDelay)
		log.Warn("webhook failed; will retry", "in", delay.Round(time.Millisecond), "err", perr)
		err = d.Catalog.RetryDelivery(rctx, dl, perr.Error(), delay)
	}
	if err != nil {
		// The lease ends and the delivery is tried again.
		log.Error("record webhook outcome", "err", err)
	}
}

// post sends one delivery, signed now; any answer but 2xx is an error.
func (d *Dispatcher) post(ctx context.Context, dl catalog.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return err
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sohoa-webhook")
	id := strconv.FormatInt(dl.OutboxID, 10)
	req.Header.Set(HeaderEventID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, now, id, dl.Payload))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if len(bytes.TrimSpace(head)) > 0 {
			return fmt.Errorf("receiver answered %s: %q", resp.Status, bytes.TrimSpace(head))
		}
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// backoff is the delay after failed attempt n (1-based): first doubled
// n-1 times, at most limit, then drawn between half and all of that.
func backoff(n int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}
