// Command apiload measures the API under the load stations and the
// workflow system put on it between uploads: status polling of single
// dossiers (GET /v1/dossiers/{code}) and the ready listing
// (GET /v1/dossiers?status=ready&limit=50), at a fixed rate.
//
//	go run ./bench/apiload -url http://127.0.0.1:8080 -codes CODE1,CODE2 \
//	    [-operator-token T] [-workflow-token T] [-rate 500] [-duration 30s]
//
// With -duration 0 it sends until it gets SIGINT or SIGTERM, then waits
// for the answers in flight and reports: that is how bench/load keeps the
// API busy for as long as its dossiers take. -codes-file reads the codes
// from a file, one per line, for more than a command line holds.
//
// The schedule is open-loop: request i is due at start + i/rate whether or
// not earlier ones were answered, and its latency is counted from that due
// time, so a slow server shows as latency (queueing included) rather than
// as a lower rate the client quietly settled for. Enough workers run that
// none is waited for at the planned rate unless latency exceeds
// concurrency/rate; connections are kept alive and reused.
//
// It prints the achieved rate, the errors (transport errors and non-2xx
// answers), and latency p50/p90/p99/max overall and per request kind, and
// exits 1 on any error or when the achieved rate falls more than 2 % short
// of the planned one. bench/apiload/run.sh sets up a server to run it
// against.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The request kinds, by what a real client polls for.
const (
	kindPoll = "poll" // a station following one dossier
	kindList = "list" // the workflow system looking for ready dossiers
)

// shortfall is how far the achieved rate may fall below the planned one.
const shortfall = 0.02

type config struct {
	url           string
	operatorToken string
	workflowToken string
	codes         []string
	rate          float64
	duration      time.Duration
	listShare     float64
	concurrency   int
	timeout       time.Duration
	jsonOut       bool
}

// job is one planned request.
type job struct {
	n   int
	due time.Time
}

// sample is what became of one request. It is kept small: a run until
// stopped holds one for every request of half an hour or more.
type sample struct {
	list    bool          // the ready listing; else a status poll
	latency time.Duration // from its due time to the end of the answer
	service time.Duration // from the moment it was sent
	err     string        // empty when it succeeded
}

func (s sample) kind() string {
	if s.list {
		return kindList
	}
	return kindPoll
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(2)
	}
	// A signal ends the schedule (the only end of a run without a
	// duration); the report covers what was sent until then.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	rep := run(cfg, stop)
	if cfg.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(os.Stdout)
	}
	if len(rep.Failures) > 0 {
		for _, f := range rep.Failures {
			fmt.Fprintln(os.Stderr, "apiload: FAIL:", f)
		}
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string) (config, error) {
	var c config
	var codes, codesFile string
	fs := flag.NewFlagSet("apiload", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", envOr("SOHOA_APILOAD_URL", "http://127.0.0.1:8080"), "base URL of a running sohoa serve ($SOHOA_APILOAD_URL)")
	fs.StringVar(&c.operatorToken, "operator-token", os.Getenv("SOHOA_OPERATOR_TOKEN"), "operator token for status polling; the dossiers must be its office's ($SOHOA_OPERATOR_TOKEN)")
	fs.StringVar(&c.workflowToken, "workflow-token", os.Getenv("SOHOA_WORKFLOW_TOKEN"), "workflow token for the ready listing ($SOHOA_WORKFLOW_TOKEN)")
	fs.StringVar(&codes, "codes", os.Getenv("SOHOA_APILOAD_CODES"), "comma-separated dossier codes to poll ($SOHOA_APILOAD_CODES)")
	fs.StringVar(&codesFile, "codes-file", "", "file of more dossier codes to poll, one per line")
	fs.Float64Var(&c.rate, "rate", 500, "requests per second")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to send; 0: until SIGINT or SIGTERM")
	fs.Float64Var(&c.listShare, "list-share", 0.2, "share of requests that are the ready listing; the rest poll dossiers")
	fs.IntVar(&c.concurrency, "concurrency", 256, "requests in flight at most (and connections kept)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "time limit of one request")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.url = strings.TrimSuffix(c.url, "/")
	if codesFile != "" {
		b, err := os.ReadFile(codesFile)
		if err != nil {
			return c, fmt.Errorf("-codes-file: %w", err)
		}
		codes += "," + strings.ReplaceAll(string(b), "\n", ",")
	}
	for _, s := range strings.Split(codes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.codes = append(c.codes, s)
		}
	}
	switch {
	case !strings.HasPrefix(c.url, "http://") && !strings.HasPrefix(c.url, "https://"):
		return c, fmt.Errorf("-url %q: want http://host:port", c.url)
	case c.rate <= 0 || c.rate > 100000:
		return c, fmt.Errorf("-rate %g: want more than 0, at most 100000", c.rate)
	case c.duration < 0:
		return c, fmt.Errorf("-duration %v: want 0 (until stopped) or more", c.duration)
	case c.listShare < 0 || c.listShare > 1:
		return c, fmt.Errorf("-list-share %g: want 0 to 1", c.listShare)
	case c.concurrency < 1:
		return c, fmt.Errorf("-concurrency %d: want at least 1", c.concurrency)
	case c.listShare < 1 && (len(c.codes) == 0 || c.operatorToken == ""):
		return c, errors.New("polling needs -codes (SOHOA_APILOAD_CODES) or -codes-file, and -operator-token (SOHOA_OPERATOR_TOKEN)")
	case c.listShare > 0 && c.workflowToken == "":
		return c, errors.New("the listing needs -workflow-token (SOHOA_WORKFLOW_TOKEN)")
	}
	return c, nil
}

// kindOf spreads the listings evenly: request n is one when it carries
// the running count of listings past a whole number.
func (c config) kindOf(n int) string {
	if int(float64(n+1)*c.listShare) > int(float64(n)*c.listShare) {
		return kindList
	}
	return kindPoll
}

// run sends on schedule until the duration is over or, without one, until
// stop delivers, and reports.
func run(c config, stop <-chan os.Signal) report {
	client := &http.Client{
		Timeout: c.timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        c.concurrency,
			MaxIdleConnsPerHost: c.concurrency, // the default, 2, would close and redial under load
			IdleConnTimeout:     90 * time.Second,
		},
	}
	total := int(c.rate * c.duration.Seconds()) // 0: until stopped
	// The queue of due requests never blocks the schedule with a
	// duration; without one it holds a minute's worth, past which the
	// workers are so far behind that the schedule's lag says so.
	jobs := make(chan job, max(total, int(c.rate*60)))
	// Each worker keeps its own samples, merged at the end.
	perWorker := make([][]sample, c.concurrency)
	ends := make([]time.Time, c.concurrency)
	var wg sync.WaitGroup
	for w := range c.concurrency {
		wg.Go(func() {
			for j := range jobs {
				perWorker[w] = append(perWorker[w], c.send(client, j))
				ends[w] = time.Now()
			}
		})
	}
	start := time.Now().Add(50 * time.Millisecond)
	interval := float64(time.Second) / c.rate
	var lag time.Duration // worst lateness of the schedule itself
	timer := time.NewTimer(0)
	<-timer.C
schedule:
	for n := 0; total == 0 || n < total; n++ {
		due := start.Add(time.Duration(float64(n) * interval))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-stop:
				break schedule
			}
		} else if -d > lag {
			lag = -d
		}
		select {
		case jobs <- job{n: n, due: due}:
		case <-stop:
			break schedule
		}
	}
	close(jobs)
	wg.Wait()
	end := start
	var samples []sample
	for w, ss := range perWorker {
		samples = append(samples, ss...)
		if ends[w].After(end) {
			end = ends[w]
		}
	}
	return summarize(c, start, end, samples, lag)
}

// send makes request j and reads its answer to the end, so that the
// connection goes back to the pool.
func (c config) send(client *http.Client, j job) sample {
	s := sample{list: c.kindOf(j.n) == kindList}
	var url, token string
	if s.list {
		url, token = c.url+"/v1/dossiers?status=ready&limit=50", c.workflowToken
	} else {
		url, token = c.url+"/v1/dossiers/"+c.codes[j.n%len(c.codes)], c.operatorToken
	}
	sent := time.Now()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err == nil {
		req.Header.Set("Authorization", "Bearer "+token)
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
				err = fmt.Errorf("%s", resp.Status)
			}
		}
	}
	done := time.Now()
	s.latency, s.service = done.Sub(j.due), done.Sub(sent)
	if err != nil {
		s.err = fmt.Sprintf("%s %s: %v", s.kind(), strings.TrimPrefix(url, c.url), err)
	}
	return s
}

// latencies are percentiles in milliseconds.
type latencies struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

type report struct {
	URL          string               `json:"url"`
	PlannedRate  float64              `json:"planned_rate"`
	AchievedRate float64              `json:"achieved_rate"`
	Seconds      float64              `json:"seconds"`
	Concurrency  int                  `json:"concurrency"`
	ScheduleLag  float64              `json:"schedule_lag_ms"` // worst lateness of a send, the client's own
	Latency      latencies            `json:"latency"`         // from the due time
	Service      latencies            `json:"service"`         // from the actual send
	ByKind       map[string]latencies `json:"by_kind"`
	ErrorSamples []string             `json:"error_samples,omitempty"`
	Failures     []string             `json:"failures,omitempty"`
}

func summarize(c config, start, end time.Time, samples []sample, lag time.Duration) report {
	r := report{URL: c.url, PlannedRate: c.rate, Concurrency: c.concurrency, ScheduleLag: ms(lag), ByKind: map[string]latencies{}}
	var all, svc []time.Duration
	kinds := map[string][]time.Duration{}
	kindErrs := map[string]int{}
	errs := 0
	for _, s := range samples {
		all = append(all, s.latency)
		svc = append(svc, s.service)
		kinds[s.kind()] = append(kinds[s.kind()], s.latency)
		if s.err != "" {
			errs++
			kindErrs[s.kind()]++
			if len(r.ErrorSamples) < 10 {
				r.ErrorSamples = append(r.ErrorSamples, s.err)
			}
		}
	}
	// The rate is over the span from the first due time to the last
	// answer: answers that trail behind the schedule lower it. A run cut
	// short by a signal is measured over the time it ran.
	r.Seconds = end.Sub(start).Seconds()
	if planned := time.Duration(float64(len(samples)) / c.rate * float64(time.Second)); planned > end.Sub(start) {
		r.Seconds = planned.Seconds()
	}
	r.AchievedRate = float64(len(samples)-errs) / r.Seconds
	r.Latency, r.Service = percentiles(all, errs), percentiles(svc, errs)
	for k, ds := range kinds {
		r.ByKind[k] = percentiles(ds, kindErrs[k])
	}
	if errs > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d of %d requests failed", errs, len(samples)))
	}
	if r.AchievedRate < c.rate*(1-shortfall) {
		r.Failures = append(r.Failures, fmt.Sprintf("achieved %.1f requests/s, more than %.0f %% short of %g", r.AchievedRate, shortfall*100, c.rate))
	}
	return r
}

func percentiles(ds []time.Duration, errs int) latencies {
	l := latencies{Requests: len(ds), Errors: errs}
	if len(ds) == 0 {
		return l
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	at := func(p float64) float64 { return ms(ds[min(len(ds)-1, int(p*float64(len(ds))))]) }
	l.P50, l.P90, l.P99, l.Max = at(0.50), at(0.90), at(0.99), ms(ds[len(ds)-1])
	return l
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "target        %s, %d workers\n", r.URL, r.Concurrency)
	fmt.Fprintf(w, "rate          %.1f requests/s achieved of %g planned, over %.2f s\n", r.AchievedRate, r.PlannedRate, r.Seconds)
	fmt.Fprintf(w, "errors        %d of %d\n", r.Latency.Errors, r.Latency.Requests)
	fmt.Fprintf(w, "schedule lag  %.2f ms at worst (the client's own lateness)\n", r.ScheduleLag)
	fmt.Fprintf(w, "%-13s %8s %8s %9s %9s %9s %9s\n", "latency (ms)", "requests", "errors", "p50", "p90", "p99", "max")
	line := func(name string, l latencies) {
		fmt.Fprintf(w, "%-13s %8d %8d %9.2f %9.2f %9.2f %9.2f\n", name, l.Requests, l.Errors, l.P50, l.P90, l.P99, l.Max)
	}
	line("all", r.Latency)
	for _, k := range []string{kindPoll, kindList} {
		if l, ok := r.ByKind[k]; ok {
			line(k, l)
		}
	}
	line("all, service", r.Service)
	for _, e := range r.ErrorSamples {
		fmt.Fprintln(w, "error:", e)
	}
}
