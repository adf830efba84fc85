package pgmirror

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBatch is how many rows Load copies and merges in one transaction:
// large enough that COPY's speed is not lost to round trips, small enough
// that an interrupted load of a million rows keeps most of its work and a
// batch's staging rows stay in memory on the server.
const DefaultBatch = 50_000

// loadLockKey makes loads of one mirror take turns: two at once could
// both pass the legacy-number check and then collide on its unique index.
const loadLockKey int64 = 0x736f686f61726c // "sohoarl"

// LoadOptions tune Load. The zero value is ready to use.
type LoadOptions struct {
	// Batch is the number of rows per transaction; DefaultBatch when 0.
	Batch int
	// Reject, when set, is told of every row that was not loaded, in line
	// order within each batch, once the batch is committed.
	Reject func(Rejection)
	// Now is the clock the ID numbers' birth years are checked against;
	// time.Now when nil.
	Now func() time.Time
}

// Rejection is a row Load did not load, and why.
type Rejection struct {
	Line   int    // line of the file where the row starts (the header is line 1)
	ID     string // the row's id field, as far as it could be read
	Reason string
}

func (r Rejection) Error() string {
	if r.ID == "" {
		return fmt.Sprintf("line %d: %s", r.Line, r.Reason)
	}
	return fmt.Sprintf("line %d (id %s): %s", r.Line, r.ID, r.Reason)
}

// LoadReport counts what a load did. Read = Rejected + Superseded +
// Inserted + Updated + Unchanged.
type LoadReport struct {
	Read     int64 // data rows read (the header not counted)
	Rejected int64 // rows refused, each told to LoadOptions.Reject
	// Superseded rows were followed, in the same batch, by another row
	// with the same id, which was loaded instead: a file is loaded as if
	// its rows were applied in order, so the last row of a number wins.
	Superseded int64
	Inserted   int64 // citizens new to the mirror
	Updated    int64 // citizens whose row changed
	Unchanged  int64 // citizens whose row was already as the file says
	Batches    int   // transactions committed
}

// Load streams a CSV export (format: csv.go) into the mirror. Rows are
// checked as they are read; a bad row is rejected, with its line number
// and reason, and the load goes on with the next, so that one typo does
// not hold back a province's million good rows. A row for a number already
// in the mirror replaces it (unchanged rows are not rewritten), so loading
// the same file twice leaves the mirror as the first load did. A citizen
// absent from the file stays in the mirror.
//
// Each batch of rows is copied into a temporary table with COPY and merged
// in one transaction. An error other than a bad row (the file unreadable,
// the header wrong, the database gone) stops the load and is returned with
// the report of the batches already committed; loading the file again
// finishes the job.
func (m *Mirror) Load(ctx context.Context, r io.Reader, opt LoadOptions) (LoadReport, error) {
	var rep LoadReport
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	fields, err := cr.Read()
	if err == io.EOF {
		return rep, fmt.Errorf("load register CSV: empty file, not even a header")
	}
	if err != nil {
		return rep, fmt.Errorf("load register CSV: header: %w", err)
	}
	index, err := header(fields)
	if err != nil {
		return rep, fmt.Errorf("load register CSV: %w", err)
	}
	cr.FieldsPerRecord = len(fields)

	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("load register CSV: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, loadLockKey); err != nil {
		return rep, fmt.Errorf("load register CSV: wait for other loads: %w", err)
	}
	defer func() {
		// A cancelled ctx must not leave the lock held on a pooled
		// connection.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, loadLockKey); err != nil {
			conn.Conn().Close(ctx)
		}
	}()
	// ON COMMIT DELETE ROWS empties it after every batch; it lives as
	// long as the connection, which the pool may reuse for the next load.
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS register_load
		(line bigint NOT NULL, LIKE register.citizens INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return rep, fmt.Errorf("load register CSV: staging table: %w", err)
	}

	src := &rowSource{cr: cr, index: index, now: opt.Now(), limit: opt.Batch}
	for {
		src.n, src.rejected = 0, src.rejected[:0]
		var merged batchResult
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"register_load"}, append([]string{"line"}, columnNames...), src); err != nil {
				return fmt.Errorf("copy: %w", err)
			}
			if src.n == 0 {
				return nil
			}
			var err error
			merged, err = merge(ctx, tx)
			return err
		})
		rep.Read += int64(src.read)
		src.read = 0
		if err != nil {
			if src.err != nil {
				err = src.err
			}
			return rep, fmt.Errorf("load register CSV, batch %d (from line %d): %w", rep.Batches+1, src.first, err)
		}
		rejected := append(src.rejected, merged.rejected...)
		slices.SortFunc(rejected, func(a, b Rejection) int { return a.Line - b.Line })
		rep.Rejected += int64(len(rejected))
		if opt.Reject != nil {
			for _, r := range rejected {
				opt.Reject(r)
			}
		}
		rep.Superseded += merged.superseded
		rep.Inserted += merged.inserted
		rep.Updated += merged.updated
		rep.Unchanged += int64(src.n) - merged.superseded - int64(len(merged.rejected)) - merged.inserted - merged.updated
		if src.n > 0 {
			rep.Batches++
		}
		if src.done {
			return rep, nil
		}
	}
}

// batchResult is what merging one batch did.
type batchResult struct {
	superseded, inserted, updated int64
	rejected                      []Rejection
}

// mergeRows moves the staged rows into the table, made once from the
// column list.
var mergeRows = func() string {
	cols := strings.Join(columnNames, ", ")
	var set, old, new []string
	for _, c := range columnNames[1:] {
		set = append(set, c)
		old = append(old, "c."+c)
		new = append(new, "EXCLUDED."+c)
	}
	// xmax is 0 on a row this statement inserted, set on one it
	// updated: the usual way to count the two without a second scan.
	return `WITH up AS (
			INSERT INTO register.citizens AS c (` + cols + `)
			SELECT ` + cols + ` FROM register_load
			ON CONFLICT (id) DO UPDATE SET (` + strings.Join(set, ", ") + `, changed_at) = (` + strings.Join(new, ", ") + `, now())
			WHERE (` + strings.Join(old, ", ") + `) IS DISTINCT FROM (` + strings.Join(new, ", ") + `)
			RETURNING xmax = 0 AS inserted)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`
}()

// merge moves the staged batch into register.citizens. A legacy number
// belongs to the number whose row claimed it first, in the mirror or else
// in the file: a row of another number claiming it is rejected. Then the
// last row of each number wins over its earlier rows.
func merge(ctx context.Context, tx pgx.Tx) (batchResult, error) {
	var res batchResult
	for _, q := range []string{
		`WITH first AS (
			SELECT DISTINCT ON (legacy_id) legacy_id, id, line FROM register_load
			WHERE legacy_id IS NOT NULL ORDER BY legacy_id, line)
		DELETE FROM register_load a USING first f
			WHERE a.legacy_id = f.legacy_id AND a.id <> f.id
			RETURNING a.line, a.id, a.legacy_id, 'line ' || f.line || ' (id ' || f.id || ')'`,
		`DELETE FROM register_load s USING register.citizens c
			WHERE s.legacy_id = c.legacy_id AND s.id <> c.id
			RETURNING s.line, s.id, s.legacy_id, 'citizen ' || c.id || ' in the mirror'`,
	} {
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return res, fmt.Errorf("check legacy numbers: %w", err)
		}
		var line int64
		var id, legacy, holder string
		_, err = pgx.ForEachRow(rows, []any{&line, &id, &legacy, &holder}, func() error {
			res.rejected = append(res.rejected, Rejection{Line: int(line), ID: id,
				Reason: fmt.Sprintf("legacy_id %s is already held by %s", legacy, holder)})
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("check legacy numbers: %w", err)
		}
	}
	tag, err := tx.Exec(ctx, `DELETE FROM register_load a USING register_load b WHERE a.id = b.id AND a.line < b.line`)
	if err != nil {
		return res, fmt.Errorf("drop superseded rows: %w", err)
	}
	res.superseded = tag.RowsAffected()
	if err := tx.QueryRow(ctx, mergeRows).Scan(&res.inserted, &res.updated); err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	return res, nil
}

// rowSource feeds COPY with the checked rows of one batch, and keeps the
// rejected ones aside.
type rowSource struct {
	cr    *csv.Reader
	index []int
	now   time.Time
	limit int

	n        int // rows of this batch handed to COPY
	read     int // rows read in this batch, rejected ones included
	first    int // line of the batch's first row
	rejected []Rejection
	done     bool  // the file is read to its end
	err      error // why reading stopped, other than the end
	values   []any
}

func (s *rowSource) Next() bool {
	for !s.done && s.n < s.limit {
		rec, err := s.cr.Read()
		if err == io.EOF {
			s.done = true
			return false
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// encoding/csv resumes at the next record after a wrong field
			// count or a stray quote, so one bad line costs one row.
			s.read++
			s.note(pe.StartLine)
			id := ""
			if len(rec) > 0 && s.index[0] >= 0 && s.index[0] < len(rec) {
				id = rec[s.index[0]]
			}
			s.rejected = append(s.rejected, Rejection{Line: pe.StartLine, ID: id, Reason: pe.Err.Error()})
			continue
		}
		if err != nil {
			s.err = fmt.Errorf("read: %w", err)
			s.done = true
			return false
		}
		s.read++
		line, _ := s.cr.FieldPos(0)
		s.note(line)
		c, err := parseRow(rec, s.index, s.now)
		if err != nil {
			s.rejected = append(s.rejected, Rejection{Line: line, ID: strings.TrimSpace(rec[s.index[0]]), Reason: err.Error()})
			continue
		}
		row := record(&c)
		s.values = s.values[:0]
		s.values = append(s.values, int64(line))
		for i, col := range columns {
			switch {
			case col.name == "gender":
				s.values = append(s.values, int16(c.Gender))
			case col.name == "legacy_id" && c.LegacyID == "":
				s.values = append(s.values, nil)
			default:
				s.values = append(s.values, row[i])
			}
		}
		s.n++
		return true
	}
	return false
}

func (s *rowSource) note(line int) {
	if s.read == 1 {
		s.first = line
	}
}

func (s *rowSource) Values() ([]any, error) { return s.values, nil }

func (s *rowSource) Err() error { return s.err }
