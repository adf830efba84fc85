package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sohoa/sohoa/internal/testenv"
)

func openTest(t *testing.T) (*Catalog, string) {
	t.Helper()
	dsn := testenv.PostgresDB(t)
	c, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, dsn
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newDossier(t *testing.T, c *Catalog, code string) {
	t.Helper()
	if _, err := c.CreateDossier(context.Background(),
		Dossier{Code: code, Procedure: "1.001234", Office: "UBND phường Bắc Ninh"}, "station-1"); err != nil {
		t.Fatal(err)
	}
}

// moveTo walks a dossier forward from created to status.
func moveTo(t *testing.T, c *Catalog, code string, status Status) {
	t.Helper()
	path := []Status{Created, Uploading, Submitted, Processing}
	if status == Failed {
		path = append(path, Failed)
	} else {
		path = append(path, Assembled, Signed, Delivered)
	}
	for i := 1; i < len(path) && path[i-1] != status; i++ {
		if path[i] == Submitted { // only a dossier with pages is submitted
			if _, err := c.AddPage(context.Background(), code, Page{Position: 1, OriginalKey: "orig/" + code,
				SHA256: hashOf(code), Size: 1}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Move(context.Background(), code, path[i-1], path[i], "test", nil); err != nil {
			t.Fatal(err)
		}
	}
}

func countEvents(t *testing.T, c *Catalog) int {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	var before []string
	rows, _ := c.pool.Query(ctx, `SELECT version || applied_at::text FROM schema_migrations ORDER BY version`)
	before, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(before) == 0 {
		t.Fatalf("schema_migrations: %v %v", before, err)
	}
	for range 2 {
		if err := Migrate(ctx, c.pool); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	rows, _ = c.pool.Query(ctx, `SELECT version || applied_at::text FROM schema_migrations ORDER BY version`)
	after, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("schema_migrations changed: %v → %v (%v)", before, after, err)
	}
}

func TestConcurrentMigrate(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Separate pools: as separate processes would be.
			pool, err := pgxpool.New(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = Migrate(ctx, pool)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	c, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var versions int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	files, _ := migrations.ReadDir("migrations")
	if versions != len(files) {
		t.Fatalf("schema_migrations has %d rows, want %d", versions, len(files))
	}
}

func TestForwardPath(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-2025-000001"
	d, err := c.CreateDossier(ctx, Dossier{Code: code, Procedure: "1.001234", Office: "Bắc Ninh"}, "station-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != Created || d.CreatedAt.IsZero() {
		t.Fatalf("created dossier = %+v", d)
	}
	if err := c.Move(ctx, code, Created, Uploading, "station-1", nil); err != nil {
		t.Fatal(err)
	}
	// Added out of order, returned in order.
	for _, pos := range []int{2, 1, 3} {
		p, err := c.AddPage(ctx, code, Page{Position: pos, OriginalKey: fmt.Sprintf("orig/%d", pos),
			SHA256: hashOf(fmt.Sprint(pos)), Size: int64(100 * pos)}, "station-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PageUploaded || p.Stage != "upload" {
			t.Fatalf("added page = %+v", p)
		}
	}
	steps := []Status{Submitted, Processing}
	from := Uploading
	for _, to := range steps {
		if err := c.Move(ctx, code, from, to, "worker-1", map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		from = to
	}
	if err := c.MovePage(ctx, code, 1, "ocr", PageUploaded, PageProcessed, "", "worker-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.MovePage(ctx, code, 2, "deskew", PageUploaded, PageFailed, "image too small", "worker-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.MovePage(ctx, code, 2, "deskew", PageFailed, PageProcessed, "", "worker-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.MovePage(ctx, code, 3, "ocr", PageUploaded, PageProcessed, "", "worker-1"); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Status{Assembled, Signed, Delivered} {
		if err := c.Move(ctx, code, from, to, "worker-1", nil); err != nil {
			t.Fatal(err)
		}
		from = to
	}

	got, err := c.Get(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != Delivered || got.Procedure != "1.001234" || got.Office != "Bắc Ninh" || got.UpdatedAt.Before(got.CreatedAt) {
		t.Fatalf("Get = %+v", got)
	}
	pages, err := c.Pages(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	for i, p := range pages {
		if p.Position != i+1 || p.SHA256 != hashOf(fmt.Sprint(i+1)) || p.Status != PageProcessed || p.Size != int64(100*(i+1)) {
			t.Errorf("page %d = %+v", i, p)
		}
	}
	if pages[1].Stage != "deskew" || pages[1].Error != "" {
		t.Errorf("retried page = %+v", pages[1])
	}

	evs, err := c.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 station-1 →created",
		"0 station-1 created→uploading",
		"2 station-1 →uploaded", "1 station-1 →uploaded", "3 station-1 →uploaded",
		"0 worker-1 uploading→submitted",
		"0 worker-1 submitted→processing",
		"1 worker-1 uploaded→processed",
		"2 worker-1 uploaded→failed",
		"2 worker-2 failed→processed",
		"3 worker-1 uploaded→processed",
		"0 worker-1 processing→assembled",
		"0 worker-1 assembled→signed",
		"0 worker-1 signed→delivered",
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, e := range evs {
		if s := fmt.Sprintf("%d %s %s→%s", e.Page, e.Actor, e.From, e.To); s != want[i] {
			t.Errorf("event %d = %q, want %q", i, s, want[i])
		}
		if i > 0 && e.At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v before event %d at %v", i, e.At, i-1, evs[i-1].At)
		}
	}
	if evs[8].Detail["error"] != "image too small" || evs[8].Detail["stage"] != "deskew" {
		t.Errorf("failed page event detail = %v", evs[8].Detail)
	}
	if evs[2].Detail["sha256"] != hashOf("2") {
		t.Errorf("upload event detail = %v", evs[2].Detail)
	}
}

func TestIllegalMovesRefused(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	all := []Status{Created, Uploading, Submitted, Processing, Assembled, Signed, Delivered, Failed}
	n := 0
	for _, from := range all {
		code := "HS-" + string(from)
		newDossier(t, c, code)
		moveTo(t, c, code, from)
		for _, to := range all {
			if allowed(dossierMoves, from, to) {
				continue
			}
			n++
			before := countEvents(t, c)
			err := c.Move(ctx, code, from, to, "test", nil)
			if !errors.Is(err, ErrIllegalMove) {
				t.Errorf("%s → %s: err = %v, want ErrIllegalMove", from, to, err)
			}
			d, err := c.Get(ctx, code)
			if err != nil || d.Status != from {
				t.Errorf("%s → %s refused but status now %s (%v)", from, to, d.Status, err)
			}
			if after := countEvents(t, c); after != before {
				t.Errorf("%s → %s refused but events %d → %d", from, to, before, after)
			}
		}
		// A legal move named from a status the dossier is not in is refused too.
		for _, stale := range all {
			if stale == from {
				continue
			}
			for _, to := range dossierMoves[stale] {
				if err := c.Move(ctx, code, stale, to, "test", nil); !errors.Is(err, ErrIllegalMove) {
					t.Errorf("dossier in %s, move %s → %s: err = %v, want ErrIllegalMove", from, stale, to, err)
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d illegal moves tried", n)
	}
	if err := c.Move(ctx, "HS-NONE", Created, Uploading, "test", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("move of unknown dossier: %v", err)
	}

	// Pages: processed is final, nothing goes back to uploaded.
	newDossier(t, c, "HS-PAGES")
	if _, err := c.AddPage(ctx, "HS-PAGES", Page{Position: 1, OriginalKey: "k", SHA256: hashOf("p"), Size: 1}, "s"); err != nil {
		t.Fatal(err)
	}
	if err := c.MovePage(ctx, "HS-PAGES", 1, "ocr", PageUploaded, PageProcessed, "", "w"); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, c)
	for _, m := range [][2]PageStatus{
		{PageProcessed, PageFailed}, {PageProcessed, PageUploaded}, {PageProcessed, PageProcessed},
		{PageUploaded, PageProcessed}, {PageFailed, PageProcessed},
	} {
		if err := c.MovePage(ctx, "HS-PAGES", 1, "ocr", m[0], m[1], "", "w"); !errors.Is(err, ErrIllegalMove) {
			t.Errorf("page %s → %s: err = %v, want ErrIllegalMove", m[0], m[1], err)
		}
	}
	if after := countEvents(t, c); after != before {
		t.Errorf("refused page moves changed events %d → %d", before, after)
	}
	if err := c.MovePage(ctx, "HS-PAGES", 2, "ocr", PageUploaded, PageProcessed, "", "w"); !errors.Is(err, ErrNotFound) {
		t.Errorf("move of unknown page: %v", err)
	}
}

func TestRacingMoversOneWins(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	for round := range 10 {
		code := fmt.Sprintf("HS-RACE-%d", round)
		newDossier(t, c, code)
		moveTo(t, c, code, Processing)
		// Half the racers finish the dossier, half fail it: from the same
		// state, only one may succeed (a failed-after-assembled would be
		// legal on its own).
		const racers = 8
		errs := make([]error, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			to := Assembled
			if i%2 == 1 {
				to = Failed
			}
			wg.Go(func() {
				<-start
				errs[i] = c.Move(ctx, code, Processing, to, fmt.Sprintf("worker-%d", i), nil)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrIllegalMove):
				t.Errorf("loser error = %v, want ErrIllegalMove", err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d movers won, want 1", round, wins)
		}
		evs, err := c.Events(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(evs); evs[n-1].From != string(Processing) || evs[n-2].To != string(Processing) {
			t.Fatalf("round %d: events after race = %+v", round, evs)
		}
	}
}

func TestEventsAppendOnly(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	newDossier(t, c, "HS-LOG")
	before := countEvents(t, c)
	for _, sql := range []string{
		`UPDATE events SET actor = 'forger'`,
		`DELETE FROM events`,
		`TRUNCATE events`,
	} {
		if _, err := c.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
	if after := countEvents(t, c); after != before {
		t.Fatalf("events %d → %d", before, after)
	}
	evs, err := c.Events(ctx, "HS-LOG")
	if err != nil || len(evs) != 1 || evs[0].Actor != "station-1" {
		t.Fatalf("events = %+v, %v", evs, err)
	}
}

func TestDuplicatesRefused(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	newDossier(t, c, "HS-DUP")
	if _, err := c.CreateDossier(ctx, Dossier{Code: "HS-DUP"}, "station-2"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate code: err = %v, want ErrExists", err)
	}
	add := func(code string, pos int, content string) error {
		_, err := c.AddPage(ctx, code, Page{Position: pos, OriginalKey: "orig/" + content, SHA256: hashOf(content), Size: 9}, "station-1")
		return err
	}
	if err := add("HS-DUP", 1, "scan-a"); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, c)
	if err := add("HS-DUP", 2, "scan-a"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate hash: err = %v, want ErrExists", err)
	}
	if err := add("HS-DUP", 1, "scan-b"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate position: err = %v, want ErrExists", err)
	}
	if after := countEvents(t, c); after != before {
		t.Errorf("refused duplicates changed events %d → %d", before, after)
	}
	pages, err := c.Pages(ctx, "HS-DUP")
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages = %+v, %v", pages, err)
	}
	// The same scan in another dossier is a different page.
	newDossier(t, c, "HS-OTHER")
	if err := add("HS-OTHER", 1, "scan-a"); err != nil {
		t.Errorf("same hash, other dossier: %v", err)
	}
	if err := add("HS-NONE", 1, "scan-c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("page of unknown dossier: %v", err)
	}
	if _, err := c.Get(ctx, "HS-NONE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	if _, err := c.Pages(ctx, "HS-NONE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pages unknown: %v", err)
	}
}
