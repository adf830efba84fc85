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
		// The agent may die before it has made the dossier (on a busy
		// machine, the first start's), and makes it at the next start.
		added := false
		if m := regexp.MustCompile(`k: new dossier (\S+)`).FindStringSubmatch(s.log()); m != nil {
			_, err := c.catalog.Page(context.Background(), m[1], i+1)
			added = err == nil
		}
		if !added && len(b) > 16<<20 {
			midFile++
		}
		t.Logf("kill %d (page %d added before it: %v), last said: %s", i+1, i+1, added, lastLine(s.log()))
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

// printSheet prints a separator sheet with `sohoa station sheet` and
// "scans" it: poppler renders the PDF at dpi, grey, as JPEG (PNG when
// ext is .png), the file a scanner would write.
func (s *stationRun) printSheet(code string, end bool, dpi int, ext string) []byte {
	t := s.c.t
	t.Helper()
	dir := t.TempDir()
	pdf := filepath.Join(dir, "sheet.pdf")
	args := []string{"station", "sheet", code, "--out", pdf}
	if end {
		args = append(args, "--end")
	}
	if out, err := exec.Command(s.c.bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("sohoa %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	format := "-jpeg"
	if ext == ".png" {
		format = "-png"
	}
	out := filepath.Join(dir, "scan")
	if b, err := exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-gray", format, "-singlefile", pdf, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm (poppler) renders the sheet: %v\n%s", err, b)
	}
	if ext == ".jpeg" {
		ext = ".jpg"
	}
	b, err := os.ReadFile(out + ext)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStationSeparatorSheets: a scanner fed a stack of two dossiers
// writes one stream of files into the watched folder itself: [page with
// no sheet, sheet A, p1, p2, sheet B, p3, end sheet B]. The agent sends
// p1 and p2 to A, p3 to B, and submits B; the sheets are not sent, and
// the page before any sheet is left where it was. The agent is killed
// mid-stream and started again.
func TestStationSeparatorSheets(t *testing.T) {
	c := newCluster(t, "local")
	c.serve()
	c.worker("worker-a")
	codeA, codeB := c.create("desk"), c.create("desk")
	s := newStation(c, "300ms")
	sheetA := s.printSheet(codeA, false, 200, ".jpg")
	sheetB := s.printSheet(codeB, false, 300, ".png")
	endB := s.printSheet(codeB, true, 150, ".jpg")
	s.start()

	form, receipt, birth, blank := scanFile(t, "form-300.jpg"), scanFile(t, "receipt-150.png"),
		scanFile(t, "birth-upside-200.jpg"), scanFile(t, "blank-300.jpg")
	stream := []struct {
		name string
		data []byte
	}{
		{"img0.jpg", blank}, {"img1.jpg", sheetA}, {"img2.jpg", form}, {"img3.png", receipt},
		{"img4.png", sheetB}, {"img5.jpg", birth}, {"img6.jpg", endB},
	}
	for i, f := range stream {
		s.drop("", f.name, f.data)
		time.Sleep(100 * time.Millisecond) // a scanner's pace, roughly
		if i == 2 {
			// Killed once p1 is sorted in, the agent still knows, when
			// started again, that the next pages go to A.
			s.waitLog(`img2.jpg sorted in`, 30*time.Second)
			agent := c.procs["station"]
			agent.Process.Signal(syscall.SIGKILL)
			agent.Wait()
			s.start()
		}
	}
	s.waitLog(regexp.QuoteMeta(codeB)+`: signed`, 3*time.Minute)
	s.waitLog(regexp.QuoteMeta(codeA)+`.*2/2 pages sent`, 30*time.Second)

	c.checkStationPages(codeA, form, receipt)
	c.checkStationPages(codeB, birth)
	c.checkOnce(codeB, 1)
	var d apiDossier
	if st := c.call("GET", "/v1/dossiers/"+codeA, nil, &d); st != 200 || (d.Status != "uploading" && d.Status != "created") {
		t.Errorf("dossier A: status %d, %s; want it still open (no end sheet)", st, d.Status)
	}
	if n := c.counter(stagedPUTs); n != 3 {
		t.Errorf("%d page uploads stored, want 3 (no sheet, no page without a sheet)", n)
	}
	if n := c.counter(created); n != 2 {
		t.Errorf("%d dossiers created, want the 2 opened at the desk: the sheets join them", n)
	}
	if _, err := os.Stat(filepath.Join(s.watch, "img0.jpg")); err != nil {
		t.Errorf("the page with no sheet before it is not left where it was: %v", err)
	}
	aside, _ := os.ReadDir(filepath.Join(s.watch, ".sohoa-sheets"))
	if len(aside) != 3 {
		t.Errorf("%d sheets put aside, want 3", len(aside))
	}
	log := s.log()
	for _, want := range []string{"img0.jpg: no separator sheet before it",
		"img1.jpg: separator sheet of " + codeA, "img6.jpg: end sheet of " + codeB,
		codeB + ": submitted, 1 pages"} {
		if !strings.Contains(log, want) {
			t.Errorf("the station's log lacks %q:\n%s", want, log)
		}
	}
	t.Logf("the station's log:\n%s", log)
}
