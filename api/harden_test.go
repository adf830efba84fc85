package api_test

// Regression tests for what an attacker's try-out of the service found
// (issue 9): each reproduces the attack and checks it no longer works.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/api"
	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// upAnswer is the answer to an upload request.
type upAnswer struct {
	Key    string             `json:"key"`
	Exists bool               `json:"exists"`
	Upload *storage.Presigned `json:"upload"`
}

func (e *env) askUpload(t testing.TB, code, token string, b []byte, ct string) upAnswer {
	t.Helper()
	res := e.do(t, "POST", "/v1/dossiers/"+code+"/uploads", token,
		map[string]any{"sha256": sha(b), "size": len(b), "content_type": ct}, "")
	if res.status != http.StatusOK {
		t.Fatalf("upload request to %s: %d %s", code, res.status, res.body)
	}
	var a upAnswer
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) put(t testing.TB, a upAnswer, b []byte) {
	t.Helper()
	if a.Upload == nil {
		t.Fatalf("no upload URL in %+v", a)
	}
	if res := e.do(t, "PUT", a.Upload.URL, "", b, a.Upload.Header.Get("Content-Type")); res.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
}

func (e *env) confirm(t testing.TB, code, token string, pos int, b []byte) result {
	t.Helper()
	return e.do(t, "POST", "/v1/dossiers/"+code+"/pages", token, map[string]any{"position": pos, "sha256": sha(b)}, "")
}

func (e *env) create(t testing.TB, token string) string {
	t.Helper()
	res := e.do(t, "POST", "/v1/dossiers", token, map[string]any{"procedure": "1.000894"}, "")
	var d struct{ Code string }
	if err := json.Unmarshal(res.body, &d); err != nil || res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	return d.Code
}

func (e *env) keys(t *testing.T, prefix string) []string {
	t.Helper()
	k, err := e.st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestUnconfirmedUploadAttach: a scan uploaded but not yet confirmed
// belongs to the dossier that asked for it. Another office knowing its
// SHA-256 can neither attach it nor learn that anyone holds it; it must
// send the bytes itself. (Before: the other office attached it, and the
// uploading office's own confirm then got 403.)
func TestUnconfirmedUploadAttach(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	page := scanPNG(t)
	mine := e.askUpload(t, e.code, op, page, "image/png")
	e.put(t, mine, page)

	theirs := e.create(t, e.other)
	wantProblem(t, e.confirm(t, theirs, e.other, 1, page), http.StatusConflict, "upload the page first")

	// The answer to the other office is the one for bytes nobody holds.
	fresh := scanPNG(t)
	fresh[len(fresh)-5] ^= 0x55 // another scan, never uploaded (CRC aside, only the hash matters here)
	unknown := e.askUpload(t, theirs, e.other, fresh, "image/png")
	known := e.askUpload(t, theirs, e.other, page, "image/png")
	if known.Exists || known.Upload == nil || unknown.Exists || unknown.Upload == nil {
		t.Fatalf("another office's scan: %+v; an unknown one: %+v; want both to be sent", known, unknown)
	}

	if res := e.confirm(t, e.code, op, 1, page); res.status != http.StatusOK {
		t.Fatalf("the uploading office's confirm: %d %s", res.status, res.body)
	}
	// Confirmed: still nothing to learn or attach without the bytes.
	if a := e.askUpload(t, theirs, e.other, page, "image/png"); a.Exists || a.Upload == nil {
		t.Fatalf("another office's confirmed scan: %+v, want an upload URL", a)
	}
	wantProblem(t, e.confirm(t, theirs, e.other, 1, page), http.StatusConflict, "upload the page first")
	// With the bytes sent, it is attached: the same original, stored once.
	e.put(t, known, page)
	if res := e.confirm(t, theirs, e.other, 1, page); res.status != http.StatusOK {
		t.Fatalf("the other office's confirm after sending the bytes: %d %s", res.status, res.body)
	}
	if got := e.keys(t, storage.OriginalsPrefix); len(got) != 1 {
		t.Errorf("originals %v, want exactly the one scan", got)
	}
	if got := e.keys(t, storage.StagingPrefix); len(got) != 0 {
		t.Errorf("staging after both confirms: %v, want empty", got)
	}
	// The owning office reuses its scan in a new dossier without sending it.
	again := e.create(t, op)
	if a := e.askUpload(t, again, op, page, "image/png"); !a.Exists {
		t.Errorf("own office's scan in a new dossier: %+v, want exists", a)
	}
	if res := e.confirm(t, again, op, 1, page); res.status != http.StatusOK {
		t.Errorf("own office's scan in a new dossier: %d %s", res.status, res.body)
	}
}

// TestStagingNotArchived: bytes PUT through a signed URL wait in staging;
// unconfirmed or unreadable, they never reach the write-once originals,
// and they expire. (Before: 1 MiB of random bytes declared image/png was
// stored as an original locked for twenty years, referenced by nothing.)
func TestStagingNotArchived(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	junk := make([]byte, 1<<20)
	rand.Read(junk)
	e.put(t, e.askUpload(t, e.code, op, junk, "image/png"), junk)
	if got := e.keys(t, storage.OriginalsPrefix); len(got) != 0 {
		t.Fatalf("originals after an unconfirmed upload: %v, want none", got)
	}
	if got := e.keys(t, storage.StagingPrefix); len(got) != 1 {
		t.Fatalf("staging: %v, want the one upload", got)
	}
	wantProblem(t, e.confirm(t, e.code, op, 1, junk), http.StatusUnsupportedMediaType, "not a readable scan")
	if got := e.keys(t, storage.OriginalsPrefix); len(got) != 0 {
		t.Fatalf("originals after a refused confirm: %v, want none", got)
	}

	// A sweep now leaves it (it is not a day old); one a day on takes it.
	ctx := context.Background()
	if n, err := e.api.SweepStaging(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep of day-old uploads: %d, %v; want 0", n, err)
	}
	if n, err := e.api.SweepStaging(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1", n, err)
	}
	if got := e.keys(t, storage.StagingPrefix); len(got) != 0 {
		t.Errorf("staging after the sweep: %v", got)
	}
	if n, err := e.cat.UploadBytes(ctx, office, time.Hour); err != nil || n != 0 {
		t.Errorf("office's unconfirmed bytes after the sweep: %d, %v; want 0", n, err)
	}
}

// TestOfficeQuota: one office's unconfirmed uploads are bounded; asking
// again for the same upload does not count it twice, and a confirmed page
// frees its share.
func TestOfficeQuota(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.OfficeQuota = 2500 })
	op := e.tokens[catalog.RoleOperator]
	scans := make([][]byte, 3)
	for i := range scans {
		scans[i] = scanPNG(t)
		scans[i] = append(scans[i], make([]byte, 1000-len(scans[i]))...) // trailing bytes after IEND: still a PNG
		scans[i][len(scans[i])-1] = byte(i + 1)
	}
	first := e.askUpload(t, e.code, op, scans[0], "image/png")
	e.askUpload(t, e.code, op, scans[0], "image/png")
	e.askUpload(t, e.code, op, scans[1], "image/png")
	ask := map[string]any{"sha256": sha(scans[2]), "size": len(scans[2]), "content_type": "image/png"}
	res := e.do(t, "POST", "/v1/dossiers/"+e.code+"/uploads", op, ask, "")
	wantProblem(t, res, http.StatusTooManyRequests, "quota")
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another office is not held back by this one.
	other := e.create(t, e.other)
	e.askUpload(t, other, e.other, scans[2], "image/png")

	e.put(t, first, scans[0])
	if res := e.confirm(t, e.code, op, 1, scans[0]); res.status != http.StatusOK {
		t.Fatalf("confirm: %d %s", res.status, res.body)
	}
	e.askUpload(t, e.code, op, scans[2], "image/png")
}

// tiffFrames returns an uncompressed TIFF of n 1×1 grey frames: many
// "pages" in a few bytes each.
func tiffFrames(n int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	for i := range n {
		start := uint32(b.Len())
		const entries = 8
		pixel := start + 2 + entries*12 + 4
		next := uint32(0)
		if i < n-1 {
			next = pixel + 4
		}
		binary.Write(&b, le, uint16(entries))
		for _, e := range [][3]uint32{
			{256, 3, 1}, {257, 3, 1}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, pixel}, {278, 3, 1}, {279, 4, 1},
		} {
			binary.Write(&b, le, uint16(e[0]))
			binary.Write(&b, le, uint16(e[1]))
			binary.Write(&b, le, uint32(1))
			if e[1] == 3 {
				binary.Write(&b, le, uint16(e[2]))
				binary.Write(&b, le, uint16(0))
			} else {
				binary.Write(&b, le, e[2])
			}
		}
		binary.Write(&b, le, next)
		b.Write([]byte{0x80, 0, 0, 0}) // the pixel, padded to a word
	}
	return b.Bytes()
}

// TestFrameCountBomb: one uploaded "page" of 5,000 TIFF frames is refused
// at confirm, before any worker sees it, as is a dossier that would pass
// its page limit by many small files. (Before: confirmed in 23 ms as one
// page, after which a worker grew by 0.7 GB.)
func TestFrameCountBomb(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.MaxDossierPages = 5 })
	op := e.tokens[catalog.RoleOperator]
	bomb := tiffFrames(5000)
	e.put(t, e.askUpload(t, e.code, op, bomb, "image/tiff"), bomb)
	wantProblem(t, e.confirm(t, e.code, op, 1, bomb), http.StatusRequestEntityTooLarge, "5000")
	if got := e.keys(t, storage.OriginalsPrefix); len(got) != 0 {
		t.Errorf("originals after the refused bomb: %v", got)
	}

	three, four := tiffFrames(3), tiffFrames(4)
	for _, f := range [][]byte{three, four} {
		e.put(t, e.askUpload(t, e.code, op, f, "image/tiff"), f)
	}
	res := e.confirm(t, e.code, op, 1, three)
	if res.status != http.StatusOK {
		t.Fatalf("3 frames: %d %s", res.status, res.body)
	}
	wantProblem(t, e.confirm(t, e.code, op, 2, four), http.StatusRequestEntityTooLarge, "limit 5")
	pages, err := e.cat.Pages(context.Background(), e.code)
	if err != nil || len(pages) != 1 || pages[0].Frames != 3 {
		t.Errorf("pages %+v, %v; want the 3-frame file only", pages, err)
	}
}

// signedDossier makes e.code a signed dossier whose "PDF" is pdf, as the
// workers would leave it, without running them.
func (e *env) signedDossier(t *testing.T, pdf []byte) {
	t.Helper()
	ctx := context.Background()
	page := scanPNG(t)
	orig, _ := storage.OriginalKey(sha(page))
	if err := e.st.Put(ctx, orig, bytes.NewReader(page), int64(len(page)), sha(page)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.AddPage(ctx, e.code, catalog.Page{Position: 1, OriginalKey: orig, SHA256: sha(page), Size: int64(len(page))}, "test"); err != nil {
		t.Fatal(err)
	}
	key := storage.SignedKey(e.code, sha(pdf))
	if err := e.st.Put(ctx, key, bytes.NewReader(pdf), int64(len(pdf)), sha(pdf)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []catalog.DossierMove{
		{From: catalog.Uploading, To: catalog.Submitted}, {From: catalog.Submitted, To: catalog.Processing},
		{From: catalog.Processing, To: catalog.Assembled},
		{From: catalog.Assembled, To: catalog.Signed, PDFKey: key, PDFSHA256: sha(pdf)},
	} {
		if err := e.cat.MoveWith(ctx, e.code, m, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) actions(t *testing.T, action string) int {
	t.Helper()
	evs, err := e.cat.Events(context.Background(), e.code)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Action == action {
			n++
		}
	}
	return n
}

// TestEveryDownloadRecorded: each use of a PDF link is a record in the
// trail, and an access that cannot be recorded is refused. (Before: one
// link served three downloads with one record, and a failure to record
// did not stop the read.)
func TestEveryDownloadRecorded(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.MaxVerifyBytes = 100 })
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 200)...)
	e.signedDossier(t, pdf)
	wf := e.tokens[catalog.RoleWorkflow]
	res := e.do(t, "GET", "/v1/dossiers/"+e.code+"/pdf", wf, nil, "")
	var link struct{ URL, SHA256 string }
	if err := json.Unmarshal(res.body, &link); err != nil || res.status != http.StatusOK || !strings.HasPrefix(link.URL, e.url+"/v1/downloads/") {
		t.Fatalf("pdf link: %d %s", res.status, res.body)
	}
	for range 3 {
		res := e.do(t, "GET", link.URL, "", nil, "")
		if res.status != http.StatusOK || !bytes.Equal(res.body, pdf) {
			t.Fatalf("download: %d, %d bytes", res.status, len(res.body))
		}
	}
	if n := e.actions(t, "download-pdf"); n != 3 {
		t.Errorf("trail has %d download-pdf records after 3 downloads, want 3", n)
	}
	if n := e.actions(t, "pdf-link"); n != 1 {
		t.Errorf("trail has %d pdf-link records, want 1", n)
	}
	forged := strings.Replace(link.URL, "actor=workflow", "actor=auditor", 1)
	wantProblem(t, e.do(t, "GET", forged, "", nil, ""), http.StatusForbidden, "signature")

	// Server-side verification reads the PDF within its bound.
	wantProblem(t, e.do(t, "POST", "/v1/dossiers/"+e.code+"/verify", e.tokens[catalog.RoleAuditor], nil, ""),
		http.StatusRequestEntityTooLarge, "limit 100")

	// Recording fails (a trigger refuses the trail's inserts): the reads
	// are refused, and no byte goes out.
	conn, err := pgx.Connect(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `
		CREATE FUNCTION refuse_access() RETURNS trigger LANGUAGE plpgsql AS
			$$BEGIN RAISE EXCEPTION 'trail unavailable'; END$$;
		CREATE TRIGGER refuse_access BEFORE INSERT ON events
			FOR EACH ROW WHEN (NEW.action LIKE 'download-%') EXECUTE FUNCTION refuse_access();`); err != nil {
		t.Fatal(err)
	}
	res = e.do(t, "GET", link.URL, "", nil, "")
	wantProblem(t, res, http.StatusServiceUnavailable, "could not be recorded")
	res = e.do(t, "GET", "/v1/dossiers/"+e.code+"/originals/"+sha(scanPNG(t)), e.tokens[catalog.RoleAuditor], nil, "")
	wantProblem(t, res, http.StatusServiceUnavailable, "could not be recorded")

	// A link lives no longer than the token it was given to.
	if err := e.cat.RevokeToken(context.Background(), "test-workflow"); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, e.do(t, "GET", link.URL, "", nil, ""), http.StatusForbidden, "revoked")
}

// TestRevokedTokenEndsStream: a progress stream opened with a token ends
// soon after the token is revoked. (Before: it ran on for up to 30 min.)
func TestRevokedTokenEndsStream(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, err := e.cat.CreateToken(ctx, "desk-7", catalog.RoleOperator, office)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(cctx, "GET", e.url+"/v1/dossiers/"+e.code+"/progress", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	if line, err := rd.ReadString('\n'); err != nil || line != "event: dossier\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	if err := e.cat.RevokeToken(ctx, "desk-7"); err != nil {
		t.Fatal(err)
	}
	var last string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			if cctx.Err() != nil {
				t.Fatal("the stream went on after its token was revoked")
			}
			break
		}
		if strings.HasPrefix(line, "event: ") {
			last = line
		}
	}
	if last != "event: error\n" {
		t.Errorf("last event %q, want an error event", last)
	}
}

// TestTextFields: control and bidirectional-override characters in a
// dossier's text fields are refused before a code is given out. (Before:
// a NUL gave a 500 and burned a code; U+202E was stored.)
func TestTextFields(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	for _, body := range []map[string]any{
		{"procedure": "1.000\x00894"},
		{"procedure": "1.000894", "receipt_no": "BN-\u202e7"},
		{"procedure": "1.000894", "receipt_no": "BN\n7"},
		{"procedure": "1.000\u2066894"},
		{"procedure": "1.000894", "receipt_no": "BN\u20287"},
		{"procedure": "1.000894", "receipt_no": "BN\ue0007"},
	} {
		wantProblem(t, e.do(t, "POST", "/v1/dossiers", op, body, ""), http.StatusUnprocessableEntity, "character")
	}
	code := e.create(t, op)
	if !strings.HasSuffix(code, "-0001") {
		t.Errorf("first dossier after refused ones is %s, want number 0001: refusals must not burn codes", code)
	}
	// Vietnamese text is welcome.
	res := e.do(t, "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894", "receipt_no": "Biên nhận số 7"}, "")
	if res.status != http.StatusCreated {
		t.Errorf("Vietnamese receipt number: %d %s", res.status, res.body)
	}
}

// TestRefusedConfirmKeepsNothing: a confirm the catalog refuses (the
// position taken, the dossier full) leaves no write-once original behind,
// and the same confirm repeated in a dossier at its page limit is still
// the 200 of an idempotent retry, not a 413.
func TestRefusedConfirmKeepsNothing(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.MaxDossierPages = 3 })
	op := e.tokens[catalog.RoleOperator]
	a, b, c := tiffFrames(2), scanPNG(t), tiffFrames(3)
	e.put(t, e.askUpload(t, e.code, op, a, "image/tiff"), a)
	e.put(t, e.askUpload(t, e.code, op, b, "image/png"), b)
	e.put(t, e.askUpload(t, e.code, op, c, "image/tiff"), c)
	for range 2 {
		if res := e.confirm(t, e.code, op, 1, a); res.status != http.StatusOK {
			t.Fatalf("confirm (or its retry) near the dossier's limit: %d %s", res.status, res.body)
		}
	}
	wantProblem(t, e.confirm(t, e.code, op, 1, b), http.StatusConflict, "exists")
	wantProblem(t, e.confirm(t, e.code, op, 2, c), http.StatusRequestEntityTooLarge, "limit 3")
	if got := e.keys(t, storage.OriginalsPrefix); len(got) != 1 {
		t.Errorf("originals after refused confirms: %v, want only the confirmed page's", got)
	}
	// Refused, the uploads are still staged: the operator can put them
	// at a free position.
	if res := e.confirm(t, e.code, op, 2, b); res.status != http.StatusOK {
		t.Errorf("confirm at a free position after a refusal: %d %s", res.status, res.body)
	}
}
