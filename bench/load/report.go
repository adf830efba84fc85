package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is what one run measured.
type report struct {
	Dossiers        int     `json:"dossiers"`
	PagesPerDossier int     `json:"pages_per_dossier"`
	PoolPages       int     `json:"pool_pages"` // distinct scans the pages are drawn from
	Stations        int     `json:"stations"`
	ArrivalPerMin   float64 `json:"arrival_per_min"` // 0: as fast as the stations upload
	Workers         int     `json:"workers"`
	WorkerCores     int     `json:"worker_cores"`

	PushSeconds float64     `json:"push_s"` // creating excluded: uploads and submits
	Uploads     uploadStats `json:"uploads"`
	WaitEnded   time.Time   `json:"wait_ended"`

	NotSubmitted int `json:"not_submitted"`
	Submitted    int `json:"submitted"`
	Signed       int `json:"signed"`
	Failed       int `json:"failed"`
	Lost         int `json:"lost"` // submitted, not signed (failed or stuck)
	Pages        int `json:"pages"`
	Doubled      struct {
		Moves          int `json:"moves"`           // a dossier moved to a status twice (signed twice, ...)
		PagesProcessed int `json:"pages_processed"` // a page processed twice
		CatalogPages   int `json:"catalog_pages"`   // a dossier with other pages than uploaded
		Store          int `json:"store"`           // PDFs, manifests or results not one each, or a PDF's page count off
	} `json:"doubled"`
	PDFsChecked int `json:"pdfs_checked"`

	WallSeconds        float64            `json:"wall_s"` // first submission to last signature
	PagesPerMin        float64            `json:"pages_per_min"`
	PagesPerMinPerCore float64            `json:"pages_per_min_per_core"`
	PagesByWorker      []workerPages      `json:"pages_by_worker"`
	PageStages         percentiles        `json:"page_stages_s"` // a worker's busy time on one page
	StageMeanMS        map[string]float64 `json:"stage_mean_ms"` // each page stage, over the pages processed
	QueueWait          percentiles        `json:"queue_wait_s"`
	SubmitToSigned     percentiles        `json:"submit_to_signed_s"`
	QueuePeak          map[string]float64 `json:"queue_peak"`
	WorkerPeakRSS      []workerRSS        `json:"worker_peak_rss"`

	Postgres storageSize `json:"postgres"`
	MinIO    storageSize `json:"minio"`
	// MinIOByKind is the growth of each kind of object, per 1,000
	// dossiers: originals, page results, dossier PDFs, MinIO's own.
	MinIOByKind map[string]float64 `json:"minio_by_kind_per_1000_dossiers_mib"`

	API *apiReport `json:"api,omitempty"`

	Problems []string `json:"problems,omitempty"` // the first 50
	Failures []string `json:"failures,omitempty"`
}

type workerPages struct {
	Name  string `json:"name"`
	Pages int    `json:"pages"`
}

type workerRSS struct {
	Name    string  `json:"name"`
	PeakMiB float64 `json:"peak_mib"`
}

type storageSize struct {
	BeforeMiB  float64 `json:"before_mib"`
	AfterMiB   float64 `json:"after_mib"`
	Per1000MiB float64 `json:"per_1000_dossiers_mib"` // growth, scaled
}

// apiReport is the part of bench/apiload's JSON report used here.
type apiReport struct {
	PlannedRate  float64                       `json:"planned_rate"`
	AchievedRate float64                       `json:"achieved_rate"`
	Seconds      float64                       `json:"seconds"`
	Latency      apiLatency                    `json:"latency"` // from each request's planned send time
	Service      apiLatency                    `json:"service"` // from its actual send
	ByKind       map[string]map[string]float64 `json:"by_kind"`
	ErrorSamples []string                      `json:"error_samples,omitempty"`
	Failures     []string                      `json:"failures,omitempty"`
}

type apiLatency struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// percentiles of a sample, nearest rank.
type percentiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func seconds(xs []float64) percentiles {
	p := percentiles{N: len(xs)}
	if len(xs) == 0 {
		return p
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) float64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	p.P50, p.P90, p.P99, p.Max = at(0.50), at(0.90), at(0.99), s[len(s)-1]
	for _, x := range s {
		p.Mean += x
	}
	p.Mean /= float64(len(s))
	return p
}

func durations(ds []time.Duration, unit time.Duration) percentiles {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d) / float64(unit)
	}
	return seconds(xs)
}

// problem notes one thing wrong, keeping the first 50 for the report.
func (r *report) problem(format string, args ...any) {
	if len(r.Problems) < 50 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func (r *report) sizes(before, after sizes) {
	const mib = 1 << 20
	scale := 1000 / float64(r.Dossiers)
	r.Postgres = storageSize{float64(before.postgres) / mib, float64(after.postgres) / mib, float64(after.postgres-before.postgres) / mib * scale}
	r.MinIO = storageSize{float64(before.minio) / mib, float64(after.minio) / mib, float64(after.minio-before.minio) / mib * scale}
	r.MinIOByKind = map[string]float64{}
	for k, n := range after.byKind {
		if d := float64(n-before.byKind[k]) / mib * scale; d >= 0.05 {
			r.MinIOByKind[k] = d
		}
	}
}

func (r *report) doubled() int {
	d := r.Doubled
	return d.Moves + d.PagesProcessed + d.CatalogPages + d.Store
}

// judge turns what must not happen into failures.
func (r *report) judge(c config) {
	if r.NotSubmitted > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d dossiers were never submitted", r.NotSubmitted))
	}
	if r.Lost > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d of %d submitted dossiers not signed (%d failed)", r.Lost, r.Submitted, r.Failed))
	}
	if n := r.doubled(); n > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d things doubled", n))
	}
	if c.checkPDFs && r.PDFsChecked != r.Signed {
		r.Failures = append(r.Failures, fmt.Sprintf("%d signed PDFs found in the store, %d dossiers signed", r.PDFsChecked, r.Signed))
	}
}

func (r *report) markdown(w io.Writer) {
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "| %s | %s |\n", k, fmt.Sprintf(format, args...)) }
	pct := func(p percentiles, unit string) string {
		return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f %s", p.P50, p.P90, p.P99, p.Max, unit)
	}
	fmt.Fprintln(w, "| measure | value |")
	fmt.Fprintln(w, "| --- | --- |")
	arrival := "as fast as the stations upload"
	if r.ArrivalPerMin > 0 {
		arrival = fmt.Sprintf("%.1f dossiers/min", r.ArrivalPerMin)
	}
	row("load", "%d dossiers × %d pages (drawn from %d scans, each page's bytes unique), %d stations, %s; %d workers, %d cores",
		r.Dossiers, r.PagesPerDossier, r.PoolPages, r.Stations, arrival, r.Workers, r.WorkerCores)
	row("submitted / signed / failed", "%d / %d / %d", r.Submitted, r.Signed, r.Failed)
	row("lost (submitted, never signed)", "%d", r.Lost)
	row("doubled (status moved twice, page processed twice, pages ≠ uploaded, store ≠ one PDF/manifest/result)", "%d (%d / %d / %d / %d; %d signed PDFs read back)",
		r.doubled(), r.Doubled.Moves, r.Doubled.PagesProcessed, r.Doubled.CatalogPages, r.Doubled.Store, r.PDFsChecked)
	row("upload a page (declare, PUT, confirm) p50 / p90 / p99 / max", "%s (%d pages, %.0f MiB, %d 429s waited out)", pct(r.Uploads.Page, "ms"), r.Uploads.Pages, r.Uploads.MiB, r.Uploads.Throttled)
	row("push (upload and submit all)", "%.1f s", r.PushSeconds)
	row("first submission to last signature", "%.1f s", r.WallSeconds)
	row("pages/min, overall", "%.1f", r.PagesPerMin)
	row("pages/min per worker core", "%.1f", r.PagesPerMinPerCore)
	var byWorker []string
	for _, p := range r.PagesByWorker {
		byWorker = append(byWorker, fmt.Sprintf("%s %d", p.Name, p.Pages))
	}
	if len(byWorker) > 0 {
		row("pages by worker", "%s", strings.Join(byWorker, ", "))
	}
	row("page stages, worker s/page (mean; p50 / p90 / p99 / max)", "%.2f; %s", r.PageStages.Mean, pct(r.PageStages, "s"))
	var stages []string
	for _, s := range pageStages {
		if ms, ok := r.StageMeanMS[s]; ok {
			stages = append(stages, fmt.Sprintf("%s %.0f", s, ms))
		}
	}
	if len(stages) > 0 {
		row("page stages, mean ms", "%s", strings.Join(stages, ", "))
	}
	row("queue wait p50 / p90 / p99 / max", "%s", pct(r.QueueWait, "s"))
	row("submit → signed p50 / p90 / p99 / max", "%s", pct(r.SubmitToSigned, "s"))
	if len(r.QueuePeak) > 0 {
		row("queue peak (tasks, /metrics every 5 s)", "pending %.0f, active %.0f, retry %.0f, archived %.0f",
			r.QueuePeak["pending"], r.QueuePeak["active"], r.QueuePeak["retry"], r.QueuePeak["archived"])
	}
	var rss []string
	for _, x := range r.WorkerPeakRSS {
		rss = append(rss, fmt.Sprintf("%s %.0f MiB", x.Name, x.PeakMiB))
	}
	if len(rss) > 0 {
		row("worker peak RSS (VmHWM)", "%s", strings.Join(rss, ", "))
	}
	row("PostgreSQL database", "%.1f → %.1f MiB; %.1f MiB per 1,000 dossiers", r.Postgres.BeforeMiB, r.Postgres.AfterMiB, r.Postgres.Per1000MiB)
	row("MinIO data", "%.1f → %.1f MiB; %.1f MiB per 1,000 dossiers, %.1f MiB of it kept (deleted staging copies in MinIO's trash left out)",
		r.MinIO.BeforeMiB, r.MinIO.AfterMiB, r.MinIO.Per1000MiB, r.MinIO.Per1000MiB-r.MinIOByKind["MinIO tmp and trash"])
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(r.MinIOByKind)) {
		kinds = append(kinds, fmt.Sprintf("%s %.0f", k, r.MinIOByKind[k]))
	}
	if len(kinds) > 0 {
		row("MinIO per 1,000 dossiers by kind, MiB", "%s", strings.Join(kinds, ", "))
	}
	if a := r.API; a != nil {
		row("API load", "%.1f req/s achieved of %g over %.0f s, %d errors of %d", a.AchievedRate, a.PlannedRate, a.Seconds, a.Latency.Errors, a.Latency.Requests)
		row("API latency from planned send p50 / p90 / p99 / max", "%.1f / %.1f / %.1f / %.1f ms", a.Latency.P50, a.Latency.P90, a.Latency.P99, a.Latency.Max)
		row("API latency from actual send p50 / p90 / p99 / max", "%.1f / %.1f / %.1f / %.1f ms", a.Service.P50, a.Service.P90, a.Service.P99, a.Service.Max)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "\nproblem:", p)
	}
}
