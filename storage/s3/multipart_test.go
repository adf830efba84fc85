package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa/sohoa/storage"
)

// page returns n random bytes: a scan that does not compress.
func page(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// part returns the bytes of part n of content.
func part(m Multipart, content []byte, n int) []byte {
	from := int64(n-1) * m.PartSize
	return content[from : from+m.partLen(n)]
}

// sendPart PUTs body to the presigned URL of part n the way a station
// would, with plain net/http, and returns the status (0 when the request
// itself failed, as on a dropped link).
func sendPart(t *testing.T, s *Store, m Multipart, n int, body io.Reader, length int64) int {
	t.Helper()
	p, err := s.PresignPart(context.Background(), m, n, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(p.Method, p.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = p.Header.Clone()
	req.Header.Del("Content-Length") // net/http sends req.ContentLength
	req.ContentLength = length
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Logf("part %d: %v", n, err)
		return 0
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Logf("part %d: %d %s", n, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.StatusCode
}

func sendWholePart(t *testing.T, s *Store, m Multipart, content []byte, n int) {
	t.Helper()
	d, err := multipart(m) // m may be only Key and UploadID
	if err != nil {
		t.Fatal(err)
	}
	b := part(d, content, n)
	if code := sendPart(t, s, m, n, bytes.NewReader(b), int64(len(b))); code != http.StatusOK {
		t.Fatalf("upload part %d: %d, want 200", n, code)
	}
}

// dropAfter is a body whose link drops after n bytes.
type dropAfter struct {
	r io.Reader
	n int
}

func (d *dropAfter) Read(p []byte) (int, error) {
	if d.n <= 0 {
		return 0, errors.New("link dropped")
	}
	if len(p) > d.n {
		p = p[:d.n]
	}
	k, err := d.r.Read(p)
	d.n -= k
	return k, err
}

func partNumbers(t *testing.T, s *Store, m Multipart) []int {
	t.Helper()
	parts, err := s.UploadedParts(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, p := range parts {
		ns = append(ns, p.Number)
	}
	return ns
}

// assertNoStaging checks that neither the staging object nor an upload is
// left in the derived bucket.
func assertNoStaging(t *testing.T, s *Store, m Multipart) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.c.StatObject(ctx, s.cfg.DerivedBucket, m.Key, minio.StatObjectOptions{}); !errors.Is(mapErr(err), storage.ErrNotFound) {
		t.Errorf("staging object %s: Stat = %v, want not found", m.Key, err)
	}
	if _, err := s.UploadedParts(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UploadedParts after the upload ended = %v, want ErrNotFound", err)
	}
	if keys, err := s.List(ctx, stagingPrefix); err != nil || len(keys) != 0 {
		t.Errorf("List(%q) = %v, %v; want nothing", stagingPrefix, keys, err)
	}
}

// scope is the dossier the tests' uploads belong to.
const scope = "UBND-XA-01-250101-0001"

// TestMultipartResume: a station's link drops after the first part and in
// the middle of the second; it asks what arrived, sends only the rest, and
// the bytes are staged for the dossier, not archived: nothing reaches the
// originals bucket before the service checks and confirms the page.
func TestMultipartResume(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := page(t, 12<<20+12345)
	orig, h := scan(t, content)
	key, err := storage.StagingKey(scope, h)
	if err != nil {
		t.Fatal(err)
	}

	m, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/tiff")
	if err != nil {
		t.Fatal(err)
	}
	if m.SHA256 != h || m.Scope != scope || m.Parts != 2 || m.PartSize != 8<<20 {
		t.Fatalf("StartMultipart = %+v, want 2 parts of 8 MiB for %s", m, h)
	}
	sendWholePart(t, s, m, content, 1)
	p2 := part(m, content, 2)
	if code := sendPart(t, s, m, 2, &dropAfter{r: bytes.NewReader(p2), n: 1 << 20}, int64(len(p2))); code == http.StatusOK {
		t.Fatal("part 2 with a dropped link was accepted")
	}

	// The station reconnects with only the key and upload ID it kept.
	resumed := Multipart{Key: m.Key, UploadID: m.UploadID}
	if got := partNumbers(t, s, resumed); len(got) != 1 || got[0] != 1 {
		t.Fatalf("UploadedParts after the drop = %v, want [1]", got)
	}
	if err := s.CompleteMultipart(ctx, resumed); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("CompleteMultipart with part 2 missing = %v, want ErrIncomplete", err)
	}
	if got := partNumbers(t, s, resumed); len(got) != 1 {
		t.Fatalf("UploadedParts after the refused complete = %v, want [1] still there", got)
	}
	sendWholePart(t, s, resumed, content, 2)
	if err := s.CompleteMultipart(ctx, resumed); err != nil {
		t.Fatal(err)
	}

	info, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != h || info.Size != int64(len(content)) || !info.RetainUntil.IsZero() {
		t.Errorf("Stat = %+v; want %s, %d bytes, no retention", info, h, len(content))
	}
	oi, err := s.c.StatObject(ctx, s.cfg.DerivedBucket, key, minio.StatObjectOptions{})
	if err != nil || oi.ContentType != "image/tiff" {
		t.Errorf("staged upload: content type %q, %v; want image/tiff", oi.ContentType, err)
	}
	r, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("Get: %d bytes, %v; want the %d uploaded bytes", len(got), err, len(content))
	}
	assertNoStaging(t, s, m)
	if n := versions(t, s, orig); n != 0 {
		t.Errorf("originals bucket holds %d versions of %s, want none before confirmation", n, orig)
	}
	if err := s.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrExists) {
		t.Errorf("second CompleteMultipart = %v, want ErrExists", err)
	}
	// Unconfirmed, the staged bytes can go (the service sweeps them).
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete staged upload = %v", err)
	}
}

func versions(t *testing.T, s *Store, key string) int {
	t.Helper()
	n := 0
	for oi := range s.c.ListObjects(context.Background(), s.cfg.OriginalsBucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		n++
	}
	return n
}

// TestMultipartHashMismatch: parts that do not hash to the declared SHA-256
// leave neither an original nor a staged upload nor a multipart object.
func TestMultipartHashMismatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	declared := page(t, 9<<20)
	sent := bytes.Clone(declared)
	sent[len(sent)-1] ^= 1 // one bit flipped on the way, in the last part
	key, h := scan(t, declared)

	m, err := s.StartMultipart(ctx, scope, h, int64(len(declared)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= m.Parts; n++ {
		sendWholePart(t, s, m, sent, n)
	}
	if err := s.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrHashMismatch) {
		t.Fatalf("CompleteMultipart = %v, want ErrHashMismatch", err)
	} else {
		t.Log(err)
	}
	staged, _ := storage.StagingKey(scope, h)
	if _, err := s.Stat(ctx, staged); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(staged) = %v, want ErrNotFound", err)
	}
	if n := versions(t, s, key); n != 0 {
		t.Errorf("originals bucket holds %d versions of %s, want none", n, key)
	}
	assertNoStaging(t, s, m)
	if err := s.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CompleteMultipart after the mismatch = %v, want ErrNotFound", err)
	}
}

// TestMultipartPartLength: the signature pins each part's length, so MinIO
// refuses a part that is shorter or longer than signed.
func TestMultipartPartLength(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := page(t, 8<<20+100)
	_, h := scan(t, content)
	m, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		n    int
		body []byte
	}{
		{"part 1 one byte short", 1, content[:8<<20-1]},
		{"part 1 one byte long", 1, content[:8<<20+1]},
		{"last part one byte short", 2, content[8<<20 : len(content)-1]},
		{"last part one byte long", 2, append(bytes.Clone(content[8<<20:]), 0)},
	} {
		if code := sendPart(t, s, m, tt.n, bytes.NewReader(tt.body), int64(len(tt.body))); code < 400 {
			t.Errorf("%s: accepted (%d), want refused", tt.name, code)
		}
	}
	if got := partNumbers(t, s, m); len(got) != 0 {
		t.Errorf("UploadedParts after refused parts = %v, want none", got)
	}

	for _, tt := range []struct {
		name string
		m    Multipart
		n    int
	}{
		{"part 0", m, 0},
		{"part after the last", m, 3},
		{"no upload ID", Multipart{Key: m.Key}, 1},
		{"key outside uploads/", Multipart{Key: "derived/x", UploadID: m.UploadID}, 1},
		{"size in key changed", Multipart{Key: "uploads/" + scope + "/" + h + "/1/" + m.Key[len(m.Key)-32:], UploadID: m.UploadID}, 2},
		{"key without a scope", Multipart{Key: "uploads/" + h + "/" + strconv.Itoa(len(content)) + "/" + m.Key[len(m.Key)-32:], UploadID: m.UploadID}, 1},
	} {
		if _, err := s.PresignPart(ctx, tt.m, tt.n, time.Minute); err == nil {
			t.Errorf("PresignPart(%s) succeeded, want refused", tt.name)
		}
	}
}

// TestStartMultipartRefuses: no upload of bytes the dossier's staging
// already holds, nor for bad declarations.
func TestStartMultipartRefuses(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := []byte("already staged")
	_, h := scan(t, content)
	key, _ := storage.StagingKey(scope, h)
	if err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), h); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		sha  string
		size int64
		ct   string
		want error
	}{
		{"already staged", h, int64(len(content)), "image/jpeg", storage.ErrExists},
		{"not hex", "xyz", 10, "image/jpeg", storage.ErrBadKey},
		{"empty", h[:2] + h[:62], 0, "image/jpeg", nil},
		{"over 5 GiB", h[:2] + h[:62], maxMultipart + 1, "image/jpeg", nil},
		{"no content type", h[:2] + h[:62], 10, "", nil},
	} {
		_, err := s.StartMultipart(ctx, scope, tt.sha, tt.size, tt.ct)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("StartMultipart(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestAbortMultipart: abort drops the upload and its parts.
func TestAbortMultipart(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := page(t, 10<<20)
	key, h := scan(t, content)
	m, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, s, m, content, 1)
	if err := s.AbortMultipart(ctx, m); err != nil {
		t.Fatal(err)
	}
	assertNoStaging(t, s, m)
	uploads, err := minio.Core{Client: s.c}.ListMultipartUploads(ctx, s.cfg.DerivedBucket, stagingPrefix, "", "", "", 100)
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("ListMultipartUploads after abort = %+v, %v; want none", uploads.Uploads, err)
	}
	if code := sendPart(t, s, m, 2, bytes.NewReader(part(m, content, 2)), m.partLen(2)); code != http.StatusNotFound {
		t.Errorf("part after abort: %d, want 404", code)
	}
	if err := s.AbortMultipart(ctx, m); err != nil {
		t.Errorf("second AbortMultipart = %v, want nil", err)
	}
	if err := s.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CompleteMultipart after abort = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(original) = %v, want ErrNotFound", err)
	}
}

// TestMultipartStartAgain: starting an upload of a page again drops the
// scope's earlier one and its parts, so a scope holds one upload of a page
// however often it asks (the service's quota counts one); another scope's
// upload of the same page is left alone.
func TestMultipartStartAgain(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := page(t, 9<<20)
	_, h := scan(t, content)
	first, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, s, first, content, 1)
	other, err := s.StartMultipart(ctx, "UBND-XA-02-250101-0001", h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, s, other, content, 1)
	again, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadedParts(ctx, first); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the first upload after starting again: %v, want ErrNotFound", err)
	}
	if got := partNumbers(t, s, other); len(got) != 1 {
		t.Errorf("another scope's upload: parts %v, want [1] kept", got)
	}
	for n := 1; n <= again.Parts; n++ {
		sendWholePart(t, s, again, content, n)
	}
	if err := s.CompleteMultipart(ctx, again); err != nil {
		t.Fatal(err)
	}
}
