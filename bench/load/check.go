package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// pageStages are the stages whose times a processed page's event records
// (pipeline.StageTimes); the finer steps in it are part of these.
var pageStages = []string{"normalize", "orient", "assess", "deskew", "clean", "ocr", "assemble"}

// checkCatalog reads every dossier's record and trail: what became of it,
// how often each move happened, and when.
func (r *report) checkCatalog(ctx context.Context, c config, cat *catalog.Catalog, st *stations) error {
	var waits, latencies, busy []float64
	var first, last time.Time
	perWorker := map[string]int{}
	stageTotal := map[string]float64{}
	for i, code := range st.codes {
		d, err := cat.Get(ctx, code)
		if err != nil {
			return fmt.Errorf("check dossier %s: %w", code, err)
		}
		if d.SubmittedAt.IsZero() {
			r.NotSubmitted++
			continue
		}
		r.Submitted++
		switch d.Status {
		case catalog.Signed, catalog.Delivered:
			r.Signed++
		case catalog.Failed:
			r.Failed++
			r.problem("dossier %s failed", code)
		default:
			r.problem("dossier %s lost: still %s", code, d.Status)
		}
		evs, err := cat.Events(ctx, code)
		if err != nil {
			return fmt.Errorf("check dossier %s: %w", code, err)
		}
		moves := map[string]int{}
		processed := map[int]int{}
		var signedAt time.Time
		for _, e := range evs {
			if e.Action != catalog.ActionMove {
				continue
			}
			if e.Page == 0 {
				moves[e.To]++
				if e.To == string(catalog.Signed) && signedAt.IsZero() {
					signedAt = e.At
				}
				continue
			}
			if e.To != string(catalog.PageProcessed) {
				continue
			}
			processed[e.Page]++
			perWorker[e.Actor]++
			b := stageSeconds(e.Detail, stageTotal)
			busy = append(busy, b)
			waits = append(waits, e.At.Sub(d.SubmittedAt).Seconds()-b)
		}
		if first.IsZero() || d.SubmittedAt.Before(first) {
			first = d.SubmittedAt
		}
		if !signedAt.IsZero() {
			latencies = append(latencies, signedAt.Sub(d.SubmittedAt).Seconds())
			if signedAt.After(last) {
				last = signedAt
			}
		}
		for _, s := range []catalog.Status{catalog.Submitted, catalog.Processing, catalog.Assembled, catalog.Signed} {
			if moves[string(s)] > 1 {
				r.Doubled.Moves++
				r.problem("dossier %s moved to %s %d times", code, s, moves[string(s)])
			}
		}
		pages, err := cat.Pages(ctx, code)
		if err != nil {
			return fmt.Errorf("check dossier %s: %w", code, err)
		}
		if len(pages) != c.perDossier {
			r.Doubled.CatalogPages++
			r.problem("dossier %s has %d pages in the catalog, %d were uploaded", code, len(pages), c.perDossier)
		}
		for _, p := range pages {
			r.Pages++
			if n := processed[p.Position]; n > 1 {
				r.Doubled.PagesProcessed++
				r.problem("page %d of %s processed %d times", p.Position, code, n)
			}
			if p.Position > len(st.sums[i]) || p.SHA256 != st.sums[i][p.Position-1] {
				r.Doubled.CatalogPages++
				r.problem("page %d of %s is %s in the catalog, not the scan uploaded there", p.Position, code, p.SHA256)
			}
		}
	}
	r.Lost = r.Submitted - r.Signed
	r.QueueWait = seconds(waits)
	r.SubmitToSigned = seconds(latencies)
	r.PageStages = seconds(busy)
	r.StageMeanMS = map[string]float64{}
	for s, t := range stageTotal {
		r.StageMeanMS[s] = t * 1000 / float64(max(len(busy), 1))
	}
	if !first.IsZero() && last.After(first) {
		r.WallSeconds = last.Sub(first).Seconds()
		pages := float64(r.Signed * c.perDossier)
		r.PagesPerMin = pages / last.Sub(first).Minutes()
		r.PagesPerMinPerCore = r.PagesPerMin / float64(c.cores)
	}
	for _, name := range c.workerNames {
		r.PagesByWorker = append(r.PagesByWorker, workerPages{Name: name, Pages: perWorker[name]})
	}
	return nil
}

// stageSeconds sums the page stages' times a processed event records,
// adding each stage's to byStage.
func stageSeconds(detail map[string]any, byStage map[string]float64) float64 {
	total := 0.0
	frames, _ := detail["ms"].([]any)
	for _, f := range frames {
		m, _ := f.(map[string]any)
		for _, s := range pageStages {
			v, _ := m[s].(float64)
			total += v / 1000
			byStage[s] += v / 1000
		}
	}
	return total
}

// checkStore counts what the store holds for each signed dossier: one
// signed PDF (the one the catalog names) with as many pages as were
// uploaded, a manifest naming each uploaded original once, and one page
// result per original.
func (r *report) checkStore(ctx context.Context, c config, store storage.Store, st *stations) error {
	if !c.checkPDFs {
		return nil
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	var firstErr error
	for i, code := range st.codes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			problems, err := checkSigned(ctx, store, conf, code, st.sums[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if problems != nil {
				r.PDFsChecked++
			}
			for _, p := range problems {
				r.Doubled.Store++
				r.problem("%s", p)
			}
		})
	}
	wg.Wait()
	return firstErr
}

// checkSigned returns what is wrong with dossier code's stored results, a
// non-nil empty list when nothing is, and nil when it has no signed PDF.
func checkSigned(ctx context.Context, store storage.Store, conf *model.Configuration, code string, sums []string) ([]string, error) {
	keys, err := store.List(ctx, storage.SignedPrefix(code))
	if err != nil {
		return nil, fmt.Errorf("list signed PDFs of %s: %w", code, err)
	}
	var pdfs, manifests []string
	for _, k := range keys {
		switch {
		case strings.HasSuffix(k, ".pdf"):
			pdfs = append(pdfs, k)
		case strings.HasSuffix(k, ".json"):
			manifests = append(manifests, k)
		}
	}
	if len(pdfs) == 0 {
		return nil, nil
	}
	problems := []string{}
	if len(pdfs) != 1 || len(manifests) != 1 {
		problems = append(problems, fmt.Sprintf("dossier %s: %d signed PDFs and %d manifests stored, want one each", code, len(pdfs), len(manifests)))
	}
	pdf, err := read(ctx, store, pdfs[0])
	if err != nil {
		return nil, err
	}
	n, err := api.PageCount(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, fmt.Errorf("read signed PDF of %s: %w", code, err)
	}
	if n != len(sums) {
		problems = append(problems, fmt.Sprintf("dossier %s: signed PDF has %d pages, %d were uploaded", code, n, len(sums)))
	}
	if len(manifests) > 0 {
		b, err := read(ctx, store, manifests[0])
		if err != nil {
			return nil, err
		}
		var m struct {
			Pages []struct {
				SHA256 string `json:"sha256"`
			} `json:"pages"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("read manifest of %s: %w", code, err)
		}
		var got []string
		for _, p := range m.Pages {
			got = append(got, p.SHA256)
		}
		if !slices.Equal(got, sums) {
			problems = append(problems, fmt.Sprintf("dossier %s: manifest pages %v, uploaded %v", code, short(got), short(sums)))
		}
	}
	for _, sum := range sums {
		res, err := store.List(ctx, storage.PageResultsPrefix(sum))
		if err != nil {
			return nil, fmt.Errorf("list page results of %s: %w", code, err)
		}
		n := 0
		for _, k := range res {
			if strings.HasSuffix(k, ".json") {
				n++
			}
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("dossier %s: original %s has %d stored page results, want 1", code, sum[:12], n))
		}
	}
	return problems, nil
}

func read(ctx context.Context, store storage.Store, key string) ([]byte, error) {
	rc, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return b, nil
}

func short(sums []string) []string {
	out := make([]string, len(sums))
	for i, s := range sums {
		out[i] = s[:min(12, len(s))]
	}
	return out
}

// sizes is what the catalog and the store hold at one moment.
type sizes struct {
	postgres int64
	minio    int64
	byKind   map[string]int64 // MinIO's bytes by what they are (minioKind)
}

// minioKind names what a file under MinIO's data folder belongs to, from
// its path there: bucket/key.../xl.meta and part files, keys as
// storage/layout.go names them.
func minioKind(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	switch {
	case parts[0] == ".minio.sys" && len(parts) > 1 && parts[1] == "tmp":
		// Deleted objects (confirmed uploads' staging copies) wait
		// here until MinIO frees them.
		return "MinIO tmp and trash"
	case len(parts) < 3 || strings.HasPrefix(parts[0], "."):
		return "MinIO's own"
	case parts[1] == "dossiers" && len(parts) >= 4:
		// dossiers/<code>/<kind>-<hash>.<ext>
		kind, _, _ := strings.Cut(parts[3], "-")
		return "dossier " + kind
	case parts[1] == "results":
		return "page results"
	}
	return parts[1]
}

func measureSizes(ctx context.Context, dsn, minioDir string) (sizes, error) {
	s := sizes{byKind: map[string]int64{}}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return s, fmt.Errorf("measure the catalog: %w", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&s.postgres); err != nil {
		return s, fmt.Errorf("measure the catalog: %w", err)
	}
	if minioDir != "" {
		err := filepath.WalkDir(minioDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // MinIO moves its own files about as it runs
			}
			if info, err := d.Info(); err == nil && d.Type().IsRegular() {
				// Blocks held, as du counts them.
				if st, ok := info.Sys().(*syscall.Stat_t); ok {
					s.minio += st.Blocks * 512
					rel, _ := filepath.Rel(minioDir, path)
					s.byKind[minioKind(rel)] += st.Blocks * 512
				}
			}
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("measure %s: %w", minioDir, err)
		}
	}
	return s, nil
}

// peakRSS is a process's peak resident set size in MiB (VmHWM of
// /proc/PID/status); 0 when it cannot be read.
func peakRSS(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(fs[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// pdeathsig ends apiload with this process, however it ends.
func pdeathsig() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// scraper reads /metrics every few seconds during the run, for the
// deepest the queues got.
type scraper struct {
	cancel context.CancelFunc
	done   chan struct{}
	peak   map[string]float64 // state → most tasks at once, queues summed
}

func startScraper(ctx context.Context, c config) *scraper {
	ctx, cancel := context.WithCancel(ctx)
	s := &scraper{cancel: cancel, done: make(chan struct{}), peak: map[string]float64{}}
	if c.adminToken == "" {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		client := &http.Client{Timeout: 10 * time.Second}
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			if now, err := scrapeQueue(ctx, client, c); err == nil {
				for st, n := range now {
					s.peak[st] = max(s.peak[st], n)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *scraper) stop() map[string]float64 {
	s.cancel()
	<-s.done
	return s.peak
}

// scrapeQueue reads sohoa_queue_tasks from /metrics, summed over queues.
func scrapeQueue(ctx context.Context, client *http.Client, c config) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "sohoa_queue_tasks{") {
			continue
		}
		i := strings.Index(line, `state="`)
		j := strings.LastIndexByte(line, ' ')
		if i < 0 || j < 0 {
			continue
		}
		state := line[i+len(`state="`):]
		state = state[:strings.IndexByte(state, '"')]
		n, _ := strconv.ParseFloat(line[j+1:], 64)
		out[state] += n
	}
	return out, sc.Err()
}
