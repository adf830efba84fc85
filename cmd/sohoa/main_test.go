package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sohoa builds the command once per test binary.
func sohoa(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sohoa")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestIngestCommand runs the command as an operator would: a bad file
// among good ones makes it exit 1 naming the file, after writing the
// dossier of the good pages and saying where it is.
func TestIngestCommand(t *testing.T) {
	bin := sohoa(t)
	out := t.TempDir()
	cmd := exec.Command(bin, "ingest", "--out", out, "--code", "HS-CLI-1",
		"../../testdata/bad/truncated.jpg", "../../testdata/scans/receipt-150.png", "../../testdata/scans/blank-300.jpg")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"truncated.jpg", "corrupt or truncated"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	for _, want := range []string{filepath.Join(out, "HS-CLI-1.pdf"), "blank page", "below 200 dpi"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not say %q:\n%s", want, stdout.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "HS-CLI-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Pages  []struct{ Source string }
		Failed []struct{ Source, Error string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Pages) != 2 || len(m.Failed) != 1 || m.Failed[0].Source != "truncated.jpg" {
		t.Errorf("manifest: %d pages, failed %+v", len(m.Pages), m.Failed)
	}
}

func TestUsageErrors(t *testing.T) {
	bin := sohoa(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"ingest", "--code", "X", "a.jpg"}, "--out is required"},
		{[]string{"ingest", "--out", "o", "a.jpg"}, "--code is required"},
		{[]string{"ingest", "--out", "o", "--code", "../x", "a.jpg"}, "letters, digits"},
		{[]string{"ingest", "--out", "o", "--code", "X", "--lang", "klingon", "a.jpg"}, "klingon"},
		{[]string{"ingest", "--out", "o", "--code", "X"}, "no INPUT"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: want exit 2, got %v", tc.args, err)
		}
		if !strings.Contains(string(out), tc.says) {
			t.Errorf("%v: output does not say %q:\n%s", tc.args, tc.says, out)
		}
	}
	help, err := exec.Command(bin, "help", "ingest").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-out", "-code", "-lang", "-jobs", "-max-pixels", "-quiet", "normalize", "assemble"} {
		if !strings.Contains(string(help), flag) {
			t.Errorf("help ingest does not mention %s", flag)
		}
	}
}
