package api

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/queue"
)

// metrics keeps request counts and latencies for /metrics, in the
// Prometheus text format (small enough not to need a client library).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // route, status code
	latency  map[string]*histogram
}

// latencyBuckets are upper bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, latency: map[string]*histogram{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP sohoa_http_requests_total API requests by route and status code.")
	fmt.Fprintln(w, "# TYPE sohoa_http_requests_total counter")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(a[0], b[0])
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		fmt.Fprintf(w, "sohoa_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP sohoa_http_request_duration_seconds API request latency by route.")
	fmt.Fprintln(w, "# TYPE sohoa_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "sohoa_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", r, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "sohoa_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(w, "sohoa_http_request_duration_seconds_sum{route=%q} %g\n", r, h.sum)
		fmt.Fprintf(w, "sohoa_http_request_duration_seconds_count{route=%q} %d\n", r, h.n)
	}
}

// serveMetrics writes request metrics, queue depths and the work in
// progress by stage.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *catalog.Token) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.metrics.write(w)
	if in := s.cfg.Inspector; in != nil {
		fmt.Fprintln(w, "# HELP sohoa_queue_tasks Tasks in each work queue by state.")
		fmt.Fprintln(w, "# TYPE sohoa_queue_tasks gauge")
		for _, q := range []string{catalog.QueueDesk, catalog.QueueBulk, queue.QueueFinish} {
			info, err := in.GetQueueInfo(q)
			if err != nil {
				continue // a queue nothing was ever put on does not exist yet
			}
			for _, st := range []struct {
				name string
				n    int
			}{{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled}, {"retry", info.Retry}, {"archived", info.Archived}} {
				fmt.Fprintf(w, "sohoa_queue_tasks{queue=%q,state=%q} %d\n", q, st.name, st.n)
			}
		}
	}
	dossiers, pages, err := s.cfg.Catalog.Counts(r.Context())
	if err != nil {
		s.cfg.Log.Error("metrics: counts", "err", err)
		return
	}
	fmt.Fprintln(w, "# HELP sohoa_dossiers Dossiers by status.")
	fmt.Fprintln(w, "# TYPE sohoa_dossiers gauge")
	for _, st := range sortedKeys(dossiers) {
		fmt.Fprintf(w, "sohoa_dossiers{status=%q} %d\n", st, dossiers[st])
	}
	fmt.Fprintln(w, "# HELP sohoa_pages Pages by the stage that last moved them and their status.")
	fmt.Fprintln(w, "# TYPE sohoa_pages gauge")
	pk := make([][2]string, 0, len(pages))
	for k := range pages {
		pk = append(pk, k)
	}
	slices.SortFunc(pk, func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	for _, k := range pk {
		fmt.Fprintf(w, "sohoa_pages{stage=%q,status=%q} %d\n", k[0], k[1], pages[k])
	}
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
