package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
)

type partsAnswer struct {
	Key       string `json:"key"`
	Exists    bool   `json:"exists"`
	Multipart struct {
		Key      string `json:"key"`
		UploadID string `json:"upload_id"`
		PartSize int64  `json:"part_size"`
		Parts    int    `json:"parts"`
	} `json:"multipart"`
	Uploaded []struct{ Number int } `json:"uploaded"`
	Missing  []struct {
		Number int               `json:"number"`
		Upload storage.Presigned `json:"upload"`
	} `json:"missing"`
}

// putPart sends part n of data to its presigned URL, or only its first
// cut bytes, as a link that drops mid-part does.
func putPart(t *testing.T, a partsAnswer, data []byte, i, cut int) {
	t.Helper()
	m := a.Multipart
	n := a.Missing[i].Number
	part := data[int64(n-1)*m.PartSize : min(int64(len(data)), int64(n)*m.PartSize)]
	body := io.Reader(bytes.NewReader(part))
	if cut > 0 {
		body = io.LimitReader(body, int64(cut))
	}
	req, _ := http.NewRequest(a.Missing[i].Upload.Method, a.Missing[i].Upload.URL, body)
	for k, v := range a.Missing[i].Upload.Header {
		req.Header[k] = v
	}
	req.ContentLength = int64(len(part))
	resp, err := http.DefaultClient.Do(req)
	if cut > 0 {
		if err == nil && resp.StatusCode < 300 {
			t.Fatalf("a part cut short was accepted: %s", resp.Status)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT part %d: %s", n, resp.Status)
	}
}

// TestServiceMultipartResume: a large page uploaded in parts over a link
// that drops: the station asks what arrived, sends only the rest,
// completes, confirms, and the dossier is processed and signed. Parts
// whose bytes do not match the declared hash store nothing.
func TestServiceMultipartResume(t *testing.T) {
	c := newCluster(t, "s3")
	c.serve()
	c.worker("worker-a")
	code := c.create("desk")

	// A 300-dpi PNG scan grown past one 8 MiB part by a text chunk: the
	// same page to OCR, two parts to upload.
	scanPNG, err := os.ReadFile("../../testdata/scans/notice-skew7-300.png")
	if err != nil {
		t.Fatal(err)
	}
	data := uniqueScan(scanPNG, strings.Repeat("x", 9<<20))
	sum := sha256hex(data)

	var a partsAnswer
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads", map[string]any{"sha256": sum, "size": len(data),
		"content_type": "image/png", "multipart": true}, &a); st != http.StatusOK {
		t.Fatalf("multipart upload request: %d", st)
	}
	if a.Multipart.Parts != 2 || len(a.Missing) != 2 {
		t.Fatalf("answer %+v: want 2 parts to send", a.Multipart)
	}
	putPart(t, a, data, 0, 0)     // part 1 arrives
	putPart(t, a, data, 1, 1<<20) // part 2: the link drops after 1 MiB
	ref := map[string]any{"key": a.Multipart.Key, "upload_id": a.Multipart.UploadID}
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads/multipart/complete", ref, nil); st != http.StatusConflict {
		t.Errorf("complete with a part missing: %d, want 409", st)
	}
	// The upload belongs to its dossier: another dossier's routes know no
	// such upload (issue 9: the key and upload ID were not bound to it).
	other := c.create("desk")
	for _, op := range []string{"parts", "complete"} {
		if st := c.call("POST", "/v1/dossiers/"+other+"/uploads/multipart/"+op, ref, nil); st != http.StatusNotFound {
			t.Errorf("%s of dossier %s's upload through dossier %s: %d, want 404", op, code, other, st)
		}
	}
	var again partsAnswer
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads/multipart/parts", ref, &again); st != http.StatusOK {
		t.Fatalf("parts: %d", st)
	}
	if len(again.Uploaded) != 1 || len(again.Missing) != 1 || again.Missing[0].Number != 2 {
		t.Fatalf("after the drop: uploaded %v, missing %d parts; want part 1 held, part 2 missing", again.Uploaded, len(again.Missing))
	}
	putPart(t, again, data, 0, 0)
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads/multipart/complete", ref, nil); st != http.StatusNoContent {
		t.Fatalf("complete: %d", st)
	}
	if _, err := c.store.Stat(context.Background(), originalKey(t, sum)); err == nil {
		t.Error("the completed upload is an original before the page was confirmed")
	}
	if st := c.call("POST", "/v1/dossiers/"+code+"/pages", map[string]any{"position": 1, "sha256": sum}, nil); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}
	info, err := c.store.Stat(context.Background(), originalKey(t, sum))
	if err != nil || info.Size != int64(len(data)) || info.SHA256 != sum || info.RetainUntil.IsZero() {
		t.Errorf("original after multipart: %+v, %v", info, err)
	}

	// Parts with other bytes than declared: refused, nothing stored.
	forged := uniqueScan(scanPNG, strings.Repeat("y", 9<<20))
	declared := sha256hex(uniqueScan(scanPNG, strings.Repeat("z", 9<<20)))
	var f partsAnswer
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads", map[string]any{"sha256": declared, "size": len(forged),
		"content_type": "image/png", "multipart": true}, &f); st != http.StatusOK {
		t.Fatalf("multipart upload request: %d", st)
	}
	putPart(t, f, forged, 0, 0)
	putPart(t, f, forged, 1, 0)
	if st := c.call("POST", "/v1/dossiers/"+code+"/uploads/multipart/complete", map[string]any{"key": f.Multipart.Key, "upload_id": f.Multipart.UploadID}, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("complete of forged parts: %d, want 422", st)
	}
	if _, err := c.store.Stat(context.Background(), originalKey(t, declared)); err == nil {
		t.Error("forged parts were stored as an original")
	}

	if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
		t.Fatalf("submit: %d", st)
	}
	if d := c.wait(code, 3*time.Minute); d.Status != "signed" {
		t.Fatalf("dossier ended %s: %+v", d.Status, d)
	}
	c.checkOnce(code, 1)
}

// originalKey is where the original with SHA-256 sum is kept.
func originalKey(t *testing.T, sum string) string {
	t.Helper()
	k, err := storage.OriginalKey(sum)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
