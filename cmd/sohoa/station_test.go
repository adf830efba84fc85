package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
)

// stationRun is a `sohoa station` agent watching a folder of the
// cluster's test directory, as on a scanner PC.
type stationRun struct {
	c                    *cluster
	watch, db, tokenFile string
	settle               string
}

func newStation(c *cluster, settle string) *stationRun {
	s := &stationRun{c: c, watch: filepath.Join(c.dir, "scans"), db: filepath.Join(c.dir, "station.db"),
		tokenFile: filepath.Join(c.dir, "operator.token"), settle: settle}
	if err := os.MkdirAll(s.watch, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(s.tokenFile, []byte(c.tokens["operator"]+"\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return s
}

func (s *stationRun) start() *exec.Cmd {
	return s.c.start("station", "watching", "station", "--server", s.c.api, "--token-file", s.tokenFile,
		"--watch", s.watch, "--db", s.db, "--procedure", "1.000894", "--settle", s.settle, "--poll", "100ms",
		"--min-backoff", "100ms", "--max-backoff", "1s")
}

func (s *stationRun) log() string {
	b, _ := os.ReadFile(filepath.Join(s.c.dir, "station.log"))
	return string(b)
}

// waitLog waits until the agent's log matches re and returns the match's
// groups.
func (s *stationRun) waitLog(re string, limit time.Duration) []string {
	s.c.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(limit)
	for {
		if m := rx.FindStringSubmatch(s.log()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			s.c.t.Fatalf("the station's log did not show %q within %v:\n%s", re, limit, tail([]byte(s.log()), 4000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drop writes a page file into a sub-folder of the watched folder.
func (s *stationRun) drop(folder, name string, data []byte) {
	s.c.t.Helper()
	dir := filepath.Join(s.watch, folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		s.c.t.Fatal(err)
	}
}

func scanFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/scans", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkStationPages asserts that the dossier's pages are the given files'
// bytes, in that order, each added to the catalog once.
func (c *cluster) checkStationPages(code string, files ...[]byte) {
	c.t.Helper()
	ps, err := c.catalog.Pages(context.Background(), code)
	if err != nil {
		c.t.Fatal(err)
	}
	slices.SortFunc(ps, func(a, b catalog.Page) int { return a.Position - b.Position })
	var got, want []string
	for _, p := range ps {
		got = append(got, p.SHA256[:12])
	}
	for _, f := range files {
		want = append(want, sha256hex(f)[:12])
	}
	if !slices.Equal(got, want) {
		c.t.Errorf("dossier %s pages (by position) %v, want %v", code, got, want)
	}
	added := map[int]int{}
	for _, e := range c.events(code) {
		if e.Page > 0 && e.From == "" && e.To == string(catalog.PageUploaded) {
			added[e.Page]++
		}
	}
	for _, p := range ps {
		if added[p.Position] != 1 {
			c.t.Errorf("page %d of %s was added %d times, want once (added %v)", p.Position, code, added[p.Position], added)
		}
	}
}

// counter reads one counter of the service's /metrics.
func (c *cluster) counter(series string) int {
	c.t.Helper()
	for _, line := range strings.Split(string(c.as("admin").get(c.t.(*testing.T), "/metrics")), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

const (
	stagedPUTs = `sohoa_http_requests_total{route="PUT /v1/uploads/{code}/{sha256}",code="201"}`
	created    = `sohoa_http_requests_total{route="POST /v1/dossiers",code="201"}`
)

// TestStationHappyPath: pages dropped into a sub-folder end as a signed
// dossier with the pages in name order (scan10 after scan2); a file still
// being written, which pauses half-written for longer than the settle
// time, is not taken until whole; a scan dropped twice is sent once; the
// page warnings the workers find are shown.
func TestStationHappyPath(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	s := newStation(c, "700ms")
	s.start()

	form, receipt, birth := scanFile(t, "form-300.jpg"), scanFile(t, "receipt-150.png"), scanFile(t, "birth-upside-200.jpg")
	s.drop("desk-1", "scan1.jpg", form)
	s.drop("desk-1", "scan2.png", receipt)
	code := s.waitLog(`desk-1: new dossier (\S+)`, 30*time.Second)[1]
	s.waitLog(`scan2.png queued as page 2`, 30*time.Second)
	s.drop("desk-1", "scan3.jpg", form) // the operator scanned the form twice
	// The scanner writes scan10 in two goes, with a pause of three
	// settle times between.
	s.drop("desk-1", "scan10.jpg", birth[:len(birth)/2])
	time.Sleep(2500 * time.Millisecond)
	if strings.Contains(s.log(), "scan10.jpg queued") {
		t.Fatal("half-written scan10.jpg was taken")
	}
	f, err := os.OpenFile(filepath.Join(s.watch, "desk-1", "scan10.jpg"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(birth[len(birth)/2:])
	f.Close()
	s.drop("desk-1", "SUBMIT", nil)
	s.waitLog(regexp.QuoteMeta(code)+`: signed`, 3*time.Minute)

	c.checkStationPages(code, form, receipt, birth)
	c.checkOnce(code, 3)
	log := s.log()
	for _, want := range []string{"scan3.jpg is the same scan as scan1.jpg", "scan10.jpg queued as page 3",
		code + ": WARNING page 2: scanned at 150 dpi", "[####################] 3/3 pages sent"} {
		if !strings.Contains(log, want) {
			t.Errorf("the station's log lacks %q:\n%s", want, log)
		}
	}
	if n := c.counter(stagedPUTs); n != 3 {
		t.Errorf("%d page uploads stored, want 3 (the duplicate scan not sent)", n)
	}
}

// TestStationServerDown: the service dies in the middle of a page upload
// and comes back a while later: the agent queues the scans that arrive
// meanwhile, retries with backoff and finishes, pages in order, each
// added once. The folder is named
// after a dossier opened at the desk with one page already: the agent
// adds its pages after it.
func TestStationServerDown(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	code := c.create("desk")
	if st := c.upload(code, 1, "../../testdata/scans/receipt-150.png"); st != 200 {
		t.Fatalf("first page at the desk: %d", st)
	}
	s := newStation(c, "500ms")
	s.start()
	form, household := scanFile(t, "form-300.jpg"), scanFile(t, "household-3p-300.tif")
	notice := uniqueScan(scanFile(t, "notice-skew7-300.png"), strings.Repeat("x", 24<<20))
	s.drop(code, "a1.jpg", form)
	s.waitLog(regexp.QuoteMeta(code)+`.*1/1 pages sent`, 30*time.Second)

	// The service dies (SIGKILL: no graceful end) while a large page is
	// on its way in.
	s.drop(code, "a2.png", notice)
	if !receiving(filepath.Join(c.dir, "store", "tmp"), 30*time.Second) {
		t.Fatal("page 3 was never seen arriving")
	}
	serve := c.procs["serve"]
	serve.Process.Signal(syscall.SIGKILL)
	serve.Wait()
	s.drop(code, "a3.tif", household)
	s.drop(code, "SUBMIT", nil)
	s.waitLog(`page 3 \(a2.png\).*retrying`, 30*time.Second)
	// The agent queues what the scanner writes while the service is
	// away.
	s.waitLog(`a3.tif queued as page 4`, 30*time.Second)
	time.Sleep(3 * time.Second) // a few retries, backing off
	c.serve()
	s.waitLog(regexp.QuoteMeta(code)+`: signed`, 4*time.Minute)

	receipt := scanFile(t, "receipt-150.png")
	c.checkStationPages(code, receipt, form, notice, household)
	c.checkOnce(code, 4)
	t.Logf("the station's log:\n%s", s.log())
}

// TestStationKilled: the agent killed with SIGKILL again and again at
// random moments while pages arrive (two of them large, sent over
// several hundred milliseconds) and started again each time: nothing is
// lost, no page is stored or added twice, the order is kept.
func TestStationKilled(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	s := newStation(c, "300ms")
	var files [][]byte
	for i, name := range []string{"form-300.jpg", "notice-skew7-300.png", "decision-skew-12-200.jpg", "receipt-150.png", "birth-upside-200.jpg"} {
		b := scanFile(t, name)
		if i == 1 || i == 3 {
			b = uniqueScan(b, strings.Repeat("x", 24<<20)) // over --multipart-above
		}
		files = append(files, b)
	}
	if err := os.MkdirAll(filepath.Join(s.watch, "k"), 0o755); err != nil {
		t.Fatal(err)
	}
	midFile := 0
	for i, b := range files {
		p := s.start()
		name := fmt.Sprintf("p%d%s", i+1, map[bool]string{true: ".png", false: ".jpg"}[b[0] == 0x89])
		s.drop("k", name, b)
		if len(b) > 16<<20 {
			// Killed while the service is receiving the large page's
			// bytes: its store is writing them to a temporary file.
			if !receiving(filepath.Join(c.dir, "store", "tmp"), 30*time.Second) {
				t.Fatalf("page %d was never seen arriving", i+1)
			}
		} else {
			time.Sleep(time.Duration(400+rand.IntN(800)) * time.Millisecond)
		}
		p.Process.Kill()
		p.Wait()
		_, err := c.catalog.Page(context.Background(), s.code(), i+1)
		if err != nil && len(b) > 16<<20 {
			midFile++
		}
		t.Logf("kill %d (page %d added before it: %v), last said: %s", i+1, i+1, err == nil, lastLine(s.log()))
	}
	if midFile == 0 {
		t.Fatal("neither large page was still on its way when the agent was killed: the test tested nothing")
	}
	s.start()
	s.drop("k", "Submit.txt", nil) // as Explorer's "New text document" makes it
	code := s.code()
	s.waitLog(regexp.QuoteMeta(code)+`: signed`, 4*time.Minute)

	c.checkStationPages(code, files...)
	c.checkOnce(code, len(files))
	if n := c.counter(stagedPUTs); n != len(files) {
		t.Errorf("%d page uploads stored for %d pages", n, len(files))
	}
	// The one window left: killed between the service's answer to
	// "create" and the agent's write of the code.
	t.Logf("dossiers created: %d", c.counter(created))
}

// receiving waits until a local store's tmp folder holds a new file of
// more than 2 MiB being written (a large page on its way in), and reports
// whether one was seen.
func receiving(tmp string, limit time.Duration) bool {
	// One left by an earlier, cut upload does not count.
	old := map[string]bool{}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		old[e.Name()] = true
	}
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !old[e.Name()] && strings.HasPrefix(e.Name(), "put-") && info.Size() > 2<<20 {
				return true
			}
		}
	}
	return false
}

// code is the dossier the agent created for folder k.
func (s *stationRun) code() string {
	s.c.t.Helper()
	return s.waitLog(`k: new dossier (\S+)`, 30*time.Second)[1]
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestStationMultipartResume: with MinIO, a large page goes in parts; the
// agent killed after a part went through asks, when started again, which
// parts the store holds and sends only the others: no part is sent
// twice, and the page is added once.
func TestStationMultipartResume(t *testing.T) {
	c := newCluster(t, "s3")
	c.serve()
	c.worker("worker-a")
	s := newStation(c, "300ms")
	big := uniqueScan(scanFile(t, "notice-skew7-300.png"), strings.Repeat("x", 30<<20)) // four 8 MiB parts
	form := scanFile(t, "form-300.jpg")
	p := s.start()
	s.drop("k", "p1.png", big)
	s.waitLog(`page 1 \(p1.png\) part \d/4 sent`, 30*time.Second)
	p.Process.Kill()
	p.Wait()
	before := strings.Count(s.log(), "(p1.png) part ")
	t.Logf("killed after: %s", lastLine(s.log()))
	s.start()
	s.drop("k", "p2.jpg", form)
	s.drop("k", "SUBMIT", nil)
	code := s.code()
	s.waitLog(regexp.QuoteMeta(code)+`: signed`, 4*time.Minute)

	c.checkStationPages(code, big, form)
	c.checkOnce(code, 2)
	log := s.log()
	m := regexp.MustCompile(`page 1 \(p1.png\) resumed: (\d) of 4 parts held`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("the agent did not resume the upload:\n%s", log)
	}
	// A part may have arrived in the instant between its answer and the
	// kill, unlogged: the store holds at least the parts logged.
	if held, _ := strconv.Atoi(m[1]); held < before || held == 4 {
		t.Errorf("resumed with %d parts held, %d sent before the kill", held, before)
	}
	for n := 1; n <= 4; n++ {
		if k := strings.Count(log, fmt.Sprintf("(p1.png) part %d/4 sent", n)); k > 1 {
			t.Errorf("part %d sent %d times, want once", n, k)
		}
	}
}
