// Command load measures a whole sohoa service under a day's work on one
// machine: stations upload dossiers of scanned pages as the scanner
// stations do (declare each page, PUT it to the presigned URL, confirm it,
// then submit the dossier) while bench/apiload keeps the API busy with
// status polls and ready listings, and the workers OCR, assemble and sign.
// When every dossier is signed, failed or stuck, it reads the catalog and
// the store and reports: dossiers lost (submitted, never signed) and
// doubled (signed twice, a page processed twice, a signed PDF with the
// wrong page count or an original twice), queue wait and submission to
// signature percentiles, pages per minute overall and per worker core,
// each worker's peak RSS, PostgreSQL and MinIO growth per 1,000 dossiers,
// and the API's achieved rate and latency during the run.
//
// bench/load/run.sh starts the service (PostgreSQL database, Redis, MinIO,
// serve, workers) and runs it; see there. It reads the catalog and the
// store from the same SOHOA_* variables sohoa does (SOHOA_POSTGRES_DSN,
// SOHOA_S3_ENDPOINT, SOHOA_S3_ACCESS_KEY, SOHOA_S3_SECRET_KEY,
// SOHOA_ORIGINALS_BUCKET, SOHOA_DERIVED_BUCKET).
//
// It exits 1 when a dossier is lost or doubled or the API load fell short
// or failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/s3"
)

type config struct {
	url           string
	stationTokens []string // one per station, all of one office
	workflowToken string
	adminToken    string
	pagesDir      string
	dossiers      int
	perDossier    int
	arrival       float64 // dossiers a minute; 0: as fast as the stations go
	apiload       string  // the apiload binary; "" for no API load
	apiRate       float64
	workerPIDs    []int
	workerNames   []string
	minioDir      string
	timeout       time.Duration
	stall         time.Duration
	jsonOut       string
	work          string // a folder for the codes file
	postgres      string
	s3            s3.Config
	checkPDFs     bool
	cores         int // worker cores: the sum of the workers' concurrency
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	rep.markdown(os.Stdout)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "load: write report:", err)
			os.Exit(1)
		}
	}
	if len(rep.Failures) > 0 {
		for _, f := range rep.Failures {
			fmt.Fprintln(os.Stderr, "load: FAIL:", f)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	c := config{postgres: os.Getenv("SOHOA_POSTGRES_DSN")}
	var tokens, pids, names string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of sohoa serve")
	fs.StringVar(&tokens, "station-tokens", "", "comma-separated operator tokens of one office, one per station")
	fs.StringVar(&c.workflowToken, "workflow-token", "", "workflow token, for the API load's ready listing")
	fs.StringVar(&c.adminToken, "admin-token", "", "admin token, to read /metrics during the run (optional)")
	fs.StringVar(&c.pagesDir, "pages", "", "folder of scans (.jpg, .png) the dossiers' pages are drawn from, in turn")
	fs.IntVar(&c.dossiers, "dossiers", 1000, "dossiers to push")
	fs.IntVar(&c.perDossier, "pages-per-dossier", 5, "pages of each dossier")
	fs.Float64Var(&c.arrival, "arrival", 0, "dossiers submitted a minute, all stations together; 0: as fast as the stations upload")
	fs.StringVar(&c.apiload, "apiload", "", "the bench/apiload binary, run for the whole push and processing; empty: no API load")
	fs.Float64Var(&c.apiRate, "api-rate", 500, "requests per second apiload sends")
	fs.StringVar(&pids, "worker-pids", "", "comma-separated PIDs of the worker processes, for their peak RSS")
	fs.StringVar(&names, "worker-names", "", "comma-separated names the workers record in the catalog (--name), for pages per worker")
	fs.IntVar(&c.cores, "worker-cores", 0, "cores the workers use (their --concurrency summed); default: one per worker")
	fs.StringVar(&c.minioDir, "minio-dir", "", "MinIO's data folder, for the storage size")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Hour, "longest the whole run may take")
	// Long: with a backlog, a dossier's assembly waits behind every page
	// queued before it, so signatures can pause for many minutes.
	fs.DurationVar(&c.stall, "stall", 30*time.Minute, "give up waiting when no dossier was signed or failed for this long")
	fs.StringVar(&c.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&c.work, "work", os.TempDir(), "folder for the run's scratch files")
	fs.BoolVar(&c.checkPDFs, "check-pdfs", true, "read every signed PDF and manifest back from the store to count their pages")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.url = strings.TrimSuffix(c.url, "/")
	c.stationTokens = splitList(tokens)
	for _, p := range splitList(pids) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return c, fmt.Errorf("-worker-pids: %q is not a PID", p)
		}
		c.workerPIDs = append(c.workerPIDs, n)
	}
	c.workerNames = splitList(names)
	if c.cores == 0 {
		c.cores = max(len(c.workerNames), len(c.workerPIDs), 1)
	}
	c.s3 = s3.Config{
		Endpoint:        os.Getenv("SOHOA_S3_ENDPOINT"),
		AccessKey:       os.Getenv("SOHOA_S3_ACCESS_KEY"),
		SecretKey:       os.Getenv("SOHOA_S3_SECRET_KEY"),
		OriginalsBucket: envOr("SOHOA_ORIGINALS_BUCKET", "sohoa-originals"),
		DerivedBucket:   envOr("SOHOA_DERIVED_BUCKET", "sohoa-derived"),
		// Only read here; the store wants a retention all the same.
		Retention: storage.RetentionYears(1),
	}
	switch {
	case len(c.stationTokens) == 0:
		return c, errors.New("-station-tokens: at least one operator token is required")
	case c.pagesDir == "":
		return c, errors.New("-pages: a folder of scans is required")
	case c.dossiers < 1 || c.perDossier < 1:
		return c, fmt.Errorf("-dossiers %d, -pages-per-dossier %d: want at least 1 each", c.dossiers, c.perDossier)
	case c.arrival < 0:
		return c, fmt.Errorf("-arrival %g: want 0 or more", c.arrival)
	case c.apiload != "" && c.workflowToken == "":
		return c, errors.New("-apiload needs -workflow-token for the ready listing")
	case c.postgres == "":
		return c, errors.New("SOHOA_POSTGRES_DSN: the catalog's DSN is required")
	case c.s3.Endpoint == "" || c.s3.AccessKey == "" || c.s3.SecretKey == "":
		return c, errors.New("SOHOA_S3_ENDPOINT, SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY are required: the dossiers are checked in the store")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// run pushes the dossiers, waits for them and measures.
func run(ctx context.Context, c config) (*report, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	pool, err := loadPool(c.pagesDir)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(ctx, c.postgres)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	defer cat.Close()
	store, err := s3.New(ctx, c.s3)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	rep := &report{Dossiers: c.dossiers, PagesPerDossier: c.perDossier, Workers: len(c.workerNames), WorkerCores: c.cores,
		Stations: len(c.stationTokens), ArrivalPerMin: c.arrival, PoolPages: len(pool)}
	sizes0, err := measureSizes(ctx, c.postgres, c.minioDir)
	if err != nil {
		return nil, err
	}

	st := newStations(c, pool)
	fmt.Fprintf(os.Stderr, "load: creating %d dossiers\n", c.dossiers)
	if err := st.createAll(ctx); err != nil {
		return nil, err
	}
	var api *apiLoad
	if c.apiload != "" {
		codesFile := filepath.Join(c.work, "codes.txt")
		if err := os.WriteFile(codesFile, []byte(strings.Join(st.codes, "\n")), 0o644); err != nil {
			return nil, err
		}
		api, err = startAPILoad(c, codesFile)
		if err != nil {
			return nil, err
		}
		defer api.kill()
	}
	scraper := startScraper(ctx, c)

	fmt.Fprintf(os.Stderr, "load: pushing %d dossiers of %d pages from %d stations\n", c.dossiers, c.perDossier, len(c.stationTokens))
	pushStart := time.Now()
	if err := st.pushAll(ctx); err != nil {
		return nil, err
	}
	rep.PushSeconds = time.Since(pushStart).Seconds()
	rep.Uploads = st.uploadStats()
	fmt.Fprintf(os.Stderr, "load: pushed in %.1f s; waiting for the workers\n", rep.PushSeconds)

	if err := waitDone(ctx, c, cat, len(st.codes)); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err) // reported below as lost dossiers
	}
	rep.WaitEnded = time.Now()
	rep.QueuePeak = scraper.stop()
	if api != nil {
		rep.API, err = api.stop()
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("API load: %v", err))
		}
	}
	for i, pid := range c.workerPIDs {
		name := fmt.Sprintf("pid %d", pid)
		if i < len(c.workerNames) {
			name = c.workerNames[i]
		}
		rep.WorkerPeakRSS = append(rep.WorkerPeakRSS, workerRSS{Name: name, PeakMiB: peakRSS(pid)})
	}
	// The sizes before the checks below, whose reads add to the trail.
	sizes1, err := measureSizes(ctx, c.postgres, c.minioDir)
	if err != nil {
		return nil, err
	}
	rep.sizes(sizes0, sizes1)

	if err := rep.checkCatalog(ctx, c, cat, st); err != nil {
		return nil, err
	}
	if err := rep.checkStore(ctx, c, store, st); err != nil {
		return nil, err
	}
	rep.judge(c)
	return rep, nil
}

// apiLoad is bench/apiload running beside the push, until stopped.
type apiLoad struct {
	cmd *exec.Cmd
	out strings.Builder
}

func startAPILoad(c config, codesFile string) (*apiLoad, error) {
	a := &apiLoad{}
	a.cmd = exec.Command(c.apiload, "-url", c.url, "-operator-token", c.stationTokens[0],
		"-workflow-token", c.workflowToken, "-codes-file", codesFile,
		"-rate", strconv.FormatFloat(c.apiRate, 'g', -1, 64), "-duration", "0", "-json")
	a.cmd.Stdout = &a.out
	a.cmd.Stderr = os.Stderr
	a.cmd.SysProcAttr = pdeathsig()
	if err := a.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start apiload: %w", err)
	}
	return a, nil
}

// stop ends the schedule and reads apiload's report. apiload exits 1 on
// errors and a short rate, which the report says itself.
func (a *apiLoad) stop() (*apiReport, error) {
	a.cmd.Process.Signal(os.Interrupt)
	werr := a.cmd.Wait()
	var r apiReport
	if err := json.Unmarshal([]byte(a.out.String()), &r); err != nil {
		return nil, fmt.Errorf("apiload's report (%v): %w", werr, err)
	}
	if len(r.Failures) > 0 {
		return &r, errors.New(strings.Join(r.Failures, "; "))
	}
	return &r, nil
}

func (a *apiLoad) kill() {
	if a.cmd.ProcessState == nil {
		a.cmd.Process.Kill()
		a.cmd.Wait()
	}
}

// waitDone polls the catalog until all n dossiers are signed or failed,
// none has moved for c.stall, or ctx ends.
func waitDone(ctx context.Context, c config, cat *catalog.Catalog, n int) error {
	last, lastChange := -1, time.Now()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		dossiers, _, err := cat.Counts(ctx)
		if err != nil {
			return fmt.Errorf("wait for the dossiers: %w", err)
		}
		done := dossiers[string(catalog.Signed)] + dossiers[string(catalog.Delivered)] + dossiers[string(catalog.Failed)]
		if done != last {
			fmt.Fprintf(os.Stderr, "load: %s %d of %d signed or failed\n", time.Now().Format("15:04:05"), done, n)
			last, lastChange = done, time.Now()
		}
		if done >= n {
			return nil
		}
		if time.Since(lastChange) > c.stall {
			return fmt.Errorf("no dossier finished for %v: %d of %d done, %v", c.stall, done, n, dossiers)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the dossiers: %w (%d of %d done)", ctx.Err(), done, n)
		case <-tick.C:
		}
	}
}
