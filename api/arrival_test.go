package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// TestWarningsOnArrival: a blank page and one scanned below 200 dpi are
// told as the page is confirmed, before any worker has seen it, so that
// the operator re-scans while the citizen is at the desk; a good page has
// no warning.
func TestWarningsOnArrival(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	res := e.do(t, "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894"}, "")
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var d struct {
		Code  string
		Pages []struct {
			Position int
			Warnings []string
		}
	}
	if err := json.Unmarshal(res.body, &d); err != nil {
		t.Fatal(err)
	}
	files := []struct{ file, ctype, want string }{
		{"form-300.jpg", "image/jpeg", ""},
		{"blank-300.jpg", "image/jpeg", "blank page"},
		{"receipt-150.png", "image/png", "scanned at 150 dpi, below 200 dpi"},
	}
	for i, f := range files {
		page, err := os.ReadFile("../testdata/scans/" + f.file)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha(page)
		res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/uploads", op, map[string]any{"sha256": sum, "size": len(page), "content_type": f.ctype}, "")
		var up struct{ Upload *storage.Presigned }
		if err := json.Unmarshal(res.body, &up); err != nil || up.Upload == nil {
			t.Fatalf("upload %s: %d %s", f.file, res.status, res.body)
		}
		if res = e.do(t, "PUT", up.Upload.URL, "", page, up.Upload.Header.Get("Content-Type")); res.status != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", f.file, res.status, res.body)
		}
		if res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/pages", op, map[string]any{"position": i + 1, "sha256": sum}, ""); res.status != http.StatusOK {
			t.Fatalf("confirm %s: %d %s", f.file, res.status, res.body)
		}
	}
	if err := json.Unmarshal(res.body, &d); err != nil || len(d.Pages) != len(files) {
		t.Fatalf("dossier after confirms: %s", res.body)
	}
	for i, f := range files {
		got := strings.Join(d.Pages[i].Warnings, "; ")
		if f.want == "" && got != "" || f.want != "" && !strings.Contains(got, f.want) {
			t.Errorf("%s: warnings %q, want %q", f.file, got, f.want)
		}
	}
}
