package station

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // page formats a scanner writes
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "golang.org/x/image/tiff"
)

// contentTypes are the page files the agent takes, by extension; other
// files in a folder (the scanner's thumbnails, dossier.txt, SUBMIT) are
// not pages.
var contentTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".png": "image/png",
	".tif": "image/tiff", ".tiff": "image/tiff",
	".pdf": "application/pdf",
}

// seen is what the agent last saw of a file, to tell when the scanner is
// done writing it.
type seen struct {
	size  int64
	mtime time.Time
	since time.Time // when size and mtime last changed
}

// stability tells files the scanner has finished writing from those it
// is still writing: unchanged in size and modification time for settle,
// and a complete file as far as its header and end tell.
type stability struct {
	settle time.Duration
	files  map[string]seen
}

// stable reports whether the file at path, of info, may be taken now.
func (s *stability) stable(path string, info os.FileInfo, now time.Time) bool {
	prev, ok := s.files[path]
	if !ok || prev.size != info.Size() || !prev.mtime.Equal(info.ModTime()) {
		s.files[path] = seen{size: info.Size(), mtime: info.ModTime(), since: now}
		return false
	}
	if now.Sub(prev.since) < s.settle || info.Size() == 0 {
		return false
	}
	return complete(path) == nil
}

// complete checks that a file's header decodes and, where the format has
// one, that its end marker is there: a scanner that pauses mid-write
// leaves a file that has settled but is not whole.
func complete(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err // locked by the scanner on Windows, or gone
	}
	defer f.Close()
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".pdf":
		head := make([]byte, 5)
		if _, err := io.ReadFull(f, head); err != nil || string(head) != "%PDF-" {
			return errors.New("no PDF header")
		}
		if !bytes.Contains(tailOf(f, 1024), []byte("%%EOF")) {
			return errors.New("no PDF end marker")
		}
		return nil
	}
	if _, _, err := image.DecodeConfig(f); err != nil {
		return err
	}
	if ext == ".jpg" || ext == ".jpeg" {
		if !bytes.Contains(tailOf(f, 64), []byte{0xFF, 0xD9}) {
			return errors.New("no JPEG end marker")
		}
	}
	return nil
}

// tailOf reads the last n bytes of f.
func tailOf(f *os.File, n int64) []byte {
	info, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(0, info.Size()-n)
	b := make([]byte, info.Size()-off)
	m, _ := f.ReadAt(b, off)
	return b[:m]
}

// pageFiles lists the page files of a folder in scan order: by name, with
// runs of digits compared as numbers, so scan2 comes before scan10.
func pageFiles(dir string) ([]os.DirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []os.DirEntry
	for _, e := range ents {
		if e.Type().IsRegular() && contentTypes[strings.ToLower(filepath.Ext(e.Name()))] != "" &&
			!strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "~") {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b os.DirEntry) int { return naturalCompare(a.Name(), b.Name()) })
	return out, nil
}

// naturalCompare orders names as a person numbers pages.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := digits(a), digits(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		ca, cb := strings.ToLower(a[:1]), strings.ToLower(b[:1])
		if c := strings.Compare(ca, cb); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// hashFile returns a file's SHA-256 and size.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
