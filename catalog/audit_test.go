package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// walk takes a new dossier through the flow with every kind of event:
// creation, page uploads, dossier and page moves (one page failing then
// passing), and accesses; it returns the dossier's events.
func walk(t *testing.T, c *Catalog, code string) []Event {
	t.Helper()
	ctx := context.Background()
	newDossier(t, c, code)
	for pos := 1; pos <= 3; pos++ {
		if _, err := c.AddPage(ctx, code, Page{Position: pos, OriginalKey: fmt.Sprintf("orig/%s/%d", code, pos),
			SHA256: hashOf(code + fmt.Sprint(pos)), Size: int64(1000 * pos)}, "station-1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range [][2]Status{{Uploading, Submitted}, {Submitted, Processing}} {
		if err := c.Move(ctx, code, m[0], m[1], "worker-a", map[string]any{"task": "t-1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Record(ctx, code, "operator-lan", "download-original", map[string]any{"page": 2}); err != nil {
		t.Fatal(err)
	}
	for pos := 1; pos <= 3; pos++ {
		if pos == 2 {
			if err := c.MovePage(ctx, code, pos, "deskew", PageUploaded, PageFailed, "ảnh quá nhỏ", "worker-a"); err != nil {
				t.Fatal(err)
			}
			if err := c.MovePage(ctx, code, pos, "deskew", PageFailed, PageProcessed, "", "worker-b"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := c.MovePageWith(ctx, code, pos, PageMove{Stage: "ocr", From: PageUploaded, To: PageProcessed,
			ResultKey: "ocr/" + code, Detail: map[string]any{"confidence": 91.5, "words": 312}}, "worker-a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.MoveWith(ctx, code, DossierMove{From: Processing, To: Assembled, AssembledKey: "asm/" + code,
		Detail: map[string]any{"pages": []any{1, 2, 3}}}, "worker-a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Record(ctx, code, "citizen", "pickup", nil); err != nil {
		t.Fatal(err)
	}
	evs, err := c.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// recordOf is what e's hash covers, as the seq-th event of its trail:
// built from what Events returns and the event's page id, as an outside
// checker would.
func recordOf(t *testing.T, c *Catalog, e Event, seq int64) trailRecord {
	t.Helper()
	var pageID int64
	if err := c.pool.QueryRow(context.Background(), `SELECT coalesce(page_id, 0) FROM events WHERE id = $1`,
		e.ID).Scan(&pageID); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e.Detail)
	if err != nil {
		t.Fatal(err)
	}
	detail, err := canonicalJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return trailRecord{Dossier: e.Dossier, Seq: seq, PageID: pageID, Action: e.Action, Actor: e.Actor,
		From: e.From, To: e.To, Detail: detail, At: trailTime(e.At)}
}

func rehash(t *testing.T, r trailRecord, prev string) string {
	t.Helper()
	h, err := r.hash(prev)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func verifyClean(t *testing.T, c *Catalog, code string) {
	t.Helper()
	problems, err := c.VerifyTrail(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("untouched trail of %s: %v", code, problems)
	}
}

func TestAuditTrailClean(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	evs := walk(t, c, "HS-AUDIT-1")
	walk(t, c, "HS-AUDIT-2")
	verifyClean(t, c, "HS-AUDIT-1")

	actions := map[string]int{}
	for i, e := range evs {
		actions[e.Action]++
		if i == 0 && e.PrevHash != "" || i > 0 && e.PrevHash != evs[i-1].Hash {
			t.Errorf("event %d: prev_hash %q does not link to %q", e.ID, e.PrevHash, evs[max(i-1, 0)].Hash)
		}
		if i > 0 && e.ID <= evs[i-1].ID {
			t.Errorf("event ids not increasing: %d after %d", e.ID, evs[i-1].ID)
		}
		if got := rehash(t, recordOf(t, c, e, int64(i+1)), e.PrevHash); got != e.Hash {
			t.Errorf("event %d: recomputed hash %s, stored %s", e.ID, got, e.Hash)
		}
		access := e.Action != ActionMove
		if access != (e.To == "") || access && e.From != "" {
			t.Errorf("event %d: action %q from %q to %q", e.ID, e.Action, e.From, e.To)
		}
	}
	if actions[ActionMove] != len(evs)-2 || actions["pickup"] != 1 || actions["download-original"] != 1 {
		t.Errorf("actions = %v", actions)
	}
	if last := evs[len(evs)-1]; last.Actor != "citizen" || last.Action != "pickup" {
		t.Errorf("last event = %+v", last)
	}
	var head string
	var n int
	if err := c.pool.QueryRow(ctx, `SELECT trail_head, trail_len FROM dossiers WHERE code = 'HS-AUDIT-1'`).Scan(&head, &n); err != nil {
		t.Fatal(err)
	}
	if head != evs[len(evs)-1].Hash || n != len(evs) {
		t.Errorf("dossier trail head %s len %d, want %s %d", head, n, evs[len(evs)-1].Hash, len(evs))
	}

	// Pages renumbered (reordered before submission) leave the trail
	// valid: it names pages by id, not position.
	for _, sql := range []string{
		`UPDATE pages SET position = 1000000 - position WHERE dossier_id = (SELECT id FROM dossiers WHERE code = 'HS-AUDIT-2')`,
		`UPDATE pages SET position = position - 999996 WHERE dossier_id = (SELECT id FROM dossiers WHERE code = 'HS-AUDIT-2')`,
	} {
		if _, err := c.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	verifyClean(t, c, "HS-AUDIT-2")

	checked, problems, err := c.VerifyAllTrails(ctx)
	if err != nil || checked != 2 || len(problems) != 0 {
		t.Fatalf("VerifyAllTrails = %d, %v, %v", checked, problems, err)
	}
	rep, err := c.VerifyTrails(ctx, "")
	if err != nil || rep.Dossiers != 2 || rep.Events != 2*len(evs) {
		t.Fatalf("VerifyTrails = %+v, %v; want 2 dossiers, %d events", rep, err, 2*len(evs))
	}

	if _, err := c.VerifyTrail(ctx, "HS-NONE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("VerifyTrail of unknown dossier: %v", err)
	}
	if err := c.Record(ctx, "HS-NONE", "x", "download-pdf", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Record on unknown dossier: %v", err)
	}
	before := countEvents(t, c)
	for _, action := range []string{"", ActionMove, "Download", "download pdf", "-x"} {
		if err := c.Record(ctx, "HS-AUDIT-1", "x", action, nil); err == nil {
			t.Errorf("Record with action %q accepted", action)
		}
	}
	if after := countEvents(t, c); after != before {
		t.Errorf("refused records changed events %d → %d", before, after)
	}
	// The service's role cannot write an event around the chain.
	if _, err := c.pool.Exec(ctx, `INSERT INTO events (dossier_id, actor, to_status)
		SELECT id, 'forger', 'signed' FROM dossiers WHERE code = 'HS-AUDIT-1'`); err == nil {
		t.Error("event without a hash accepted")
	}
}

// TestAuditDetailRoundTrip: the detail hashed is the detail jsonb gives
// back, for every kind of JSON value.
func TestAuditDetailRoundTrip(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	newDossier(t, c, "HS-DETAIL")
	for i, detail := range []map[string]any{
		nil,
		{},
		{"int": 7, "neg": -42, "int64": int64(1) << 53, "big": int64(1)<<53 + 1, "uint8": uint8(200)},
		{"half": 1.5, "tenth": 0.1, "third": 1.0 / 3, "whole": 2.0, "huge": 1e21, "tiny": 1e-7,
			"max": math.MaxFloat64, "min": math.SmallestNonzeroFloat64, "negzero": math.Copysign(0, -1), "float32": float32(0.1)},
		{"nested": map[string]any{"b": []any{1, "hai", 3.25, nil, true, map[string]any{"z": 1, "a": []int{}}}, "a": map[string]any{}}},
		{"họ tên": "Nguyễn Thị Ánh Tuyết", "địa chỉ": "Phường Bắc Ninh, tỉnh Bắc Ninh", "ghi chú": "Đã nhận bản gốc ✓ 📄"},
		{"html": "<a href=\"x\">&amp;</a>", "ctl": "tab\tnew\nline\u2028sep\u007f", "quote": `"\\`, "empty": ""},
		{"z": 1, "a": 2, "m": 3, "Ä": 4, "A": 5},
		{"list": []string{"một", "hai"}, "ints": []int64{-1, 0, 1}, "floats": []float64{-0.5, 1e100}},
	} {
		if err := c.Record(ctx, "HS-DETAIL", "tester", "read-trail", detail); err != nil {
			t.Fatalf("detail %d: %v", i, err)
		}
		verifyClean(t, c, "HS-DETAIL")
	}
	evs, err := c.Events(ctx, "HS-DETAIL")
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[len(evs)-4].Detail["họ tên"]; got != "Nguyễn Thị Ánh Tuyết" {
		t.Errorf("Vietnamese detail read back as %q", got)
	}
	if got := evs[3].Detail["big"]; got != float64(1<<53+1) {
		t.Errorf("int beyond 2^53 read back as %v", got)
	}
	// A detail JSON cannot hold is refused, changing nothing.
	before := countEvents(t, c)
	if err := c.Record(ctx, "HS-DETAIL", "tester", "read-trail", map[string]any{"nan": math.NaN()}); err == nil {
		t.Error("NaN in detail accepted")
	}
	if after := countEvents(t, c); after != before {
		t.Errorf("refused detail changed events %d → %d", before, after)
	}
	verifyClean(t, c, "HS-DETAIL")
}

// TestAuditTrailTampering edits, deletes and inserts events as someone who
// can switch the append-only trigger off, and expects each to be found
// and the right event named.
func TestAuditTrailTampering(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	// The test's role owns the tables, as an attacker with the owner's
	// password would.
	if _, err := c.pool.Exec(ctx, `ALTER TABLE events DISABLE TRIGGER events_no_update_delete`); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if tag, err := c.pool.Exec(ctx, sql, args...); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v (%d rows)", sql, err, tag.RowsAffected())
		}
	}
	randomHash := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	// forge inserts an event after the dossier's last, linked to it.
	forge := func(code string, last Event, hash string) int64 {
		t.Helper()
		var id int64
		if err := c.pool.QueryRow(ctx, `
			INSERT INTO events (dossier_id, action, actor, to_status, detail, at, prev_hash, hash)
			SELECT id, 'move', 'forger', 'delivered', '{}', $2, $3, $4 FROM dossiers WHERE code = $1
			RETURNING id`, code, last.At, last.Hash, hash).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	forged := func(code string, evs []Event) string {
		last := evs[len(evs)-1]
		return rehash(t, trailRecord{Dossier: code, Seq: int64(len(evs) + 1), Action: ActionMove, Actor: "forger",
			To: "delivered", Detail: json.RawMessage(`{}`), At: trailTime(last.At)}, last.Hash)
	}

	tests := []struct {
		name string
		// tamper changes the trail and returns the event that must be
		// named, and a word the reason must use.
		tamper func(code string, evs []Event) (int64, string)
	}{
		{"edited actor", func(code string, evs []Event) (int64, string) {
			exec(`UPDATE events SET actor = 'worker-z' WHERE id = $1`, evs[9].ID)
			return evs[9].ID, "edited"
		}},
		{"edited detail", func(code string, evs []Event) (int64, string) {
			exec(`UPDATE events SET detail = jsonb_set(detail, '{error}', '"no error"') WHERE id = $1`, evs[10].ID)
			return evs[10].ID, "edited"
		}},
		{"edited time", func(code string, evs []Event) (int64, string) {
			exec(`UPDATE events SET at = at - interval '1 day' WHERE id = $1`, evs[4].ID)
			return evs[4].ID, "edited"
		}},
		{"moved to another page", func(code string, evs []Event) (int64, string) {
			exec(`UPDATE events SET page_id = (SELECT p.id FROM pages p JOIN dossiers d ON d.id = p.dossier_id
				WHERE d.code = $2 AND p.position = 1) WHERE id = $1`, evs[11].ID, code)
			return evs[11].ID, "edited"
		}},
		{"deleted middle", func(code string, evs []Event) (int64, string) {
			exec(`DELETE FROM events WHERE id = $1`, evs[6].ID)
			return evs[7].ID, "deleted"
		}},
		{"deleted first", func(code string, evs []Event) (int64, string) {
			exec(`DELETE FROM events WHERE id = $1`, evs[0].ID)
			return evs[1].ID, "deleted"
		}},
		{"deleted last", func(code string, evs []Event) (int64, string) {
			exec(`DELETE FROM events WHERE id = $1`, evs[len(evs)-1].ID)
			return evs[len(evs)-2].ID, "deleted"
		}},
		{"inserted with a made-up hash", func(code string, evs []Event) (int64, string) {
			id := forge(code, evs[len(evs)-1], randomHash())
			return id, "does not match its hash"
		}},
		{"inserted with the right hash", func(code string, evs []Event) (int64, string) {
			id := forge(code, evs[len(evs)-1], forged(code, evs))
			return id, "inserted"
		}},
		{"inserted, then the catalog appends", func(code string, evs []Event) (int64, string) {
			forge(code, evs[len(evs)-1], forged(code, evs))
			if err := c.Record(ctx, code, "operator-lan", "download-pdf", nil); err != nil {
				t.Fatal(err)
			}
			after, err := c.Events(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			return after[len(after)-1].ID, "inserted"
		}},
		{"edited and re-hashed", func(code string, evs []Event) (int64, string) {
			e := evs[9]
			e.Actor = "worker-z"
			exec(`UPDATE events SET actor = $2, hash = $3 WHERE id = $1`, e.ID, e.Actor, rehash(t, recordOf(t, c, e, 10), e.PrevHash))
			return evs[10].ID, "edited and its hash recomputed"
		}},
		{"last edited and re-hashed", func(code string, evs []Event) (int64, string) {
			n := len(evs)
			e := evs[n-1]
			e.Actor = "someone-else"
			exec(`UPDATE events SET actor = $2, hash = $3 WHERE id = $1`, e.ID, e.Actor, rehash(t, recordOf(t, c, e, int64(n)), e.PrevHash))
			return e.ID, "edited and its hash recomputed"
		}},
	}
	tampered := map[string]bool{}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := fmt.Sprintf("HS-TAMPER-%02d", i)
			evs := walk(t, c, code)
			verifyClean(t, c, code)
			want, says := tc.tamper(code, evs)
			tampered[code] = true
			problems, err := c.VerifyTrail(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 {
				t.Fatalf("problems = %v, want one", problems)
			}
			p := problems[0]
			t.Log(p)
			if p.Dossier != code || p.EventID != want {
				t.Errorf("problem names dossier %s event %d, want %s event %d", p.Dossier, p.EventID, code, want)
			}
			if !strings.Contains(p.Reason, fmt.Sprintf("event %d ", want)) || !strings.Contains(p.Reason, says) {
				t.Errorf("reason %q does not name event %d and say %q", p.Reason, want, says)
			}
		})
	}
	// An event moved to another dossier's trail, hash and all, fits
	// neither: it is missing from one and does not follow in the other.
	t.Run("moved to another dossier", func(t *testing.T) {
		evs := walk(t, c, "HS-MOVED-A")
		walk(t, c, "HS-MOVED-B")
		exec(`UPDATE events SET dossier_id = (SELECT id FROM dossiers WHERE code = 'HS-MOVED-B') WHERE id = $1`, evs[5].ID)
		tampered["HS-MOVED-A"], tampered["HS-MOVED-B"] = true, true
		for code, want := range map[string]int64{"HS-MOVED-A": evs[6].ID, "HS-MOVED-B": evs[5].ID} {
			problems, err := c.VerifyTrail(ctx, code)
			if err != nil || len(problems) != 1 || problems[0].EventID != want {
				t.Errorf("%s: problems %v, %v; want event %d named", code, problems, err, want)
			}
		}
	})
	// A trail that was never touched still verifies, and the whole-catalog
	// check names exactly the tampered dossiers.
	walk(t, c, "HS-UNTOUCHED")
	checked, problems, err := c.VerifyAllTrails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if checked != len(tampered)+1 {
		t.Errorf("checked %d dossiers, want %d", checked, len(tampered)+1)
	}
	named := map[string]bool{}
	for _, p := range problems {
		named[p.Dossier] = true
	}
	if len(problems) != len(tampered) || len(named) != len(tampered) || named["HS-UNTOUCHED"] {
		t.Errorf("VerifyAllTrails named %v, want the %d tampered", named, len(tampered))
	}
}

// TestAuditUnhashedEvents: an event written without a hash (as all were
// before migration 0003) is reported, not passed over.
func TestAuditUnhashedEvents(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	newDossier(t, c, "HS-OLD")
	if _, err := c.pool.Exec(ctx, `ALTER TABLE events DROP CONSTRAINT events_hashed`); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := c.pool.QueryRow(ctx, `INSERT INTO events (dossier_id, actor, from_status, to_status)
		SELECT id, 'station-1', 'created', 'uploading' FROM dossiers WHERE code = 'HS-OLD' RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	problems, err := c.VerifyTrail(ctx, "HS-OLD")
	if err != nil || len(problems) != 1 || problems[0].EventID != id || !strings.Contains(problems[0].Reason, "no hash") {
		t.Fatalf("problems = %v, %v; want event %d without a hash", problems, err, id)
	}
}

// TestAuditConcurrentAppends: workers appending to one dossier's trail at
// once (page moves and accesses) leave one unbroken chain.
func TestAuditConcurrentAppends(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code, workers, records = "HS-CONC", 8, 6
	newDossier(t, c, code)
	for pos := 1; pos <= workers; pos++ {
		if _, err := c.AddPage(ctx, code, Page{Position: pos, OriginalKey: fmt.Sprint(pos),
			SHA256: hashOf(fmt.Sprint("conc", pos)), Size: 1}, "station-1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range [][2]Status{{Uploading, Submitted}, {Submitted, Processing}} {
		if err := c.Move(ctx, code, m[0], m[1], "worker-0", nil); err != nil {
			t.Fatal(err)
		}
	}
	before, err := c.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*(records+2))
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			actor := fmt.Sprintf("worker-%d", w)
			for i := range records {
				if i == records/2 {
					errs <- c.MovePage(ctx, code, w+1, "ocr", PageUploaded, PageFailed, "timeout", actor)
					errs <- c.MovePage(ctx, code, w+1, "ocr", PageFailed, PageProcessed, "", actor)
				}
				errs <- c.Record(ctx, code, actor, "read-trail", map[string]any{"i": i, "w": w})
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	verifyClean(t, c, code)
	rep, err := c.VerifyTrails(ctx, code)
	if want := len(before) + workers*(records+2); err != nil || rep.Events != want {
		t.Fatalf("VerifyTrails = %+v, %v; want %d events", rep, err, want)
	}
	evs, err := c.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v before event %d at %v", evs[i].ID, evs[i].At, evs[i-1].ID, evs[i-1].At)
		}
	}
}
