package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

// The events of each dossier form a hash chain, its audit trail: an
// event's hash is SHA-256 of the hash of the dossier's event before it
// ("" for the first) followed by the canonical JSON of the event (a
// trailRecord), and the dossier row keeps the hash of its last event and
// the number of events. The append-only triggers stop the service's own
// role from rewriting the log; the chain is for whoever can get round
// them (an owner or superuser switching the triggers off): an edited,
// deleted or inserted event breaks a link that VerifyTrail names, and
// deleting the last events leaves the dossier's head and length behind.
// What the chain cannot catch is a rewrite of a dossier's whole trail from
// the tampered event on, head included: that takes a copy of the heads
// kept elsewhere.

// ActionMove is the action of an event that changed a status; any other
// action is an access that changed none (see Record).
const ActionMove = "move"

// accessAction is what Record accepts as an action: lower-case words
// joined by hyphens, such as "download-pdf".
var accessAction = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

// trailRecord is what an event's hash covers, marshalled in this field
// order. Event ids are not in it (the database assigns them after the
// hash is made); Seq, the event's 1-based place in its dossier's chain,
// binds it to its place instead. A page is named by its row id, not its
// position, because positions change when pages are reordered or deleted
// before submission; the id is in the event row itself, so the chain can
// be checked from the events table and the dossier codes alone.
type trailRecord struct {
	Dossier string          `json:"dossier"` // code
	Seq     int64           `json:"seq"`
	PageID  int64           `json:"page_id"` // 0 for a dossier event
	Action  string          `json:"action"`
	Actor   string          `json:"actor"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	Detail  json.RawMessage `json:"detail"` // canonical: see canonicalJSON
	At      string          `json:"at"`     // UTC, microseconds: as stored
}

// hash returns the event's hash, hex, chained to prev.
func (r trailRecord) hash(prev string) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// trailTime is how an event's time is hashed. PostgreSQL keeps
// microseconds, so a time read back formats as the one hashed.
func trailTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// canonicalJSON re-encodes a JSON value so that the detail Go hashes and
// the detail read back from jsonb encode the same: through any (numbers
// become float64, object keys are sorted) and json.Marshal. jsonb keeps a
// number's exact decimal value, which parses to the same float64; it does
// not keep -0, so that becomes 0 here too. Integers beyond 2^53 lose
// precision, in the log as before the trail: the stored value is the one
// hashed.
func canonicalJSON(b []byte) (json.RawMessage, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(withoutNegativeZero(v))
}

func withoutNegativeZero(v any) any {
	switch v := v.(type) {
	case float64:
		if v == 0 {
			return 0.0
		}
	case []any:
		for i := range v {
			v[i] = withoutNegativeZero(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = withoutNegativeZero(v[k])
		}
	}
	return v
}

// appendEvent records one event at the end of the dossier's trail. The
// caller's transaction already holds the dossier row locked (that is what
// makes its moves safe); locking it here again, which costs nothing, keeps
// each dossier's chain serial even for a caller that did not.
//
// The event's time comes from the database's clock, read under the lock,
// so that a dossier's trail is in time order even when workers on several
// machines with drifting clocks append to it; it is then inserted as read,
// so the time hashed is the time stored.
func appendEvent(ctx context.Context, tx pgx.Tx, dossierID int64, pageID *int64, action, actor, from, to string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("log event: detail: %w", err)
	}
	r := trailRecord{Action: action, Actor: actor, From: from, To: to}
	if pageID != nil {
		r.PageID = *pageID
	}
	if r.Detail, err = canonicalJSON(raw); err != nil {
		return fmt.Errorf("log event: detail: %w", err)
	}
	var head string
	var at time.Time
	err = tx.QueryRow(ctx, `
		SELECT code, trail_head, trail_len + 1, clock_timestamp()
		FROM dossiers WHERE id = $1
		FOR NO KEY UPDATE`, dossierID).Scan(&r.Dossier, &head, &r.Seq, &at)
	if err != nil {
		return fmt.Errorf("log event: trail head: %w", err)
	}
	r.At = trailTime(at)
	sum, err := r.hash(head)
	if err != nil {
		return fmt.Errorf("log event: %w", err)
	}
	var fromArg *string
	if from != "" {
		fromArg = &from
	}
	if _, err := tx.Exec(ctx, `
		WITH e AS (
			INSERT INTO events (dossier_id, page_id, action, actor, from_status, to_status, detail, at, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10))
		UPDATE dossiers SET trail_head = $10, trail_len = $11 WHERE id = $1`,
		dossierID, pageID, action, actor, fromArg, to, r.Detail, at, head, sum, r.Seq); err != nil {
		return fmt.Errorf("log event: %w", err)
	}
	return nil
}

// Record appends to the dossier's audit trail an access that changes no
// status: action names it ("download-original", "download-pdf", "verify",
// "read-trail", "pickup"; lower-case words joined by hyphens, not
// ActionMove) and detail says what was accessed. The event's From and To
// are empty. An unknown dossier gives ErrNotFound.
func (c *Catalog) Record(ctx context.Context, code string, actor, action string, detail map[string]any) error {
	if action == ActionMove || !accessAction.MatchString(action) {
		return fmt.Errorf("record %q on dossier %s: want an access such as download-pdf: lower-case words joined by '-', not %q",
			action, code, ActionMove)
	}
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		// NO KEY UPDATE: it conflicts with a move's FOR UPDATE and
		// another append's lock, not with inserting pages or events
		// that reference the row.
		err := tx.QueryRow(ctx, `SELECT id FROM dossiers WHERE code = $1 FOR NO KEY UPDATE`, code).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return appendEvent(ctx, tx, id, nil, action, actor, "", "", detail)
	})
	if err != nil {
		return fmt.Errorf("record %s on dossier %s: %w", action, code, err)
	}
	return nil
}

// TrailProblem is the first broken link found in one dossier's trail.
type TrailProblem struct {
	Dossier string // code
	EventID int64  // the event at the break; 0 when there is none to name
	Reason  string // in plain words, naming the event
}

func (p TrailProblem) String() string { return "dossier " + p.Dossier + ": " + p.Reason }

// TrailReport is what VerifyTrails checked and found.
type TrailReport struct {
	Dossiers int
	Events   int
	Problems []TrailProblem // at most one per dossier, in dossier order
}

// VerifyTrail recomputes the dossier's trail and returns its first broken
// link, if any: none means no event was edited, deleted or inserted since
// it was recorded. An unknown dossier gives ErrNotFound.
func (c *Catalog) VerifyTrail(ctx context.Context, code string) ([]TrailProblem, error) {
	rep, err := c.VerifyTrails(ctx, code)
	return rep.Problems, err
}

// VerifyAllTrails is VerifyTrail for every dossier: it returns how many
// were checked and the first broken link of each that has one.
func (c *Catalog) VerifyAllTrails(ctx context.Context) (checked int, problems []TrailProblem, err error) {
	rep, err := c.VerifyTrails(ctx, "")
	return rep.Dossiers, rep.Problems, err
}

// VerifyTrails checks the trail of the dossier with the given code, or of
// every dossier when code is "", in one snapshot (so that events appended
// meanwhile are not taken for inserted ones), and counts what it checked.
// Events recorded before the trail was introduced (migration 0003) have
// no hash and are reported as problems.
func (c *Catalog) VerifyTrails(ctx context.Context, code string) (TrailReport, error) {
	var rep TrailReport
	err := pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rep = TrailReport{}
		// Dossiers left-joined, so that one whose events were all
		// deleted is still checked.
		rows, err := tx.Query(ctx, `
			SELECT d.id, d.code, d.trail_head, d.trail_len,
				e.id, coalesce(e.page_id, 0), coalesce(p.position, 0), coalesce(e.action, ''), coalesce(e.actor, ''),
				coalesce(e.from_status, ''), coalesce(e.to_status, ''), coalesce(e.detail::text, '{}'),
				coalesce(e.at, 'epoch'), e.prev_hash, e.hash
			FROM dossiers d
			LEFT JOIN events e ON e.dossier_id = d.id
			LEFT JOIN pages p ON p.id = e.page_id
			WHERE $1 = '' OR d.code = $1
			ORDER BY d.id, e.id`, code)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur *trailCheck
		for rows.Next() {
			var dossierID int64
			var head string
			var length int64
			var eventID *int64
			var ev trailEvent
			var detail string
			var at time.Time
			if err := rows.Scan(&dossierID, &ev.rec.Dossier, &head, &length, &eventID, &ev.rec.PageID, &ev.position,
				&ev.rec.Action, &ev.rec.Actor, &ev.rec.From, &ev.rec.To, &detail, &at, &ev.prevHash, &ev.hash); err != nil {
				return err
			}
			if cur == nil || cur.dossierID != dossierID {
				cur.finish(&rep)
				cur = &trailCheck{dossierID: dossierID, code: ev.rec.Dossier, head: head, length: length}
				rep.Dossiers++
			}
			if eventID == nil {
				continue
			}
			rep.Events++
			ev.id = *eventID
			ev.rec.At = trailTime(at)
			ev.rec.Detail, ev.detailErr = canonicalJSON([]byte(detail))
			cur.next(ev)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		cur.finish(&rep)
		if code != "" && rep.Dossiers == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		if code == "" {
			return TrailReport{}, fmt.Errorf("verify trails: %w", err)
		}
		return TrailReport{}, fmt.Errorf("verify trail of dossier %s: %w", code, err)
	}
	return rep, nil
}

// trailEvent is one event as read back for checking.
type trailEvent struct {
	id             int64
	position       int // of its page now; 0 for a dossier event
	rec            trailRecord
	detailErr      error
	prevHash, hash *string
}

// String names the event for a person: "event 17 (page 2, processed by
// worker-a)".
func (e trailEvent) String() string {
	where := "dossier"
	if e.rec.PageID != 0 {
		where = fmt.Sprintf("page %d", e.position)
	}
	what := e.rec.Action
	if what == ActionMove {
		what = e.rec.To
	}
	return fmt.Sprintf("event %d (%s, %s by %s)", e.id, where, what, e.rec.Actor)
}

// trailCheck walks one dossier's events in id order and keeps the first
// broken link.
type trailCheck struct {
	dossierID    int64
	code         string
	head         string // as the dossier records them
	length       int64
	n            int64  // events seen
	prev         string // hash of the event before
	prevID       int64
	prevName     string
	beyond       string // the first event past the recorded length
	beyondID     int64
	problem      string
	problemEvent int64
}

func (t *trailCheck) fail(id int64, format string, args ...any) {
	t.problem, t.problemEvent = fmt.Sprintf(format, args...), id
}

func (t *trailCheck) next(e trailEvent) {
	if t.problem != "" {
		return
	}
	t.n++
	if t.n == t.length+1 {
		t.beyond, t.beyondID = e.String(), e.id
	}
	e.rec.Seq = t.n
	switch {
	case e.hash == nil || e.prevHash == nil:
		t.fail(e.id, "%s: has no hash: recorded before the audit trail began, or written around the catalog", e)
		return
	case *e.prevHash != t.prev && t.n == 1:
		t.fail(e.id, "%s: the first event left does not start the trail: the events before it were deleted, or it was inserted", e)
		return
	case *e.prevHash != t.prev:
		t.fail(e.id, "%s: does not follow %s, the event before it: that event was edited and its hash recomputed, "+
			"or events between them were deleted, or one of them was inserted", e, t.prevName)
		return
	case e.detailErr != nil:
		t.fail(e.id, "%s: detail unreadable: %v", e, e.detailErr)
		return
	}
	sum, err := e.rec.hash(t.prev)
	if err != nil {
		t.fail(e.id, "%s: cannot hash: %v", e, err)
		return
	}
	if sum != *e.hash {
		t.fail(e.id, "%s: content does not match its hash: edited", e)
		return
	}
	t.prev, t.prevID, t.prevName = sum, e.id, e.String()
}

// finish checks the end of the trail against the dossier's head and
// length and adds what was found to rep. A nil check is none.
func (t *trailCheck) finish(rep *TrailReport) {
	if t == nil {
		return
	}
	if t.problem == "" {
		switch {
		case t.n == 0:
			t.fail(0, "has no events, not even its creation: its whole trail was deleted")
		case t.n < t.length:
			t.fail(t.prevID, "the trail ends with %s after %d events, but the dossier records %d: the last %d deleted",
				t.prevName, t.n, t.length, t.length-t.n)
		case t.n > t.length:
			t.fail(t.beyondID, "%s: past the end of the trail the dossier records (%d events): inserted",
				t.beyond, t.length)
		case t.prev != t.head:
			t.fail(t.prevID, "%s: the last event, does not match the head of the trail the dossier records: "+
				"edited and its hash recomputed, or replaced", t.prevName)
		}
	}
	if t.problem != "" {
		rep.Problems = append(rep.Problems, TrailProblem{Dossier: t.code, EventID: t.problemEvent, Reason: t.problem})
	}
}
