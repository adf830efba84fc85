package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
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
		m, err := pgmirror.Open(ctx, c.url)
		if err != nil {
			// Down is not a reason to lose the dossier: its people are
			// left pending, to be checked again.
			err = fmt.Errorf("register mirror %s: %w: %w", redact.URL(c.url), register.ErrUnavailable, err)
			fmt.Fprintf(os.Stderr, "sohoa: %v; the dossier's reconciliation will be pending\n", err)
			r = unreachable{err}
			break
		}
		r, close = m, m.Close
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

// unreachable is a register that could not be reached at start: every
// question gets the error that said so, register.ErrUnavailable.
type unreachable struct{ err error }

func (u unreachable) Verify(context.Context, register.Request) (bool, error) { return false, u.err }

func (u unreachable) Lookup(context.Context, register.Request) (*register.Citizen, error) {
	return nil, u.err
}
