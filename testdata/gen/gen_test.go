package main

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

// The committed fixtures agree with their catalog: every page decodes at
// the size and resolution catalogued, and every truth file is NFC text.
func TestCommittedFixtures(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "scans", "catalog.json")); err != nil {
		t.Skip("no fixtures generated yet:", err)
	}
	if err := scanset.Check(filepath.Join(root, "scans")); err != nil {
		t.Error(err)
	}
	if bad, err := os.ReadFile(filepath.Join(root, "bad", "truncated.jpg")); err != nil {
		t.Error(err)
	} else if _, err := jpeg.Decode(bytes.NewReader(bad)); err == nil {
		t.Error("bad/truncated.jpg decodes; it should be cut short")
	}
}

// Generated sets never go into the fixtures' folder, and the fixtures only
// there.
func TestRunRefuses(t *testing.T) {
	for _, c := range []struct {
		root    string
		n, hard int
		want    string
	}{
		{"..", 5, 0, "other than the fixtures' root"},
		{"..", 0, 2, "other than the fixtures' root"},
		{t.TempDir(), 0, 0, "run from the module root"},
		{t.TempDir(), 2, 2, "give one"},
		{t.TempDir(), -1, 0, "negative"},
	} {
		err := run(c.root, c.n, c.hard, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%s, -n %d, -hard %d): %v, want an error saying %q", c.root, c.n, c.hard, err, c.want)
		}
	}
}
