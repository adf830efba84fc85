package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJSONLogs: with SOHOA_LOG_FORMAT=json every line the worker logs is
// a JSON object, and a dossier's work can be followed in them by its code
// and page: each page read, then the dossier signed.
func TestJSONLogs(t *testing.T) {
	c := newCluster(t, "local")
	c.env = append(c.env, "SOHOA_LOG_FORMAT=json")
	c.serve()
	c.worker("worker-json")
	files := []string{"form-300.jpg", "receipt-150.png"}
	code := c.submitDossier(files)
	if d := c.wait(code, 3*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier ended %s", d.Status)
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "worker-json.log"))
	if err != nil {
		t.Fatal(err)
	}
	read := map[float64]bool{}
	signed := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte("=== start")) || len(bytes.TrimSpace(line)) == 0 {
			continue // the harness's own marker
		}
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("worker log line is not JSON: %q: %v", line, err)
		}
		if rec["dossier"] != code {
			continue
		}
		switch rec["msg"] {
		case "page read":
			p, _ := rec["page"].(float64)
			read[p] = true
		case "dossier signed":
			signed = true
			if rec["pages"] != float64(len(files)) {
				t.Errorf("dossier signed with %v pages, want %d", rec["pages"], len(files))
			}
		}
	}
	for i := range files {
		if !read[float64(i+1)] {
			t.Errorf("no \"page read\" record for dossier %s page %d:\n%s", code, i+1, tail(b, 3000))
		}
	}
	if !signed {
		t.Errorf("no \"dossier signed\" record for %s:\n%s", code, tail(b, 3000))
	}
}
