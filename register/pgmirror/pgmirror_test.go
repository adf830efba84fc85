package pgmirror

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/registertest"
)

// open returns a mirror in a fresh database.
func open(t testing.TB) *Mirror {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := Open(ctx, testenv.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func csvOf(t testing.TB, cs []register.Citizen) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, slices.Values(cs)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// load loads file, failing the test on an error; it returns the report and
// the rejections.
func load(t testing.TB, m *Mirror, file []byte, batch int) (LoadReport, []Rejection) {
	t.Helper()
	var rej []Rejection
	rep, err := m.Load(context.Background(), bytes.NewReader(file), LoadOptions{Batch: batch, Reject: func(r Rejection) { rej = append(rej, r) }})
	if err != nil {
		t.Fatalf("Load: %v (report %+v)", err, rep)
	}
	return rep, rej
}

// TestConformance loads the suite's citizens through the CSV loader, so
// that every field of every seeded citizen makes the round trip from
// export file to Lookup.
func TestConformance(t *testing.T) {
	registertest.Run(t, func(t *testing.T, cs []register.Citizen) register.Register {
		m := open(t)
		rep, rej := load(t, m, csvOf(t, cs), 0)
		if len(rej) > 0 || rep.Inserted != int64(len(cs)) {
			t.Fatalf("seed load: %+v, rejected %v", rep, rej)
		}
		return m
	})
}

// TestColumnsMatchTable: the loader's column list (csv.go) and the
// migration's table agree, name for name and in order.
func TestColumnsMatchTable(t *testing.T) {
	m := open(t)
	rows, err := m.pool.Query(context.Background(), `SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'register' AND table_name = 'citizens' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := append(slices.Clone(columnNames), "changed_at")
	if !slices.Equal(got, want) {
		t.Errorf("table columns %v\nloader columns %v", got, want)
	}
	// Migrating again changes nothing.
	if err := Migrate(context.Background(), m.pool); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
}

func generated(n int) []register.Citizen {
	cs := make([]register.Citizen, n)
	for i := range cs {
		cs[i] = registertest.Generate(i)
	}
	return cs
}

func count(t testing.TB, m *Mirror) int {
	t.Helper()
	var n int
	if err := m.pool.QueryRow(context.Background(), `SELECT count(*) FROM register.citizens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReload: loading the same file again duplicates nothing and rewrites
// nothing; a changed row is updated, and only it.
func TestReload(t *testing.T) {
	m := open(t)
	cs := generated(2500)
	file := csvOf(t, cs)
	rep, rej := load(t, m, file, 1000)
	if len(rej) > 0 || rep.Read != 2500 || rep.Inserted != 2500 || rep.Batches != 3 {
		t.Fatalf("first load: %+v, rejected %v", rep, rej)
	}
	var before time.Time
	if err := m.pool.QueryRow(context.Background(), `SELECT max(changed_at) FROM register.citizens`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	rep, rej = load(t, m, file, 1000)
	if len(rej) > 0 || rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != 2500 {
		t.Fatalf("reload: %+v, rejected %v", rep, rej)
	}
	if n := count(t, m); n != 2500 {
		t.Fatalf("%d rows after reload, want 2500", n)
	}

	cs[1234].Current.Detail = "Số 1 đường Trần Hưng Đạo"
	cs[1234].Spouse = register.Relative{Name: "Lê Thị Thu"}
	cs = append(cs, registertest.Generate(2500))
	rep, rej = load(t, m, csvOf(t, cs), 0)
	if len(rej) > 0 || rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 2499 {
		t.Fatalf("changed load: %+v, rejected %v", rep, rej)
	}
	var changed []string
	rows, _ := m.pool.Query(context.Background(), `SELECT id FROM register.citizens WHERE changed_at > $1 ORDER BY id`, before)
	for rows.Next() {
		var id string
		rows.Scan(&id)
		changed = append(changed, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{cs[1234].ID, cs[2500].ID}
	slices.Sort(want)
	if !slices.Equal(changed, want) {
		t.Errorf("rows changed by the second load: %v, want %v", changed, want)
	}
	got, err := m.Lookup(context.Background(), registertest.Ask(cs[1234].ID))
	if err != nil || got == nil || got.Current.Detail != "Số 1 đường Trần Hưng Đạo" || got.Spouse.Name != "Lê Thị Thu" {
		t.Errorf("updated citizen: %+v, %v", got, err)
	}
}

// TestRejects: each kind of bad row is refused with its line and reason,
// and every good row around it is loaded.
func TestRejects(t *testing.T) {
	m := open(t)
	// A citizen already in the mirror holds legacy number 100000000.
	held := registertest.Generate(0)
	if rep, rej := load(t, m, csvOf(t, []register.Citizen{held}), 0); rep.Inserted != 1 || len(rej) > 0 {
		t.Fatalf("seed: %+v %v", rep, rej)
	}
	file := strings.Join([]string{
		"id,legacy_id,family_name,middle_name,given_name,gender,birth,current_detail", // 1
		"001085012345,012345678,Nguyễn,Văn,An,1,19850312,Hà Nội",                      // 2 good
		"001085012346,,Trần,,Bình,1,19850312",                                         // 3 too few fields
		"00108501234,,Trần,,Bình,1,19850312,",                                         // 4 11 digits
		"003085012347,,Trần,,Bình,1,19850312,",                                        // 5 no province 003
		"001085012348,,Trần,,Bình,2,19850312,",                                        // 6 gender vs id
		"001085012349,,Trần,,Bình,1,19860312,",                                        // 7 birth year vs id
		"001085012350,,Trần,,Bình,1,19850230,",                                        // 8 no 30 February
		"001085012351,,,,Bình,1,1985,",                                                // 9 no family name
		"001085012352,12345,Trần,,Bình,1,1985,",                                       // 10 legacy of 5
		"001085012353,,Trần,,Bình\u202e,1,1985,",                                      // 11 bidi override
		"001085012354,,Trần,,Bình,1,1985,\"Số 5\nngõ 7\"",                             // 12-13 newline in a field
		"001185012355,,Lê,Thị,Hoa,2,1985,",                                            // 14 good, after the two-line row
		"001185012356,012345678,Lê,Thị,Cúc,2,1985,",                                   // 15 legacy of line 2
		"001185012357," + held.LegacyID + ",Lê,Thị,Đào,2,1985,",                       // 16 legacy held in the mirror
		"001085012345,012345678,Nguyễn,Văn,An,1,19850312,Hải Phòng",                   // 17 same id as line 2: wins
		"001185012358,,Lê,Thị,\"Hồng,2,1985,",                                         // 18 quote never closed
	}, "\n") + "\n"
	rep, rej := load(t, m, []byte(file), 0)
	wantLines := map[int]string{3: "wrong number of fields", 4: "12 digits", 5: "no province", 6: "gender 2 disagrees",
		7: "birth 19860312 disagrees", 8: "no such day", 9: "family_name", 10: "legacy_id", 11: "bidirectional",
		12: "control", 15: "already held by line 2", 16: "already held by citizen " + held.ID, 18: `"`}
	for _, r := range rej {
		want, ok := wantLines[r.Line]
		if !ok {
			t.Errorf("unexpected rejection %v", r)
			continue
		}
		if !strings.Contains(r.Reason, want) {
			t.Errorf("line %d rejected for %q, want a reason with %q", r.Line, r.Reason, want)
		}
		delete(wantLines, r.Line)
	}
	for line, want := range wantLines {
		t.Errorf("line %d not rejected (want %q)", line, want)
	}
	if !slices.IsSortedFunc(rej, func(a, b Rejection) int { return a.Line - b.Line }) {
		t.Errorf("rejections out of line order: %v", rej)
	}
	if rep.Read != 16 || rep.Rejected != 13 || rep.Superseded != 1 || rep.Inserted != 2 || rep.Updated != 0 {
		t.Errorf("report %+v, want 16 read, 13 rejected, 1 superseded, 2 inserted", rep)
	}
	an, err := m.Lookup(context.Background(), registertest.Ask("001085012345"))
	if err != nil || an == nil || an.Current.Detail != "Hải Phòng" || an.LegacyID != "012345678" {
		t.Errorf("the later row of a repeated id should win: %+v, %v", an, err)
	}
	if n := count(t, m); n != 3 {
		t.Errorf("%d rows in the mirror, want 3", n)
	}
}

// TestHeader: columns in any order, a subset, a byte order mark; unknown,
// repeated and missing required columns stop the load before any row.
func TestHeader(t *testing.T) {
	m := open(t)
	rep, rej := load(t, m, []byte("\ufeffBirth, Given_Name ,family_name,id\n19850312,An,Nguyễn,001085012345\n"), 0)
	if rep.Inserted != 1 || len(rej) > 0 {
		t.Fatalf("load with BOM and reordered columns: %+v %v", rep, rej)
	}
	c, err := m.Lookup(context.Background(), registertest.Ask("001085012345"))
	if err != nil || c == nil || c.Name.String() != "Nguyễn An" || c.Birth != (register.Date{Year: 1985, Month: 3, Day: 12}) || c.LegacyID != "" {
		t.Errorf("loaded %+v, %v", c, err)
	}
	for _, tt := range []struct{ file, want string }{
		{"id,family_name,given_name,birth,adress\n", `unknown column "adress"`},
		{"id,family_name,given_name,birth,id\n", `column "id" twice`},
		{"id,family_name,given_name\n", `required column "birth" missing`},
		{"", "empty file"},
	} {
		_, err := m.Load(context.Background(), strings.NewReader(tt.file), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("header %q: err = %v, want %q", tt.file, err, tt.want)
		}
	}
}

// TestSupersededAcrossBatches: a number repeated in a later batch
// updates the row; the result does not depend on the batch size.
func TestSupersededAcrossBatches(t *testing.T) {
	for _, batch := range []int{1, 2, 100} {
		m := open(t)
		a := registertest.Generate(1)
		b := a
		b.Permanent.Detail = "moved"
		rep, rej := load(t, m, csvOf(t, []register.Citizen{a, registertest.Generate(2), b}), batch)
		if len(rej) > 0 || rep.Inserted+rep.Updated+rep.Unchanged+rep.Superseded != 3 {
			t.Errorf("batch %d: %+v %v", batch, rep, rej)
		}
		c, err := m.Lookup(context.Background(), registertest.Ask(a.ID))
		if err != nil || c == nil || c.Permanent.Detail != "moved" {
			t.Errorf("batch %d: %+v, %v; want the later row", batch, c, err)
		}
	}
}
