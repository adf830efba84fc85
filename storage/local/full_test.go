package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/storage"
)

// TestDiskFull: a put to a store whose filesystem (a 1 MiB tmpfs) has no
// room fails with storage.ErrFull, and leaves nothing: no object, no
// sidecar, no temporary file. Mounting needs root; elsewhere the test
// skips (cmd/sohoa's TestLocalStoreDiskFull runs the service on one).
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s, err := Open(dir, Options{Retention: storage.RetentionYears(1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := make([]byte, 2<<20)
	rand.Read(data)
	for _, key := range []string{"results/pages/ab/too-big.json", originalKeyOf(t, data)} {
		err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "")
		if !errors.Is(err, storage.ErrFull) {
			t.Errorf("put of 2 MiB into 1 MiB %s: %v, want ErrFull", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("after the failed put, stat %s: %v, want ErrNotFound", key, err)
		}
	}
	for _, sub := range []string{"tmp", "meta"} {
		var left []string
		filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("left in %s/: %v", sub, left)
		}
	}
	// The failed puts gave their room back: a page that fits goes in.
	small := data[:100<<10]
	if err := s.Put(ctx, originalKeyOf(t, small), bytes.NewReader(small), int64(len(small)), ""); err != nil {
		t.Errorf("put of 100 KiB after the failures: %v", err)
	}
}

func originalKeyOf(t *testing.T, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	k, err := storage.OriginalKey(hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
