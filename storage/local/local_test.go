package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/storagetest"
)

// TestConformance runs the shared suite on a store whose upload URLs lead
// to a server that hands them to ServeUpload, as sohoa serve does.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		var s *Store
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := s.ServeUpload(w, r); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}))
		t.Cleanup(srv.Close)
		secret := make([]byte, 32)
		rand.Read(secret)
		s, err := Open(t.TempDir(), Options{Retention: storage.RetentionYears(10), UploadURL: srv.URL + "/v1/uploads", URLSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestUploadOptions: upload URLs need both a URL and a secret long enough
// to be unguessable; a store opened without them signs nothing and
// answers no upload.
func TestUploadOptions(t *testing.T) {
	long := make([]byte, 32)
	for _, o := range []Options{
		{UploadURL: "http://127.0.0.1:8080/v1/uploads/"},
		{UploadURL: "http://127.0.0.1:8080/v1/uploads/", URLSecret: long[:31]},
		{URLSecret: long},
		{UploadURL: "/v1/uploads/", URLSecret: long},
		{UploadURL: "http://127.0.0.1:8080/v1/uploads/?x=1", URLSecret: long},
	} {
		if _, err := Open(t.TempDir(), o); err == nil {
			t.Errorf("Open(%q, %d-byte secret) succeeded, want refused", o.UploadURL, len(o.URLSecret))
		}
	}
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := storage.StagingKey("HS-1", strings.Repeat("ab", 32))
	if _, err := s.PresignPut(context.Background(), key, 1, "image/png", strings.Repeat("ab", 32), time.Minute); err == nil {
		t.Error("PresignPut without upload options succeeded")
	}
	w := httptest.NewRecorder()
	if err := s.ServeUpload(w, httptest.NewRequest("PUT", "/v1/uploads/HS-1/"+strings.Repeat("ab", 32), strings.NewReader("x"))); err != nil || w.Code != http.StatusNotFound {
		t.Errorf("ServeUpload without upload options: %d, %v; want 404", w.Code, err)
	}
}

// TestRetentionExpires moves the clock past the retention and checks that
// the original can then be deleted; and that nothing is left in tmp/.
func TestRetentionExpires(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, err := Open(dir, Options{Retention: storage.RetentionYears(10), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("scan")
	sum := sha256.Sum256(content)
	key, _ := storage.OriginalKey(hex.EncodeToString(sum[:]))
	if err := s.Put(ctx, key, bytes.NewReader(content), 4, ""); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(ctx, key)
	if err != nil || !info.RetainUntil.Equal(now.Add(storage.RetentionYears(10))) {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	now = now.AddDate(9, 11, 0)
	if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrRetained) {
		t.Fatalf("Delete after 9y11m = %v, want ErrRetained", err)
	}
	now = now.AddDate(0, 2, 0)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete after retention = %v", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat after delete = %v", err)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Errorf("tmp/ holds %d files after puts", len(left))
	}
}

// TestMissingSidecar: an original whose sidecar was lost (crash between link
// and sidecar write) is still retained, counted from its mtime.
func TestMissingSidecar(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("scan")
	sum := sha256.Sum256(content)
	key, _ := storage.OriginalKey(hex.EncodeToString(sum[:]))
	if err := s.Put(ctx, key, bytes.NewReader(content), 4, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.metaPath(key)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrRetained) {
		t.Fatalf("Delete without sidecar = %v, want ErrRetained", err)
	}
}
