package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/api"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/redact"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
	"github.com/sohoa/sohoa/storage/s3"
	"github.com/sohoa/sohoa/web"
	"github.com/sohoa/sohoa/webhook"
	"github.com/sohoa/sohoa/workers"
)

// serviceConfig is what serve and worker share: where Redis, PostgreSQL
// and storage are. Each setting is a flag whose default comes from a
// SOHOA_* variable, so a deployment sets the environment once for all
// processes.
type serviceConfig struct {
	redisURL, postgres                   string
	storageKind, storageDir              string
	s3Endpoint, s3AccessKey, s3SecretKey string
	s3Secure                             bool
	originalsBucket, derivedBucket       string
	retentionYears                       int
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func (c *serviceConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.redisURL, "redis", envOr("SOHOA_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL of the task queues ($SOHOA_REDIS_URL)")
	fs.StringVar(&c.postgres, "postgres", os.Getenv("SOHOA_POSTGRES_DSN"), "PostgreSQL DSN of the catalog, e.g. postgres://sohoa@db/sohoa ($SOHOA_POSTGRES_DSN; required)")
	fs.StringVar(&c.storageKind, "storage", envOr("SOHOA_STORAGE", "local"), "where originals and results live: local or s3 ($SOHOA_STORAGE)")
	fs.StringVar(&c.storageDir, "storage-dir", envOr("SOHOA_STORAGE_DIR", "sohoa-data"), "folder of the local store, shared by every process of the box ($SOHOA_STORAGE_DIR)")
	fs.StringVar(&c.s3Endpoint, "s3-endpoint", os.Getenv("SOHOA_S3_ENDPOINT"), "S3/MinIO host:port ($SOHOA_S3_ENDPOINT)")
	fs.StringVar(&c.s3AccessKey, "s3-access-key", os.Getenv("SOHOA_S3_ACCESS_KEY"), "S3 access key ($SOHOA_S3_ACCESS_KEY; the secret key only from $SOHOA_S3_SECRET_KEY)")
	fs.BoolVar(&c.s3Secure, "s3-secure", os.Getenv("SOHOA_S3_SECURE") == "true", "use https to S3 ($SOHOA_S3_SECURE=true)")
	fs.StringVar(&c.originalsBucket, "originals-bucket", envOr("SOHOA_ORIGINALS_BUCKET", "sohoa-originals"), "bucket of the originals, with object lock ($SOHOA_ORIGINALS_BUCKET)")
	fs.StringVar(&c.derivedBucket, "derived-bucket", envOr("SOHOA_DERIVED_BUCKET", "sohoa-derived"), "bucket of results and dossier PDFs ($SOHOA_DERIVED_BUCKET)")
	fs.IntVar(&c.retentionYears, "retention-years", envInt("SOHOA_RETENTION_YEARS", 20), "years originals cannot be deleted or changed ($SOHOA_RETENTION_YEARS)")
	c.s3SecretKey = os.Getenv("SOHOA_S3_SECRET_KEY")
}

// check validates the settings before anything connects, naming the bad one.
func (c *serviceConfig) check() error {
	if c.postgres == "" {
		return usageError{errors.New("--postgres (SOHOA_POSTGRES_DSN) is required")}
	}
	if _, err := asynq.ParseRedisURI(c.redisURL); err != nil {
		return usageError{fmt.Errorf("--redis (SOHOA_REDIS_URL) %q: %v", redact.URL(c.redisURL), redact.Error(err, c.redisURL))}
	}
	if c.retentionYears < 1 || c.retentionYears > 100 {
		return usageError{fmt.Errorf("--retention-years (SOHOA_RETENTION_YEARS) %d: want 1 to 100", c.retentionYears)}
	}
	switch c.storageKind {
	case "local":
		if c.storageDir == "" {
			return usageError{errors.New("--storage-dir (SOHOA_STORAGE_DIR) is required with --storage local")}
		}
	case "s3":
		if c.s3Endpoint == "" || strings.Contains(c.s3Endpoint, "/") {
			return usageError{fmt.Errorf("--s3-endpoint (SOHOA_S3_ENDPOINT) %q: want host:port", redact.URL(c.s3Endpoint))}
		}
		if c.s3AccessKey == "" || c.s3SecretKey == "" {
			return usageError{errors.New("--s3-access-key (SOHOA_S3_ACCESS_KEY) and SOHOA_S3_SECRET_KEY are required with --storage s3")}
		}
	default:
		return usageError{fmt.Errorf("--storage (SOHOA_STORAGE) %q: want local or s3", c.storageKind)}
	}
	return nil
}

// redact takes the secrets of every setting that may hold one out of
// err's text (see package redact): wrapped library errors may quote a
// URL or DSN whole.
func (c *serviceConfig) redact(err error, more ...string) error {
	return redact.Error(err, append([]string{c.redisURL, c.postgres, c.s3Endpoint}, more...)...)
}

func (c *serviceConfig) redis() asynq.RedisConnOpt {
	opt, _ := asynq.ParseRedisURI(c.redisURL) // checked
	return opt
}

// open connects to the catalog (applying migrations) and storage. A local
// store signs station uploads under uploadURL with secret (serve; a
// worker passes neither): it has no server of its own to take them.
func (c *serviceConfig) open(ctx context.Context, uploadURL string, secret []byte) (*catalog.Catalog, storage.Store, error) {
	cat, err := catalog.Open(ctx, c.postgres)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog (SOHOA_POSTGRES_DSN): %w", redact.Error(err, c.postgres))
	}
	retention := storage.RetentionYears(c.retentionYears)
	if c.storageKind == "local" {
		st, err := local.Open(c.storageDir, local.Options{Retention: retention, UploadURL: uploadURL, URLSecret: secret})
		if err != nil {
			cat.Close()
			return nil, nil, fmt.Errorf("storage (SOHOA_STORAGE_DIR): %w", err)
		}
		return cat, st, nil
	}
	st, err := s3.New(ctx, s3.Config{Endpoint: c.s3Endpoint, AccessKey: c.s3AccessKey, SecretKey: c.s3SecretKey,
		Secure: c.s3Secure, OriginalsBucket: c.originalsBucket, DerivedBucket: c.derivedBucket, Retention: retention})
	if err != nil {
		cat.Close()
		return nil, nil, fmt.Errorf("storage (SOHOA_S3_ENDPOINT): %w", redact.Error(err, c.s3Endpoint))
	}
	return cat, st, nil
}

// logger writes the service's log to stderr: key=value text by default, or
// one JSON object a line with SOHOA_LOG_FORMAT=json, for a log collector
// (Loki, Elasticsearch) to index by dossier and page.
func logger() *slog.Logger {
	opt := &slog.HandlerOptions{Level: slog.LevelInfo}
	if strings.EqualFold(os.Getenv("SOHOA_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opt))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opt))
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Printf("Usage: sohoa %s [options]\n\nEach option's default comes from the SOHOA_* variable named with it.\n\n", fs.Name())
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// errHelp ends a command that printed its help.
var errHelp = errors.New("help shown")

// serve runs the HTTP API until SIGTERM.
func serve(ctx context.Context, args []string) (err error) {
	var c serviceConfig
	var lim httpLimits
	var listen, baseURL, roots, hooks string
	var hookRetry, stagingTTL time.Duration
	var quota int64
	var dossierPages int
	defer func() { err = c.redact(err, splitList(hooks)...) }()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs)
	lim.flags(fs)
	fs.StringVar(&listen, "listen", envOr("SOHOA_LISTEN", "127.0.0.1:8080"), "address the API listens on ($SOHOA_LISTEN)")
	fs.StringVar(&hooks, "webhook-urls", os.Getenv("SOHOA_WEBHOOK_URLS"), "comma-separated URLs told of every dossier that is ready or failed, or reconciled after it was ready, signed with $SOHOA_WEBHOOK_SECRET ($SOHOA_WEBHOOK_URLS)")
	fs.DurationVar(&hookRetry, "webhook-retry-delay", envDuration("SOHOA_WEBHOOK_RETRY_DELAY", 5*time.Second), "first delay before a failed webhook is sent again, doubling after ($SOHOA_WEBHOOK_RETRY_DELAY)")
	fs.StringVar(&roots, "roots", os.Getenv("SOHOA_TRUST_ROOTS"), "PEM file of the CA certificates server-side verification trusts ($SOHOA_TRUST_ROOTS)")
	fs.StringVar(&baseURL, "base-url", os.Getenv("SOHOA_BASE_URL"), "URL stations reach this server at, for local-store upload links ($SOHOA_BASE_URL; default http://LISTEN)")
	fs.DurationVar(&stagingTTL, "staging-ttl", envDuration("SOHOA_STAGING_TTL", 24*time.Hour), "how long an upload waits for its page to be confirmed before it is deleted ($SOHOA_STAGING_TTL)")
	fs.Int64Var(&quota, "office-upload-quota", int64(envInt("SOHOA_OFFICE_UPLOAD_QUOTA", 4<<30)), "bytes of unconfirmed uploads one office may hold; -1 for no quota ($SOHOA_OFFICE_UPLOAD_QUOTA)")
	fs.IntVar(&dossierPages, "max-dossier-pages", envInt("SOHOA_MAX_DOSSIER_PAGES", 2000), "pages (frames of all its files) one dossier may hold ($SOHOA_MAX_DOSSIER_PAGES)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if stagingTTL < time.Minute {
		return usageError{fmt.Errorf("--staging-ttl (SOHOA_STAGING_TTL) %v: want at least 1m", stagingTTL)}
	}
	if quota == 0 || quota < -1 {
		return usageError{fmt.Errorf("--office-upload-quota (SOHOA_OFFICE_UPLOAD_QUOTA) %d: want bytes, or -1 for no quota", quota)}
	}
	if dossierPages < 1 {
		return usageError{fmt.Errorf("--max-dossier-pages (SOHOA_MAX_DOSSIER_PAGES) %d: want at least 1", dossierPages)}
	}
	if err := c.check(); err != nil {
		return err
	}
	if err := lim.check(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return usageError{fmt.Errorf("--listen (SOHOA_LISTEN) %q: %v", listen, err)}
	}
	secret := []byte(os.Getenv("SOHOA_URL_SECRET"))
	if len(secret) < 32 {
		return usageError{errors.New("SOHOA_URL_SECRET (at least 32 bytes, the same for every serve process) is required: it signs the upload and download URLs this server hands out")}
	}
	if baseURL == "" {
		baseURL = "http://" + listen
	}
	hookURLs := splitList(hooks)
	hookSecret := []byte(os.Getenv("SOHOA_WEBHOOK_SECRET"))
	log := logger()
	cat, st, err := c.open(ctx, strings.TrimSuffix(baseURL, "/")+api.UploadPath, secret)
	if err != nil {
		return err
	}
	defer cat.Close()
	q := queue.NewClient(c.redis(), 0)
	defer q.Close()
	in := asynq.NewInspector(c.redis())
	defer in.Close()
	cfg := api.Config{Store: st, Catalog: cat, Queue: q, URLSecret: secret, BaseURL: baseURL, Inspector: in, Log: log,
		StagingTTL: stagingTTL, OfficeQuota: quota, MaxDossierPages: dossierPages}
	if roots != "" {
		pem, err := os.ReadFile(roots)
		if err != nil {
			return fmt.Errorf("--roots (SOHOA_TRUST_ROOTS): %w", err)
		}
		cfg.Roots = x509.NewCertPool()
		if !cfg.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--roots (SOHOA_TRUST_ROOTS) %s: no PEM certificates", roots)
		}
	}
	h, err := api.New(cfg)
	if err != nil {
		return err
	}
	// Uploads nobody confirmed are deleted after the staging TTL.
	go h.Sweep(ctx)
	if len(hookURLs) > 0 {
		d := &webhook.Dispatcher{Catalog: cat, URLs: hookURLs, Secret: hookSecret, RetryDelay: hookRetry, Log: log}
		if err := d.Check(); err != nil {
			return usageError{fmt.Errorf("--webhook-urls (SOHOA_WEBHOOK_URLS) / SOHOA_WEBHOOK_SECRET: %w", err)}
		}
		go func() {
			if err := d.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("webhook dispatcher stopped", "err", err)
			}
		}()
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen (SOHOA_LISTEN): %w", err)
	}
	// The desk's and auditor's pages share the listener with the API.
	pages, err := web.New(web.Config{API: h, Catalog: cat, Store: st, Log: log,
		Secure: strings.HasPrefix(baseURL, "https://")})
	if err != nil {
		return err
	}
	root := http.NewServeMux()
	root.Handle("/", h)
	pages.Mount(root)
	srv, l := httpServer(root, l, lim, log)
	log.Info("serving", "addr", l.Addr().String(), "storage", c.storageKind)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// worker runs asynq task handlers until SIGTERM.
func worker(ctx context.Context, args []string) (err error) {
	gcForPages()
	var c serviceConfig
	var reg registerConfig
	var queues string
	cfg := workers.Config{}
	defer func() { err = c.redact(err, signing.tsa, reg.url) }()
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	c.flags(fs)
	reg.bind(fs)
	fs.DurationVar(&cfg.RegisterRetry, "register-retry", envDuration("SOHOA_REGISTER_RETRY", time.Minute), "how long a dossier the register could not answer for waits before it is asked again, doubling each time up to an hour ($SOHOA_REGISTER_RETRY)")
	fs.StringVar(&cfg.Name, "name", os.Getenv("SOHOA_WORKER_NAME"), "this worker's name in the catalog's events ($SOHOA_WORKER_NAME; default worker HOST:PID)")
	fs.IntVar(&cfg.Concurrency, "concurrency", envInt("SOHOA_CONCURRENCY", runtime.NumCPU()), "tasks run at once, one Tesseract each ($SOHOA_CONCURRENCY)")
	fs.StringVar(&queues, "queues", envOr("SOHOA_QUEUES", "desk=6,bulk=1"), "queues of pages and their weights ($SOHOA_QUEUES); the finish queue (assembly, signing) is served before them")
	fs.IntVar(&cfg.MaxRetry, "max-retry", envInt("SOHOA_MAX_RETRY", queue.DefaultMaxRetry), "retries of a failing task before its page or dossier is failed ($SOHOA_MAX_RETRY)")
	fs.DurationVar(&cfg.RetryDelay, "retry-delay", envDuration("SOHOA_RETRY_DELAY", 10*time.Second), "delay before the first retry, doubling after ($SOHOA_RETRY_DELAY)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", envDuration("SOHOA_SHUTDOWN_TIMEOUT", time.Minute), "on SIGTERM, time running tasks get before they go back to the queue ($SOHOA_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&cfg.ReconcileEvery, "reconcile-every", envDuration("SOHOA_RECONCILE_EVERY", time.Minute), "how often to re-queue work the queue lost ($SOHOA_RECONCILE_EVERY)")
	fs.DurationVar(&cfg.ReconcileQuiet, "reconcile-quiet", envDuration("SOHOA_RECONCILE_QUIET", 2*time.Minute), "how long a dossier must be unchanged before its work is re-queued ($SOHOA_RECONCILE_QUIET)")
	fs.StringVar(&cfg.Lang, "lang", envOr("SOHOA_LANG", pipeline.DefaultLang), "Tesseract languages ($SOHOA_LANG)")
	fs.IntVar(&cfg.OCRDPI, "ocr-dpi", envInt("SOHOA_OCR_DPI", pipeline.DefaultOCRDPI), "resolution OCR reads finer scans at ($SOHOA_OCR_DPI)")
	fs.Int64Var(&cfg.MaxPixels, "max-pixels", int64(envInt("SOHOA_MAX_PIXELS", scan.DefaultMaxPixels)), "refuse pages larger than this many pixels ($SOHOA_MAX_PIXELS)")
	cfg.Images = envOr("SOHOA_IMAGES", pipeline.ImagesCompact)
	fs.Func("images", "how pages' images go into the delivered PDF: compact or original ($SOHOA_IMAGES; default compact)", func(v string) error {
		cfg.Images = v
		return pipeline.CheckImages(v)
	})
	skip := fs.String("skip", os.Getenv("SOHOA_SKIP"), "steps of the resolution check and cleanup not to run, comma-separated ($SOHOA_SKIP): "+strings.Join(pipeline.Steps, ", "))
	fs.StringVar(&signing.key, "key", os.Getenv("SOHOA_KEY"), "signing key and chain, .p12 or PEM, or pkcs11:token=LABEL;object=KEYLABEL for a key on a hardware token ($SOHOA_KEY; else the development key)")
	fs.StringVar(&signing.passwordFile, "key-password-file", "", "file holding the key's password or the token's PIN (default $SOHOA_KEY_PASSWORD)")
	tokenFlags(fs)
	fs.StringVar(&signing.tsa, "tsa", os.Getenv("SOHOA_TSA_URL"), "RFC 3161 time-stamp authority URL ($SOHOA_TSA_URL)")
	levelFlag(fs)
	visibleFlag(fs)
	fs.StringVar(&signing.location, "location", envOr("SOHOA_LOCATION", "Trung tâm Phục vụ hành chính công"), "service center named in the signature ($SOHOA_LOCATION)")
	fs.StringVar(&signing.reason, "reason", "Số hóa hồ sơ (digitised dossier)", "reason given in the signature")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 256 {
		return usageError{fmt.Errorf("--concurrency (SOHOA_CONCURRENCY) %d: want 1 to 256", cfg.Concurrency)}
	}
	if cfg.Queues, err = parseQueues(queues); err != nil {
		return usageError{fmt.Errorf("--queues (SOHOA_QUEUES) %q: %v", queues, err)}
	}
	if cfg.Skip = splitList(*skip); pipeline.CheckSkip(cfg.Skip) != nil {
		return usageError{fmt.Errorf("--skip (SOHOA_SKIP): %v", pipeline.CheckSkip(cfg.Skip))}
	}
	if err := pipeline.CheckImages(cfg.Images); err != nil { // from $SOHOA_IMAGES: the flag checks its own
		return usageError{fmt.Errorf("SOHOA_IMAGES: %v", err)}
	}
	if cfg.RegisterRetry <= 0 {
		return usageError{fmt.Errorf("--register-retry (SOHOA_REGISTER_RETRY) %v: want a positive duration", cfg.RegisterRetry)}
	}
	if cfg.Signer, err = loadSigner(logger()); err != nil {
		return err
	}
	defer cfg.Signer.Close()
	// The register is reached before any task is taken: a wrong address
	// or a missing officer stops the start, not the first dossier.
	r, closeReg, err := reg.open(ctx)
	if err != nil {
		return err
	}
	defer closeReg()
	cfg.Register = r
	cat, st, err := c.open(ctx, "", nil)
	if err != nil {
		return err
	}
	defer cat.Close()
	cfg.Store, cfg.Catalog, cfg.Redis, cfg.Log = st, cat, c.redis(), logger()
	w, err := workers.New(cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Run(ctx)
}

// splitList reads "a, b,c" as a, b and c.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseQueues reads "desk=6,bulk=1". The finish queue needs no naming:
// a worker serves it first anyway (workers.Config.Queues).
func parseQueues(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || name == "" || err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want NAME=WEIGHT with a weight ≥ 1", part)
		}
		if name != catalog.QueueDesk && name != catalog.QueueBulk && name != queue.QueueFinish {
			return nil, fmt.Errorf("unknown queue %q: want %s, %s or %s", name, catalog.QueueDesk, catalog.QueueBulk, queue.QueueFinish)
		}
		out[name] = n
	}
	return out, nil
}
