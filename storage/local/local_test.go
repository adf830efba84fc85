package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := Open(t.TempDir(), Options{Retention: storage.RetentionYears(10)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
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
