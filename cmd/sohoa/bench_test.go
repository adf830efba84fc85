package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
)

// benchBase are the scans every benchmark dossier is made of: a form, a
// page skewed 12°, one upside down at 200 dpi and a PNG skewed 7°.
var benchBase = []string{"form-300.jpg", "decision-skew-12-200.jpg", "birth-upside-200.jpg", "notice-skew7-300.png"}

// uniqueScan returns the scan with a comment added (a JPEG COM segment, a
// PNG tEXt chunk): the same pixels, so the same OCR work, under a new
// SHA-256, so that no dossier reuses another's stored results.
func uniqueScan(data []byte, tag string) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		seg := []byte{0xFF, 0xFE, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(tag)+2))
		return slices.Concat(data[:2], seg, []byte(tag), data[2:])
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		body := append([]byte("tEXt"), []byte("Comment\x00"+tag)...)
		chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)-4))
		chunk = append(chunk, body...)
		chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
		ihdrEnd := 8 + 8 + 13 + 4
		return slices.Concat(data[:ihdrEnd], chunk, data[ihdrEnd:])
	}
	panic("not a JPEG or PNG")
}

// peakRSS is a process's peak resident set size in MiB (VmHWM).
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkService measures the service end to end: 50 dossiers of 4
// pages submitted at once, processed by 1 and then by 2 worker processes
// (one OCR task each), against MinIO, PostgreSQL and Redis on this
// machine. It reports pages per minute, the cost per page against the
// tesseract command's own on the same pages measured in the same run, how
// long pages waited in the queue, and each worker's peak RSS.
//
//	go test -run '^$' -bench Service -benchtime 1x -timeout 30m ./cmd/sohoa
func BenchmarkService(b *testing.B) {
	dossiers := 50
	if v, err := strconv.Atoi(os.Getenv("SOHOA_BENCH_DOSSIERS")); err == nil {
		dossiers = v
	}
	var base [][]byte
	for _, f := range benchBase {
		d, err := os.ReadFile(filepath.Join("../../testdata/scans", f))
		if err != nil {
			b.Fatal(err)
		}
		base = append(base, d)
	}
	floor := tesseractFloor(b)
	b.Logf("tesseract command: %.3f s/page (floor)", floor)

	c := newCluster(b, "s3")
	c.serve()
	var workers []*exec.Cmd
	for phase, n := range []int{1, 2} {
		for len(workers) < n {
			workers = append(workers, c.worker(fmt.Sprintf("worker-%d", len(workers)+1)))
		}
		codes := make([]string, dossiers)
		for i := range codes {
			codes[i] = c.create("desk")
			for p, d := range base {
				data := uniqueScan(d, fmt.Sprintf("%s page %d", codes[i], p+1))
				if st := c.uploadBytes(codes[i], p+1, data, data, contentTypes[filepath.Ext(benchBase[p])]); st != http.StatusOK {
					b.Fatalf("confirm: %d", st)
				}
			}
		}
		start := time.Now()
		var wg sync.WaitGroup
		for _, code := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
					b.Errorf("submit %s: %d", code, st)
				}
			}()
		}
		wg.Wait()
		for _, code := range codes {
			if d := c.wait(code, 30*time.Minute); d.Status != "signed" {
				b.Fatalf("%s ended %s", code, d.Status)
			}
		}
		wall := time.Since(start)
		pages := dossiers * len(base)
		waits, latencies, busies := queueWaits(b, c, codes)
		stages := 0.0
		for _, x := range busies {
			stages += x
		}
		stages /= float64(len(busies))
		perPage := wall.Seconds() / float64(pages)
		prefix := fmt.Sprintf("%dw-", n)
		b.ReportMetric(float64(pages)/wall.Minutes(), prefix+"pages/min")
		b.ReportMetric(perPage*float64(n), prefix+"worker-s/page")
		b.ReportMetric(perPage*float64(n)/floor, prefix+"cost/tesseract")
		b.ReportMetric(stages, prefix+"page-stages-s")
		b.ReportMetric(pct(waits, 50), prefix+"queue-wait-p50-s")
		b.ReportMetric(pct(waits, 95), prefix+"queue-wait-p95-s")
		b.ReportMetric(pct(latencies, 50), prefix+"dossier-p50-s")
		var rss []string
		for i, w := range workers {
			mb := peakRSS(w.Process.Pid)
			rss = append(rss, fmt.Sprintf("worker-%d %.0f MiB", i+1, mb))
			b.ReportMetric(mb, fmt.Sprintf("%dw-worker%d-peak-MiB", n, i+1))
		}
		b.Logf("phase %d: %d workers, %d pages in %.1f s: %.1f pages/min, %.3f worker-s/page = %.2f × tesseract (page stages %.3f s); queue wait p50 %.1f s p95 %.1f s; dossier p50 %.1f s; peak RSS %s",
			phase+1, n, pages, wall.Seconds(), float64(pages)/wall.Minutes(), perPage*float64(n), perPage*float64(n)/floor, stages,
			pct(waits, 50), pct(waits, 95), pct(latencies, 50), strings.Join(rss, ", "))
	}
}

// tesseractFloor is the tesseract command's seconds per page on the base
// scans, one page at a time on one thread, best of three rounds.
func tesseractFloor(b *testing.B) float64 {
	best := 0.0
	for range 3 {
		start := time.Now()
		for _, f := range benchBase {
			cmd := exec.Command("tesseract", filepath.Join("../../testdata/scans", f), "-", "-l", "vie")
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("tesseract %s: %v\n%s", f, err, out)
			}
		}
		s := time.Since(start).Seconds() / float64(len(benchBase))
		if best == 0 || s < best {
			best = s
		}
	}
	return best
}

// queueWaits reads from the catalog how long each page waited between its
// dossier's submission and a worker starting on it (processed time less
// the stage times the worker recorded), and each dossier's time from
// submission to signature.
func queueWaits(b *testing.B, c *cluster, codes []string) (waits, latencies, busies []float64) {
	ctx := context.Background()
	for _, code := range codes {
		evs, err := c.catalog.Events(ctx, code)
		if err != nil {
			b.Fatal(err)
		}
		var submitted time.Time
		for _, e := range evs {
			switch {
			case e.Page == 0 && e.To == string(catalog.Submitted):
				submitted = e.At
			case e.Page == 0 && e.To == string(catalog.Signed):
				latencies = append(latencies, e.At.Sub(submitted).Seconds())
			case e.To == string(catalog.PageProcessed):
				busy := 0.0
				if ms, ok := e.Detail["ms"].([]any); ok {
					for _, m := range ms {
						for _, v := range m.(map[string]any) {
							busy += v.(float64) / 1000
						}
					}
				}
				waits = append(waits, e.At.Sub(submitted).Seconds()-busy)
				busies = append(busies, busy)
			}
		}
	}
	return waits, latencies, busies
}

func pct(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
