package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestImagesFlag: compact is the default, --images original keeps
// the scan's own encoding, anything else is a usage error.
func TestIngestImagesFlag(t *testing.T) {
	bin := sohoa(t)
	choice := func(args ...string) (string, int, int) {
		t.Helper()
		out := t.TempDir()
		cmd := exec.Command(bin, append(append([]string{"ingest", "--quiet", "--no-sign", "--out", out, "--code", "HS-IMG-1"}, args...),
			"../../testdata/scans/receipt-150.png")...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sohoa ingest %v: %v\n%s", args, err, b)
		}
		b, err := os.ReadFile(filepath.Join(out, "HS-IMG-1.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Pages []struct {
				Image struct {
					Choice        string `json:"choice"`
					Bytes         int    `json:"bytes"`
					OriginalBytes int    `json:"original_bytes"`
				} `json:"image"`
			} `json:"pages"`
		}
		if err := json.Unmarshal(b, &m); err != nil || len(m.Pages) != 1 {
			t.Fatalf("manifest: %v, %d pages", err, len(m.Pages))
		}
		im := m.Pages[0].Image
		return im.Choice, im.Bytes, im.OriginalBytes
	}
	if c, n, orig := choice(); c != "mrc" || n >= orig {
		t.Errorf("default: %q, %d bytes of the original's %d; want smaller layers (mrc)", c, n, orig)
	}
	if c, n, orig := choice("--images", "original"); c != "original" || n != orig {
		t.Errorf("--images original: %q, %d bytes of the original's %d", c, n, orig)
	}
	cmd := exec.Command(bin, "ingest", "--no-sign", "--out", t.TempDir(), "--code", "HS-IMG-2", "--images", "lossy",
		"../../testdata/scans/receipt-150.png")
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(b), "images") {
		t.Errorf("--images lossy: %v, want a usage error (exit 2)\n%s", err, b)
	}
}
