package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
