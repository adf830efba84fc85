package station

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStationNaturalOrder(t *testing.T) {
	names := []string{"scan10.jpg", "scan2.jpg", "Scan1.jpg", "scan02b.jpg", "a.pdf", "scan1.tif", "z"}
	slices.SortFunc(names, naturalCompare)
	want := []string{"a.pdf", "Scan1.jpg", "scan1.tif", "scan2.jpg", "scan02b.jpg", "scan10.jpg", "z"}
	if !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

// TestStationStability: a file the scanner is still writing is not
// taken while it grows, nor once it stops growing while incomplete (a
// JPEG without its end marker); it is taken once whole and settled.
func TestStationStability(t *testing.T) {
	jpeg, err := os.ReadFile("../testdata/scans/form-300.jpg")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scan1.jpg")
	s := stability{settle: 200 * time.Millisecond, files: map[string]seen{}}
	check := func(now time.Time) bool {
		t.Helper()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return s.stable(path, info, now)
	}
	now := time.Now()
	for i, n := range []int{100, 5000, len(jpeg) / 2} {
		if err := os.WriteFile(path, jpeg[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if check(now) {
			t.Fatalf("step %d: a growing file (%d bytes) was taken", i, n)
		}
		now = now.Add(50 * time.Millisecond)
	}
	// Half a JPEG, unchanged for much longer than settle: still not
	// whole.
	if check(now.Add(time.Second)) {
		t.Fatal("half a JPEG was taken once it stopped changing")
	}
	if err := os.WriteFile(path, jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, now, now.Add(time.Second))
	if check(now.Add(2 * time.Second)) {
		t.Fatal("a file that changed just now was taken")
	}
	if !check(now.Add(3 * time.Second)) {
		t.Fatal("a whole JPEG unchanged for longer than settle was not taken")
	}
	for _, bad := range []struct{ name, data string }{{"x.pdf", "%PDF-1.7\n1 0 obj"}, {"x.png", "\x89PNG\r\n\x1a\n"}, {"x.tif", "II*\x00"}} {
		p := filepath.Join(t.TempDir(), bad.name)
		os.WriteFile(p, []byte(bad.data), 0o644)
		if complete(p) == nil {
			t.Errorf("%s cut short counts as complete", bad.name)
		}
	}
	for _, good := range []string{"scanner-2p.pdf", "receipt-150.png", "household-3p-300.tif"} {
		if err := complete(filepath.Join("../testdata/scans", good)); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}

// TestStationQueue: positions are given once, in order, and survive
// closing and reopening the queue file; a second scan of the same bytes
// in a folder is a duplicate with no position; a second agent on the
// same file is refused.
func TestStationQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := openQueue(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.enqueue(fileRec{Folder: "a", Name: "1.jpg", SHA256: "s1"}); err == nil {
		t.Error("a file of a folder with no record was queued")
	}
	if _, err := q.updateFolder("a", func(f *folderRec) error { f.Next = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	r1, err := q.enqueue(fileRec{Folder: "a", Name: "1.jpg", SHA256: "s1"})
	if err != nil || r1.Position != 3 || r1.State != stateQueued {
		t.Fatalf("first file: %+v %v, want position 3 queued", r1, err)
	}
	if _, err := openQueue(path); err == nil {
		t.Error("a second agent opened the queue file in use")
	}
	q.Close()
	if q, err = openQueue(path); err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r2, _ := q.enqueue(fileRec{Folder: "a", Name: "2.jpg", SHA256: "s2"})
	dup, _ := q.enqueue(fileRec{Folder: "a", Name: "3.jpg", SHA256: "s1"})
	r4, _ := q.enqueue(fileRec{Folder: "a", Name: "4.jpg", SHA256: "s4"})
	other, _ := q.enqueue(fileRec{Folder: "b", Name: "1.jpg", SHA256: "s1"})
	if r2.Position != 4 || dup.State != stateDuplicate || dup.Position != 0 || dup.DuplicateOf != "1.jpg" || r4.Position != 5 {
		t.Errorf("after reopening: %+v, %+v, %+v", r2, dup, r4)
	}
	if other.State != "" {
		t.Errorf("file of an unknown folder: %+v", other)
	}
	files, err := q.files("a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if want := []string{"1.jpg", "2.jpg", "4.jpg", "3.jpg"}; !slices.Equal(names, want) {
		t.Errorf("files of a: %v, want %v", names, want)
	}
}

// TestStationConfig: options from a config file, the command line
// winning, and refusals that name the bad option.
func TestStationConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "station.conf")
	os.WriteFile(conf, []byte("# station at desk 2\nserver = http://127.0.0.1:1\nwatch = "+dir+"\nprocedure = 1.000894 # birth\nqueue = bulk\n"), 0o644)
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("sohoa_abc\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string // "" : starts
	}{
		{[]string{"--config", conf, "--token-file", tok}, ""},
		{[]string{"--config", conf, "--token-file", tok, "--queue", "fast"}, `queue "fast": want desk or bulk`},
		{[]string{"--config", conf}, "token: an API token of role operator is required"},
		{[]string{"--config", conf, "--token-file", tok, "--server", "ftp://x"}, `server "ftp://x": want an http or https URL`},
		{[]string{"--config", conf, "--token-file", tok, "--watch", filepath.Join(dir, "none")}, "not a folder"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		t.Setenv("SOHOA_TOKEN", "")
		err := Command(ctx, "sohoa-station", tc.args, io.Discard, io.Discard)
		cancel()
		var ue *UsageError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want a usage error saying %q", tc.args, err, tc.want)
		}
	}
	os.WriteFile(conf, []byte("colour = blue\n"), 0o644)
	if err := Command(context.Background(), "x", []string{"--config", conf}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), `no option "colour"`) {
		t.Errorf("unknown option in the config file: %v", err)
	}
	if err := Command(context.Background(), "x", []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestStationSubmitMarker(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{{"SUBMIT", true}, {"submit.txt", true}, {"SUBMIT.TXT", true}, {"SUBMITTED", false}, {"scan1.jpg", false}} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, tc.name), nil, 0o644)
		if got := submitMarked(dir); got != tc.want {
			t.Errorf("%s: marked %v, want %v", tc.name, got, tc.want)
		}
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "SUBMIT"), 0o755)
	if submitMarked(dir) {
		t.Error("a folder named SUBMIT counts as the marker")
	}
}

// What the operator types submits: Enter the dossier the sheets are
// filling, "nộp NAME" a folder's; a name that is no folder, or that
// climbs out of the watched folder, submits nothing.
func TestKeysSubmit(t *testing.T) {
	watch := t.TempDir()
	q, err := openQueue(filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var out strings.Builder
	a := &agent{cfg: Config{Watch: watch, Out: &out}, q: q, told: map[string]bool{}}
	for _, d := range []string{"UBND-261126-0001", "UBND-261126-0002", "hoso-ba"} {
		if err := os.Mkdir(filepath.Join(watch, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.putStream(streamRec{Code: "UBND-261126-0002"}); err != nil {
		t.Fatal(err)
	}
	a.keys(context.Background(), strings.NewReader("\nnộp hoso-ba\nsubmit ../x\nnộp khong-co\nxyz\n"))
	for dir, want := range map[string]bool{"UBND-261126-0001": false, "UBND-261126-0002": true, "hoso-ba": true} {
		if got := submitMarked(filepath.Join(watch, dir)); got != want {
			t.Errorf("%s marked %v, want %v\n%s", dir, got, want, out.String())
		}
	}
	for _, said := range []string{`"../x" is no folder`, "no folder khong-co", `typed "xyz"`} {
		if !strings.Contains(out.String(), said) {
			t.Errorf("did not say %q:\n%s", said, out.String())
		}
	}
}
