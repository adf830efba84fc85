package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/storagetest"
)

var storagetestRun = storagetest.Run

func scan(t *testing.T, content []byte) (key, h string) {
	t.Helper()
	sum := sha256.Sum256(content)
	h = hex.EncodeToString(sum[:])
	key, err := storage.OriginalKey(h)
	if err != nil {
		t.Fatal(err)
	}
	return key, h
}

// TestPresignPut checks against MinIO that the signature pins length, type
// and bytes, and that a presigned upload goes to its dossier's staging key,
// never to the write-once originals.
func TestPresignPut(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := []byte("JPEG bytes from a station scanner")
	orig, h := scan(t, content)
	key, err := storage.StagingKey("UBND-XA-01-250101-0001", h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.PresignPut(ctx, key, int64(len(content)), "image/jpeg", h, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	do := func(body []byte, edit func(http.Header)) int {
		t.Helper()
		req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = p.Header.Clone()
		req.Header.Del("Content-Length") // net/http sends req.ContentLength
		if edit != nil {
			edit(req.Header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%d %s", resp.StatusCode, bytes.TrimSpace(b))
		return resp.StatusCode
	}
	longer := append(bytes.Clone(content), '!')
	forged := bytes.Clone(content)
	forged[0] = 'X'
	refused := []struct {
		name string
		body []byte
		edit func(http.Header)
	}{
		{"longer body", longer, nil},
		{"other content type", content, func(h http.Header) { h.Set("Content-Type", "application/pdf") }},
		{"same length, other bytes", forged, nil},
		{"checksum dropped", content, func(h http.Header) { h.Del("X-Amz-Checksum-Sha256") }},
	}
	for _, tt := range refused {
		if code := do(tt.body, tt.edit); code < 400 {
			t.Errorf("%s: upload accepted (%d), want refused", tt.name, code)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: Stat after refused upload = %v, want ErrNotFound", tt.name, err)
		}
	}
	if code := do(content, nil); code != http.StatusOK {
		t.Fatalf("upload as signed: %d, want 200", code)
	}
	info, err := s.Stat(ctx, key)
	if err != nil || info.SHA256 != h || !info.RetainUntil.IsZero() {
		t.Fatalf("Stat after presigned upload = %+v, %v; want hash, no retention", info, err)
	}
	if _, err := s.Stat(ctx, orig); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(original) after a presigned upload = %v, want ErrNotFound: uploads are staged", err)
	}
	// A resumed station sending the same bytes again changes nothing.
	if code := do(content, nil); code != http.StatusOK {
		t.Errorf("second upload with the same URL: %d, want 200", code)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete staged upload = %v", err)
	}
	for _, k := range []string{"derived/x", orig} {
		if _, err := s.PresignPut(ctx, k, 1, "image/jpeg", h, time.Minute); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("PresignPut(%s) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := s.PresignPut(ctx, key, 1, "image/jpeg", hex.EncodeToString(make([]byte, 32)), time.Minute); !errors.Is(err, storage.ErrHashMismatch) {
		t.Errorf("PresignPut(other hash) = %v, want ErrHashMismatch", err)
	}
}

// TestRetentionExpires: with a 2-second compliance retention, MinIO refuses
// the delete until it passes, then allows it.
func TestRetentionExpires(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, 2*time.Second)
	content := []byte("short-lived original")
	key, _ := scan(t, content)
	if err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrRetained) {
		t.Fatalf("Delete within retention = %v, want ErrRetained", err)
	}
	time.Sleep(3 * time.Second)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete after retention = %v", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat after delete = %v, want ErrNotFound", err)
	}
}
