package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/redact"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/reconcile"
	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/pgmirror"
	"github.com/sohoa/sohoa/register/soap"
)

// registerConfig is how sohoa ingest and sohoa worker reach the population
// register for the reconcile stage: a PostgreSQL mirror (postgres://...)
// or the integration platform's SOAP service (https://...), and who asks.
// Secrets come from the environment or files, never from flags, which
// other users of the machine can read.
type registerConfig struct {
	url                string
	cert, key, ca      string
	apiKey, secretFile string
	tokenFile          string
	agency, officer    string
	procedure, service string
	timeout            time.Duration
}

func (c *registerConfig) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "register", os.Getenv("SOHOA_REGISTER_URL"), "population register to reconcile with: postgres://... (the mirror 'sohoa register load' fills) or https://... (the platform's SOAP service); none: extract only ($SOHOA_REGISTER_URL)")
	fs.StringVar(&c.cert, "register-cert", os.Getenv("SOHOA_REGISTER_CERT"), "client certificate (PEM) for the SOAP service's mutual TLS ($SOHOA_REGISTER_CERT)")
	fs.StringVar(&c.key, "register-key", os.Getenv("SOHOA_REGISTER_KEY"), "its private key (PEM) ($SOHOA_REGISTER_KEY)")
	fs.StringVar(&c.ca, "register-ca", os.Getenv("SOHOA_REGISTER_CA"), "CA (PEM) the SOAP service's certificate must chain to ($SOHOA_REGISTER_CA; default: the system's)")
	fs.StringVar(&c.apiKey, "register-api-key", os.Getenv("SOHOA_REGISTER_API_KEY"), "API key the platform issued ($SOHOA_REGISTER_API_KEY); its secret from $SOHOA_REGISTER_API_SECRET or --register-secret-file")
	fs.StringVar(&c.secretFile, "register-secret-file", "", "file holding the API key's secret")
	fs.StringVar(&c.tokenFile, "register-token-file", os.Getenv("SOHOA_REGISTER_TOKEN_FILE"), "file holding a platform access token, instead of an API key ($SOHOA_REGISTER_TOKEN_FILE)")
	fs.StringVar(&c.agency, "agency", os.Getenv("SOHOA_AGENCY"), "agency code every register call names ($SOHOA_AGENCY)")
	fs.StringVar(&c.officer, "officer", envOr("SOHOA_OFFICER", os.Getenv("USER")), "officer every register call names ($SOHOA_OFFICER, else $USER)")
	fs.StringVar(&c.procedure, "procedure", os.Getenv("SOHOA_PROCEDURE"), "administrative procedure code the calls name ($SOHOA_PROCEDURE)")
	fs.StringVar(&c.service, "register-service", envOr("SOHOA_REGISTER_SERVICE", "CSDLDC"), "integration service code the platform issued ($SOHOA_REGISTER_SERVICE)")
	fs.DurationVar(&c.timeout, "register-timeout", 10*time.Second, "how long one register call may take")
}

// open connects to the configured register; nil when none is configured.
// close releases it.
func (c *registerConfig) open(ctx context.Context) (reg *pipeline.Register, close func(), err error) {
	close = func() {}
	if c.url == "" {
		return nil, close, nil
	}
	caller := reconcile.Caller{Procedure: c.procedure, Service: c.service, Agency: c.agency, Officer: c.officer}
	if caller.Officer == "" {
		return nil, close, usageError{errors.New("--officer: every register call names the officer it is made for")}
	}
	var r register.Register
	switch {
	case strings.HasPrefix(c.url, "postgres://"), strings.HasPrefix(c.url, "postgresql://"):
		lm := &lazyMirror{url: c.url}
		if _, err := lm.mirror(ctx); err != nil {
			// Down is not a reason to lose dossiers: their people are left
			// pending, and the mirror is opened again when asked next.
			fmt.Fprintf(os.Stderr, "sohoa: %v; reconciliations stay pending until it answers\n", err)
		}
		r, close = lm, lm.Close
	case strings.HasPrefix(c.url, "https://"):
		cfg := soap.Config{URL: c.url, Timeout: c.timeout}
		if c.cert != "" || c.ca != "" {
			if cfg.TLS, err = soap.LoadTLS(c.cert, c.key, c.ca); err != nil {
				return nil, close, fmt.Errorf("register TLS: %w", err)
			}
		}
		switch {
		case c.tokenFile != "":
			tok, err := readSecret(c.tokenFile, "")
			if err != nil {
				return nil, close, fmt.Errorf("register token: %w", err)
			}
			cfg.Auth = soap.StaticToken(tok)
		case c.apiKey != "":
			secret, err := readSecret(c.secretFile, "SOHOA_REGISTER_API_SECRET")
			if err != nil {
				return nil, close, fmt.Errorf("register API secret: %w", err)
			}
			cfg.Auth = soap.APIKey{Key: c.apiKey, Secret: secret}
		default:
			return nil, close, usageError{errors.New("--register https: give --register-api-key (and its secret) or --register-token-file")}
		}
		cl, err := soap.New(cfg)
		if err != nil {
			return nil, close, fmt.Errorf("register %s: %w", redact.URL(c.url), err)
		}
		r = cl
	default:
		return nil, close, usageError{fmt.Errorf("--register %s: want a postgres:// or https:// URL", redact.URL(c.url))}
	}
	return &pipeline.Register{Register: r, Caller: caller}, close, nil
}

// readSecret reads a secret from file, else from the environment variable
// env; empty is an error.
func readSecret(file, env string) (string, error) {
	v := ""
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		v = strings.TrimRight(string(b), "\r\n")
	} else if env != "" {
		v = os.Getenv(env)
	}
	if v == "" {
		return "", errors.New("none given")
	}
	return v, nil
}

// lazyMirror is the register mirror, opened when first asked and opened
// again after it could not be: a desk PC or worker started while the
// database is down reconciles once it is back, without a restart.
type lazyMirror struct {
	url   string
	every time.Duration // between attempts to open it; reopenAfter when 0

	mu    sync.Mutex
	m     *pgmirror.Mirror
	tried time.Time // the last failed open
}

// reopenAfter spaces out attempts to open a mirror that is down, so that a
// queue of dossiers does not hammer it.
const reopenAfter = 10 * time.Second

func (l *lazyMirror) mirror(ctx context.Context) (*pgmirror.Mirror, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m != nil {
		return l.m, nil
	}
	every := l.every
	if every == 0 {
		every = reopenAfter
	}
	if !l.tried.IsZero() && time.Since(l.tried) < every {
		return nil, fmt.Errorf("register mirror %s: %w: could not be opened %s ago", redact.URL(l.url), register.ErrUnavailable,
			time.Since(l.tried).Round(time.Second))
	}
	m, err := pgmirror.Open(ctx, l.url)
	if err != nil {
		l.tried = time.Now()
		return nil, fmt.Errorf("register mirror %s: %w: %w", redact.URL(l.url), register.ErrUnavailable, err)
	}
	l.m = m
	return m, nil
}

func (l *lazyMirror) Verify(ctx context.Context, req register.Request) (bool, error) {
	m, err := l.mirror(ctx)
	if err != nil {
		return false, err
	}
	return m.Verify(ctx, req)
}

func (l *lazyMirror) Lookup(ctx context.Context, req register.Request) (*register.Citizen, error) {
	m, err := l.mirror(ctx)
	if err != nil {
		return nil, err
	}
	return m.Lookup(ctx, req)
}

// Close closes the mirror if it was opened.
func (l *lazyMirror) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m != nil {
		l.m.Close()
		l.m = nil
	}
}
