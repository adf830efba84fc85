// Package storagetest is the conformance suite every storage.Store
// implementation passes: one behaviour, checked once, for the filesystem
// store and the MinIO store alike, including the upload capabilities
// (storage.Presigner, storage.Multiparter) of the stores that offer them
// (upload.go).
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// Run runs the suite. open returns an empty Store whose originals have a
// retention of at least an hour; it is called once per subtest. A store
// whose upload URLs lead to a server (storage.UploadServer) comes with
// that server running. The tests of a capability the store does not offer
// are skipped, saying so.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"OriginalWriteOnce", testOriginalWriteOnce},
		{"HashMismatch", testHashMismatch},
		{"Delete", testDelete},
		{"List", testList},
		{"NotFound", testNotFound},
		{"BadKeys", testBadKeys},
		{"ConcurrentOriginal", testConcurrentOriginal},
		{"Large", testLarge},
		{"PresignPut", presigner(testPresignPut)},
		{"PresignExpires", presigner(testPresignExpires)},
		{"MultipartResume", multiparter(testMultipartResume)},
		{"MultipartHashMismatch", multiparter(testMultipartHashMismatch)},
		{"MultipartPartLength", multiparter(testMultipartPartLength)},
		{"MultipartStartRefuses", multiparter(testStartMultipartRefuses)},
		{"MultipartAbort", multiparter(testAbortMultipart)},
		{"MultipartStartAgain", multiparter(testMultipartStartAgain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// original returns content and its original key.
func original(t *testing.T, content []byte) (string, string) {
	t.Helper()
	sum := sha256.Sum256(content)
	h := hex.EncodeToString(sum[:])
	k, err := storage.OriginalKey(h)
	if err != nil {
		t.Fatal(err)
	}
	return k, h
}

func get(t *testing.T, s storage.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s): read: %v", key, err)
	}
	return b
}

func put(t *testing.T, s storage.Store, key string, b []byte, sha string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), sha); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func testRoundTrip(t *testing.T, s storage.Store) {
	ctx := context.Background()
	content := []byte("trang 1 — giấy khai sinh")
	key, h := original(t, content)
	before := time.Now().Add(-time.Minute)
	put(t, s, key, content, "")
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("Get = %q, want %q", got, content)
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != key || info.Size != int64(len(content)) || info.SHA256 != h {
		t.Errorf("Stat = %+v, want key %s size %d sha %s", info, key, len(content), h)
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("Stat ModTime = %v, want about now", info.ModTime)
	}
	if !info.RetainUntil.After(time.Now().Add(30 * time.Minute)) {
		t.Errorf("Stat RetainUntil = %v, want the store's retention ahead", info.RetainUntil)
	}

	// Derived: overwritable, no retention, empty object allowed, size unknown.
	d := "derived/ocr-v1/" + h + ".json"
	put(t, s, d, []byte("v1"), "")
	if err := s.Put(ctx, d, bytes.NewReader([]byte("version 2")), -1, ""); err != nil {
		t.Fatalf("overwrite derived: %v", err)
	}
	if got := get(t, s, d); string(got) != "version 2" {
		t.Fatalf("derived after overwrite = %q", got)
	}
	info, err = s.Stat(ctx, d)
	if err != nil || info.Size != 9 || !info.RetainUntil.IsZero() {
		t.Errorf("Stat(derived) = %+v, %v; want size 9, no retention", info, err)
	}
	sum := sha256.Sum256(nil)
	put(t, s, "derived/empty", nil, hex.EncodeToString(sum[:]))
	if got := get(t, s, "derived/empty"); len(got) != 0 {
		t.Errorf("empty object read back as %d bytes", len(got))
	}
	if info, err := s.Stat(ctx, "derived/empty"); err != nil || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Stat(declared hash) = %+v, %v; want the declared SHA-256 known", info, err)
	}
}

func testOriginalWriteOnce(t *testing.T, s storage.Store) {
	ctx := context.Background()
	content := []byte("original scan bytes")
	key, h := original(t, content)
	put(t, s, key, content, h)
	// Same bytes again: still refused, the caller learns it is already there.
	err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), h)
	if !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second Put of original = %v, want ErrExists", err)
	}
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("original changed to %q", got)
	}
}

func testHashMismatch(t *testing.T, s storage.Store) {
	ctx := context.Background()
	content := []byte("the real scan")
	key, _ := original(t, content)
	forged := []byte("a forged scan")
	// Original whose bytes do not hash to its key.
	err := s.Put(ctx, key, bytes.NewReader(forged), int64(len(forged)), "")
	if !errors.Is(err, storage.ErrHashMismatch) {
		t.Fatalf("Put(forged original) = %v, want ErrHashMismatch", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after refused put, Stat = %v, want ErrNotFound", err)
	}
	// The real one can still be stored afterwards.
	put(t, s, key, content, "")

	// Derived with a wrong declared hash, known and unknown size: nothing kept,
	// and an existing version stays.
	_, wrong := original(t, []byte("something else"))
	for _, size := range []int64{int64(len(forged)), -1} {
		err = s.Put(ctx, "derived/x", bytes.NewReader(forged), size, wrong)
		if !errors.Is(err, storage.ErrHashMismatch) {
			t.Fatalf("Put(derived, wrong hash, size %d) = %v, want ErrHashMismatch", size, err)
		}
		if _, err := s.Stat(ctx, "derived/x"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after refused put, Stat = %v, want ErrNotFound", err)
		}
	}
	put(t, s, "derived/y", []byte("kept"), "")
	if err := s.Put(ctx, "derived/y", bytes.NewReader(forged), int64(len(forged)), wrong); !errors.Is(err, storage.ErrHashMismatch) {
		t.Fatalf("overwrite with wrong hash = %v, want ErrHashMismatch", err)
	}
	if got := get(t, s, "derived/y"); string(got) != "kept" {
		t.Fatalf("refused overwrite changed derived object to %q", got)
	}
}

func testDelete(t *testing.T, s storage.Store) {
	ctx := context.Background()
	content := []byte("keep me for years")
	key, _ := original(t, content)
	put(t, s, key, content, "")
	if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrRetained) {
		t.Fatalf("Delete(original within retention) = %v, want ErrRetained", err)
	}
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("original after refused delete = %q", got)
	}
	if keys, _ := s.List(ctx, key); !slices.Equal(keys, []string{key}) {
		t.Fatalf("List after refused delete = %v", keys)
	}

	put(t, s, "derived/d", []byte("x"), "")
	if err := s.Delete(ctx, "derived/d"); err != nil {
		t.Fatalf("Delete(derived) = %v", err)
	}
	if _, err := s.Stat(ctx, "derived/d"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat after delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "derived/d"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	// A deleted derived key can be written again.
	put(t, s, "derived/d", []byte("y"), "")
}

func testList(t *testing.T, s storage.Store) {
	ctx := context.Background()
	var origs []string
	for i := range 3 {
		k, _ := original(t, fmt.Appendf(nil, "page %d", i))
		put(t, s, k, fmt.Appendf(nil, "page %d", i), "")
		origs = append(origs, k)
	}
	derived := []string{"b/x", "a-c", "a/b/c", "a/b", "a.z", "ab"}
	for _, k := range derived {
		if k == "a/b" {
			continue // "a/b" is a folder of "a/b/c"; a key cannot be both
		}
		put(t, s, k, []byte(k), "")
	}
	all := append(slices.Clone(origs), "b/x", "a-c", "a/b/c", "a.z", "ab")
	slices.Sort(all)
	origsSorted := slices.Sorted(slices.Values(origs))
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a", []string{"a-c", "a.z", "a/b/c", "ab"}},
		{"a/", []string{"a/b/c"}},
		{"a/b/c", []string{"a/b/c"}},
		{"b/", []string{"b/x"}},
		{"c", nil},
		{"nothing/here/", nil},
		{"originals/", origsSorted},
		{"o", origsSorted},
		{origs[0][:len("originals/")+3], []string{origs[0]}},
	}
	for _, tt := range tests {
		got, err := s.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %v, want %v", tt.prefix, got, tt.want)
		}
	}
}

func testNotFound(t *testing.T, s storage.Store) {
	ctx := context.Background()
	key, _ := original(t, []byte("never stored"))
	put(t, s, "file", []byte("x"), "")
	for _, k := range []string{key, "derived/none", "file/under-a-file"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get(%s) = %v, want ErrNotFound", k, err)
		}
		if _, err := s.Stat(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat(%s) = %v, want ErrNotFound", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Delete(%s) = %v, want ErrNotFound", k, err)
		}
	}
}

func testBadKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/", ".hidden", "a b", "a\\b", "originals/x", "originals/ab/cd"} {
		if err := s.Put(ctx, k, bytes.NewReader([]byte("x")), 1, ""); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
		}
		if _, err := s.Stat(ctx, k); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Stat(%q) = %v, want ErrBadKey", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
	}
	for _, p := range []string{"/", "../", "a/../", "a//"} {
		if _, err := s.List(ctx, p); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("List(%q) = %v, want ErrBadKey", p, err)
		}
	}
	if _, err := storage.OriginalKey("not-hex"); !errors.Is(err, storage.ErrBadKey) {
		t.Errorf("OriginalKey(not-hex) = %v, want ErrBadKey", err)
	}
}

func testConcurrentOriginal(t *testing.T, s storage.Store) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("concurrent scan "), 64<<10) // 1 MiB
	key, h := original(t, content)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), h)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrExists):
			t.Errorf("put %d: %v, want nil or ErrExists", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent puts succeeded, want exactly 1 (errors: %v)", won, errs)
	}
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("original corrupted by concurrent puts (%d bytes)", len(got))
	}
}

// testLarge streams 20 MiB from a generator, never holding it in memory,
// and checks it back by hash.
func testLarge(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const size = 20 << 20
	gen := func() io.Reader { return io.LimitReader(&pattern{}, size) }
	hw := sha256.New()
	if _, err := io.Copy(hw, gen()); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(hw.Sum(nil))
	key, _ := storage.OriginalKey(h)
	for _, sz := range []int64{size, -1} {
		k := key
		if sz < 0 {
			k = "derived/large-unknown-size"
		}
		if err := s.Put(ctx, k, gen(), sz, h); err != nil {
			t.Fatalf("Put(%s, size %d): %v", k, sz, err)
		}
		rc, err := s.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		hr := sha256.New()
		n, err := io.Copy(hr, rc)
		rc.Close()
		if err != nil || n != size || hex.EncodeToString(hr.Sum(nil)) != h {
			t.Fatalf("Get(%s): %d bytes, err %v, hash match %v", k, n, err, hex.EncodeToString(hr.Sum(nil)) == h)
		}
	}
}

// pattern is an endless, non-repeating-looking byte stream (a counter
// mixed so compressing or deduplicating stores see real data).
type pattern struct{ i uint32 }

func (p *pattern) Read(b []byte) (int, error) {
	for j := range b {
		p.i++
		x := p.i * 2654435761
		b[j] = byte(x >> 24)
	}
	return len(b), nil
}
