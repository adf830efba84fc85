package storagetest

// The upload capabilities, checked the way a scanner station uses them:
// plain net/http requests to the URLs the store signs, with no
// credentials.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// scope is the dossier the tests' uploads belong to.
const scope = "UBND-XA-01-250101-0001"

// presigner runs fn on stores that offer storage.Presigner.
func presigner(fn func(*testing.T, storage.Store, storage.Presigner)) func(*testing.T, storage.Store) {
	return func(t *testing.T, s storage.Store) {
		p, ok := s.(storage.Presigner)
		if !ok {
			t.Skipf("%T offers no presigned uploads", s)
		}
		fn(t, s, p)
	}
}

// multiparter runs fn on stores that offer storage.Multiparter.
func multiparter(fn func(*testing.T, storage.Store, storage.Multiparter)) func(*testing.T, storage.Store) {
	return func(t *testing.T, s storage.Store) {
		m, ok := s.(storage.Multiparter)
		if !ok {
			t.Skipf("%T offers no multipart uploads", s)
		}
		fn(t, s, m)
	}
}

// send makes the request p signs, as a station would, with body as its
// bytes and length as its Content-Length, edit changing the headers
// first. It returns the status, 0 when the request itself failed (a
// dropped link).
func send(t *testing.T, p storage.Presigned, body io.Reader, length int64, edit func(http.Header)) int {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = p.Header.Clone()
	req.Header.Del("Content-Length") // net/http sends req.ContentLength
	req.ContentLength = length
	if edit != nil {
		edit(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Logf("%s: %v", p.Method, err)
		return 0
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("%d %s", resp.StatusCode, bytes.TrimSpace(b))
	return resp.StatusCode
}

func ok(code int) bool { return code >= 200 && code < 300 }

// testPresignPut: the signature pins length, type and bytes (a request
// that changes any of them, or leaves out a header the URL was signed
// with, stores nothing), and a presigned upload goes to its dossier's
// staging key, never to the write-once originals.
func testPresignPut(t *testing.T, s storage.Store, ps storage.Presigner) {
	ctx := context.Background()
	content := []byte("JPEG bytes from a station scanner")
	orig, h := original(t, content)
	key, err := storage.StagingKey(scope, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.PresignPut(ctx, key, int64(len(content)), "image/jpeg", h, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	longer := append(bytes.Clone(content), '!')
	forged := bytes.Clone(content)
	forged[0] = 'X'
	type attempt struct {
		name string
		body []byte
		edit func(http.Header)
	}
	refused := []attempt{
		{"longer body", longer, nil},
		{"other content type", content, func(h http.Header) { h.Set("Content-Type", "application/pdf") }},
		{"same length, other bytes", forged, nil},
	}
	for name := range p.Header {
		if name != "Content-Length" {
			refused = append(refused, attempt{name + " dropped", content, func(h http.Header) { h.Del(name) }})
		}
	}
	for _, tt := range refused {
		if code := send(t, p, bytes.NewReader(tt.body), int64(len(tt.body)), tt.edit); ok(code) {
			t.Errorf("%s: upload accepted (%d), want refused", tt.name, code)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: Stat after refused upload = %v, want ErrNotFound", tt.name, err)
		}
	}
	if code := send(t, p, bytes.NewReader(content), int64(len(content)), nil); !ok(code) {
		t.Fatalf("upload as signed: %d, want success", code)
	}
	info, err := s.Stat(ctx, key)
	if err != nil || info.SHA256 != h || info.Size != int64(len(content)) || !info.RetainUntil.IsZero() {
		t.Fatalf("Stat after presigned upload = %+v, %v; want hash, size, no retention", info, err)
	}
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("staged upload reads back as %q", got)
	}
	if _, err := s.Stat(ctx, orig); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(original) after a presigned upload = %v, want ErrNotFound: uploads are staged", err)
	}
	// A resumed station sending the same bytes again changes nothing.
	if code := send(t, p, bytes.NewReader(content), int64(len(content)), nil); !ok(code) {
		t.Errorf("second upload with the same URL: %d, want success", code)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete staged upload = %v", err)
	}
	for _, k := range []string{"derived/x", orig} {
		if _, err := ps.PresignPut(ctx, k, 1, "image/jpeg", h, time.Minute); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("PresignPut(%s) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := ps.PresignPut(ctx, key, 1, "image/jpeg", hex.EncodeToString(make([]byte, 32)), time.Minute); !errors.Is(err, storage.ErrHashMismatch) {
		t.Errorf("PresignPut(other hash) = %v, want ErrHashMismatch", err)
	}
}

// testPresignExpires: a URL stops working once its expiry has passed.
func testPresignExpires(t *testing.T, s storage.Store, ps storage.Presigner) {
	ctx := context.Background()
	content := []byte("a page sent too late")
	_, h := original(t, content)
	key, _ := storage.StagingKey(scope, h)
	p, err := ps.PresignPut(ctx, key, int64(len(content)), "image/png", h, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if code := send(t, p, bytes.NewReader(content), int64(len(content)), nil); ok(code) {
		t.Errorf("upload after the URL expired: %d, want refused", code)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after an expired upload = %v, want ErrNotFound", err)
	}
}

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
func part(m storage.Multipart, content []byte, n int) []byte {
	from := int64(n-1) * m.PartSize
	return content[from : from+m.PartLen(n)]
}

// sendPart PUTs body to the presigned URL of part n and returns the status.
func sendPart(t *testing.T, mp storage.Multiparter, m storage.Multipart, n int, body io.Reader, length int64) int {
	t.Helper()
	p, err := mp.PresignPart(context.Background(), m, n, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, p, body, length, nil)
}

func sendWholePart(t *testing.T, mp storage.Multiparter, m storage.Multipart, content []byte, n int) {
	t.Helper()
	d, err := storage.ResumeMultipart(m.Key, m.UploadID) // m may be only Key and UploadID
	if err != nil {
		t.Fatal(err)
	}
	b := part(d, content, n)
	if code := sendPart(t, mp, m, n, bytes.NewReader(b), int64(len(b))); !ok(code) {
		t.Fatalf("upload part %d: %d, want success", n, code)
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

func partNumbers(t *testing.T, mp storage.Multiparter, m storage.Multipart) []int {
	t.Helper()
	parts, err := mp.UploadedParts(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, p := range parts {
		ns = append(ns, p.Number)
	}
	return ns
}

// assertNoUpload checks that the upload left nothing: no parts, no object
// under its key, nothing under storage.MultipartPrefix.
func assertNoUpload(t *testing.T, s storage.Store, mp storage.Multiparter, m storage.Multipart) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, m.Key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("multipart object %s: Stat = %v, want ErrNotFound", m.Key, err)
	}
	if _, err := mp.UploadedParts(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UploadedParts after the upload ended = %v, want ErrNotFound", err)
	}
	if keys, err := s.List(ctx, storage.MultipartPrefix); err != nil || len(keys) != 0 {
		t.Errorf("List(%q) = %v, %v; want nothing", storage.MultipartPrefix, keys, err)
	}
}

// testMultipartResume: a station's link drops after the first part and in
// the middle of the second; it asks what arrived, sends only the rest, and
// the bytes are staged for the dossier, not archived: nothing reaches the
// originals before the service checks and confirms the page.
func testMultipartResume(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	content := page(t, 12<<20+12345)
	orig, h := original(t, content)
	key, err := storage.StagingKey(scope, h)
	if err != nil {
		t.Fatal(err)
	}

	m, err := mp.StartMultipart(ctx, scope, h, int64(len(content)), "image/tiff")
	if err != nil {
		t.Fatal(err)
	}
	if m.SHA256 != h || m.Scope != scope || m.Parts != 2 || m.PartSize != 8<<20 {
		t.Fatalf("StartMultipart = %+v, want 2 parts of 8 MiB for %s", m, h)
	}
	sendWholePart(t, mp, m, content, 1)
	p2 := part(m, content, 2)
	if code := sendPart(t, mp, m, 2, &dropAfter{r: bytes.NewReader(p2), n: 1 << 20}, int64(len(p2))); ok(code) {
		t.Fatal("part 2 with a dropped link was accepted")
	}

	// The station reconnects with only the key and upload ID it kept.
	resumed := storage.Multipart{Key: m.Key, UploadID: m.UploadID}
	if got := partNumbers(t, mp, resumed); len(got) != 1 || got[0] != 1 {
		t.Fatalf("UploadedParts after the drop = %v, want [1]", got)
	}
	if err := mp.CompleteMultipart(ctx, resumed); !errors.Is(err, storage.ErrIncomplete) {
		t.Fatalf("CompleteMultipart with part 2 missing = %v, want ErrIncomplete", err)
	}
	if got := partNumbers(t, mp, resumed); len(got) != 1 {
		t.Fatalf("UploadedParts after the refused complete = %v, want [1] still there", got)
	}
	sendWholePart(t, mp, resumed, content, 2)
	if err := mp.CompleteMultipart(ctx, resumed); err != nil {
		t.Fatal(err)
	}

	info, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != h || info.Size != int64(len(content)) || !info.RetainUntil.IsZero() {
		t.Errorf("Stat = %+v; want %s, %d bytes, no retention", info, h, len(content))
	}
	if got := get(t, s, key); !bytes.Equal(got, content) {
		t.Errorf("Get: %d bytes; want the %d uploaded bytes", len(got), len(content))
	}
	assertNoUpload(t, s, mp, m)
	if _, err := s.Stat(ctx, orig); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(original) = %v, want ErrNotFound before confirmation", err)
	}
	if err := mp.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrExists) {
		t.Errorf("second CompleteMultipart = %v, want ErrExists", err)
	}
	// Unconfirmed, the staged bytes can go (the service sweeps them).
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete staged upload = %v", err)
	}
}

// testMultipartHashMismatch: parts that do not hash to the declared
// SHA-256 leave neither an original nor a staged upload nor a multipart
// object.
func testMultipartHashMismatch(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	declared := page(t, 9<<20)
	sent := bytes.Clone(declared)
	sent[len(sent)-1] ^= 1 // one bit flipped on the way, in the last part
	key, h := original(t, declared)

	m, err := mp.StartMultipart(ctx, scope, h, int64(len(declared)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= m.Parts; n++ {
		sendWholePart(t, mp, m, sent, n)
	}
	if err := mp.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrHashMismatch) {
		t.Fatalf("CompleteMultipart = %v, want ErrHashMismatch", err)
	} else {
		t.Log(err)
	}
	staged, _ := storage.StagingKey(scope, h)
	for _, k := range []string{staged, key} {
		if _, err := s.Stat(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat(%s) = %v, want ErrNotFound", k, err)
		}
	}
	assertNoUpload(t, s, mp, m)
	if err := mp.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CompleteMultipart after the mismatch = %v, want ErrNotFound", err)
	}
}

// testMultipartPartLength: the signature pins each part's length, so a
// part that is shorter or longer than signed is refused; and no URL is
// signed for a part or an upload that does not exist.
func testMultipartPartLength(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	content := page(t, 8<<20+100)
	_, h := original(t, content)
	m, err := mp.StartMultipart(ctx, scope, h, int64(len(content)), "image/png")
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
		if code := sendPart(t, mp, m, tt.n, bytes.NewReader(tt.body), int64(len(tt.body))); ok(code) {
			t.Errorf("%s: accepted (%d), want refused", tt.name, code)
		}
	}
	if got := partNumbers(t, mp, m); len(got) != 0 {
		t.Errorf("UploadedParts after refused parts = %v, want none", got)
	}

	tag := m.Key[len(m.Key)-32:]
	for _, tt := range []struct {
		name string
		m    storage.Multipart
		n    int
	}{
		{"part 0", m, 0},
		{"part after the last", m, 3},
		{"no upload ID", storage.Multipart{Key: m.Key}, 1},
		{"key outside " + storage.MultipartPrefix, storage.Multipart{Key: "derived/x", UploadID: m.UploadID}, 1},
		{"size in key changed", storage.Multipart{Key: storage.MultipartPrefix + scope + "/" + h + "/1/" + tag, UploadID: m.UploadID}, 2},
		{"key without a scope", storage.Multipart{Key: storage.MultipartPrefix + h + "/" + strconv.Itoa(len(content)) + "/" + tag, UploadID: m.UploadID}, 1},
	} {
		if _, err := mp.PresignPart(ctx, tt.m, tt.n, time.Minute); err == nil {
			t.Errorf("PresignPart(%s) succeeded, want refused", tt.name)
		}
	}
}

// testStartMultipartRefuses: no upload of bytes the dossier's staging
// already holds, nor for bad declarations.
func testStartMultipartRefuses(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	content := []byte("already staged")
	_, h := original(t, content)
	key, _ := storage.StagingKey(scope, h)
	put(t, s, key, content, h)
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
		{"over the limit", h[:2] + h[:62], storage.MaxMultipartSize + 1, "image/jpeg", nil},
		{"no content type", h[:2] + h[:62], 10, "", nil},
	} {
		_, err := mp.StartMultipart(ctx, scope, tt.sha, tt.size, tt.ct)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("StartMultipart(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// testAbortMultipart: abort drops the upload and its parts.
func testAbortMultipart(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	content := page(t, 10<<20)
	key, h := original(t, content)
	m, err := mp.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, mp, m, content, 1)
	if err := mp.AbortMultipart(ctx, m); err != nil {
		t.Fatal(err)
	}
	assertNoUpload(t, s, mp, m)
	if code := sendPart(t, mp, m, 2, bytes.NewReader(part(m, content, 2)), m.PartLen(2)); code != http.StatusNotFound {
		t.Errorf("part after abort: %d, want 404", code)
	}
	if err := mp.AbortMultipart(ctx, m); err != nil {
		t.Errorf("second AbortMultipart = %v, want nil", err)
	}
	if err := mp.CompleteMultipart(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CompleteMultipart after abort = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(original) = %v, want ErrNotFound", err)
	}
}

// testMultipartStartAgain: starting an upload of a page again drops the
// scope's earlier one and its parts, so a scope holds one upload of a page
// however often it asks (the service's quota counts one); another scope's
// upload of the same page is left alone.
func testMultipartStartAgain(t *testing.T, s storage.Store, mp storage.Multiparter) {
	ctx := context.Background()
	content := page(t, 9<<20)
	_, h := original(t, content)
	first, err := mp.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, mp, first, content, 1)
	other, err := mp.StartMultipart(ctx, "UBND-XA-02-250101-0001", h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	sendWholePart(t, mp, other, content, 1)
	again, err := mp.StartMultipart(ctx, scope, h, int64(len(content)), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mp.UploadedParts(ctx, first); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the first upload after starting again: %v, want ErrNotFound", err)
	}
	if got := partNumbers(t, mp, other); len(got) != 1 {
		t.Errorf("another scope's upload: parts %v, want [1] kept", got)
	}
	for n := 1; n <= again.Parts; n++ {
		sendWholePart(t, mp, again, content, n)
	}
	if err := mp.CompleteMultipart(ctx, again); err != nil {
		t.Fatal(err)
	}
}
