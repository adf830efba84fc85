package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Metadata with a pending reconciliation is due again at its time, counts
// its tries, records each register call in the trail, and once reconciled
// leaves the due list; the ready listing finds the dossier by a number its
// documents name.
func TestMetadataReconcileState(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-META-0001"
	newDossier(t, c, code)
	moveTo(t, c, code, Assembled)
	if err := c.Move(ctx, code, Assembled, Signed, "worker", nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	call := map[string]any{"request_id": "sohoa-1", "outcome": "register unavailable", "officer": "canbo"}
	pending := Metadata{Key: "metadata/aa", Status: ReconcilePending, After: now.Add(time.Minute),
		Citizens: []Citizen{{"001085012345", "applicant"}}, Calls: []map[string]any{call}}
	if err := c.SetMetadata(ctx, code, pending, "worker-1"); err != nil {
		t.Fatal(err)
	}
	if due, err := c.ReconcileDue(ctx, now, 10); err != nil || len(due) != 0 {
		t.Fatalf("due before its time: %v %v", due, err)
	}
	due, err := c.ReconcileDue(ctx, now.Add(2*time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Code != code {
		t.Fatalf("due after its time: %v %v", due, err)
	}
	m, err := c.MetadataOf(ctx, code)
	if err != nil || m.Status != ReconcilePending || m.Tries != 1 || len(m.Citizens) != 1 || m.Key != "metadata/aa" {
		t.Fatalf("pending metadata %+v, %v", m, err)
	}

	call = map[string]any{"request_id": "sohoa-1", "outcome": "found", "officer": "canbo"}
	done := Metadata{Key: "metadata/bb", Status: ReconcileDone, Calls: []map[string]any{call},
		Citizens: []Citizen{{"001085012345", "applicant"}, {"034058001122", "father"}}}
	if err := c.SetMetadata(ctx, code, done, "worker-2"); err != nil {
		t.Fatal(err)
	}
	if due, _ := c.ReconcileDue(ctx, now.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("reconciled dossier still due: %v", due)
	}
	m, _ = c.MetadataOf(ctx, code)
	if m.Status != ReconcileDone || m.Tries != 1 || len(m.Citizens) != 2 || !m.After.IsZero() {
		t.Errorf("reconciled metadata %+v", m)
	}

	// The trail shows the failed call and the later answer, in order.
	evs, err := c.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range evs {
		if e.Action == "register-lookup" {
			outcomes = append(outcomes, e.Detail["outcome"].(string)+" by "+e.Actor)
		}
	}
	if len(outcomes) != 2 || outcomes[0] != "register unavailable by worker-1" || outcomes[1] != "found by worker-2" {
		t.Errorf("register calls in the trail: %v", outcomes)
	}
	if probs, err := c.VerifyTrail(ctx, code); err != nil || len(probs) != 0 {
		t.Errorf("trail: %v %v", probs, err)
	}

	for number, want := range map[string]int{"034058001122": 1, "001085012345": 1, "079162000777": 0, "": 1} {
		rs, err := c.ReadyFor(ctx, 0, 10, ReadyFilter{Citizen: number})
		if err != nil || len(rs) != want {
			t.Errorf("ready listing for citizen %q: %d dossiers, want %d (%v)", number, len(rs), want, err)
		}
	}

	if err := c.SetMetadata(ctx, "HS-NONE", done, "w"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown dossier: %v", err)
	}
	if err := c.SetMetadata(ctx, code, Metadata{Status: "maybe"}, "w"); err == nil {
		t.Error("an unknown reconciliation status was recorded")
	}
	bad := done
	bad.Citizens = []Citizen{{"12345", "applicant"}}
	if err := c.SetMetadata(ctx, code, bad, "w"); err == nil {
		t.Error("a number of 5 digits was recorded")
	}
}

// The webhook events carry the metadata's summary as it stands in their
// transaction: a ready event says pending when the register has not
// answered, and a dossier.reconciled event follows once it has; a dossier
// reconciled before it was signed says so in its ready event and gets no
// second event.
func TestMetadataInWebhookEvents(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	summary := &MetadataSummary{DocumentTypes: []string{"to_khai_cu_tru"},
		People: []SummaryPerson{{Role: "applicant", Number: "001085012345", Name: "Nguyễn Văn An", Birth: "1985-03-12"}}}
	set := func(code, status string) {
		t.Helper()
		s := *summary
		if status == ReconcileDone {
			s.People = []SummaryPerson{{Role: "applicant", Number: "001085012345", Name: "Nguyễn Văn An", Birth: "1985-03-12", Register: "found"}}
		}
		m := Metadata{Key: "dossiers/" + code + "/metadata-" + status, Status: status, After: time.Now().Add(time.Minute),
			Citizens: []Citizen{{"001085012345", "applicant"}}, Summary: &s}
		if err := c.SetMetadata(ctx, code, m, "worker-1"); err != nil {
			t.Fatal(err)
		}
	}
	sign := func(code string) {
		t.Helper()
		if err := c.MoveWith(ctx, code, DossierMove{From: Assembled, To: Signed, PDFKey: "dossiers/" + code + "/signed.pdf",
			PDFSHA256: hashOf(code)}, "worker-1"); err != nil {
			t.Fatal(err)
		}
	}
	events := func(code string) []OutboxEvent {
		t.Helper()
		evs, err := c.OutboxEvents(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}

	const late, early, failed = "HS-META-0010", "HS-META-0011", "HS-META-0012"
	for _, code := range []string{late, early, failed} {
		newDossier(t, c, code)
	}
	moveTo(t, c, late, Assembled)
	set(late, ReconcilePending)
	sign(late)
	set(late, ReconcilePending) // asked again, still down: nothing to announce
	set(late, ReconcileDone)
	set(late, ReconcileDone) // a repeat: announced once
	evs := events(late)
	if len(evs) != 2 || evs[0].Type != OutboxReady || evs[1].Type != OutboxReconciled {
		t.Fatalf("events of a dossier reconciled after its ready event: %+v", evs)
	}
	if m := evs[0].Metadata; m == nil || m.Reconciliation != ReconcilePending || len(m.People) != 1 || m.People[0].Register != "" ||
		m.DocumentTypes[0] != "to_khai_cu_tru" {
		t.Errorf("ready event's metadata %+v, want the summary, pending", m)
	}
	if m := evs[1].Metadata; m == nil || m.Reconciliation != ReconcileDone || len(m.People) != 1 || m.People[0].Register != "found" ||
		evs[1].Status != Signed || evs[1].PDFSHA256 != hashOf(late) {
		t.Errorf("reconciled event %+v, metadata %+v", evs[1], m)
	}

	moveTo(t, c, early, Assembled)
	set(early, ReconcilePending)
	set(early, ReconcileDone)
	sign(early)
	evs = events(early)
	if len(evs) != 1 || evs[0].Type != OutboxReady || evs[0].Metadata == nil || evs[0].Metadata.Reconciliation != ReconcileDone {
		t.Errorf("events of a dossier reconciled before it was signed: %+v", evs)
	}

	// Failed before the metadata stages ran: the event has no metadata.
	moveTo(t, c, failed, Failed)
	var raw string
	if err := c.pool.QueryRow(ctx, `SELECT o.payload::text FROM outbox o JOIN dossiers d ON d.id = o.dossier_id
		WHERE d.code = $1`, failed).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, `"metadata"`) || !strings.Contains(raw, `"dossier.failed"`) {
		t.Errorf("failed event %s: want no metadata", raw)
	}
}

// Search finds a citizen's dossiers whatever their status, by the number
// the station recorded or one the documents name, within an office and a
// creation-time range.
func TestSearch(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	mk := func(code, office, citizenID string) {
		if _, err := c.CreateDossier(ctx, Dossier{Code: code, Procedure: "1.001234", Office: office, CitizenID: citizenID}, "station"); err != nil {
			t.Fatal(err)
		}
	}
	mk("HS-S-1", "A", "001085012345")
	mk("HS-S-2", "A", "")
	mk("HS-S-3", "B", "001085012345")
	mk("HS-S-4", "B", "")
	if err := c.SetMetadata(ctx, "HS-S-2", Metadata{Key: "m", Status: ReconcileNothing,
		Citizens: []Citizen{{"001085012345", "father"}}}, "worker"); err != nil {
		t.Fatal(err)
	}
	moveTo(t, c, "HS-S-3", Assembled)
	codes := func(f SearchFilter) []string {
		ds, err := c.Search(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Code)
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		f    SearchFilter
		want []string
	}{
		{SearchFilter{Citizen: "001085012345"}, []string{"HS-S-1", "HS-S-2", "HS-S-3"}},
		{SearchFilter{Citizen: "001085012345", Office: "B"}, []string{"HS-S-3"}},
		{SearchFilter{Office: "B"}, []string{"HS-S-3", "HS-S-4"}},
		{SearchFilter{Citizen: "079162000777"}, nil},
		{SearchFilter{From: time.Now().Add(time.Hour)}, nil},
		{SearchFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Office: "A"}, []string{"HS-S-1", "HS-S-2"}},
		{SearchFilter{Limit: 1}, []string{"HS-S-4"}},
	} {
		if got := codes(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.f, got, tt.want)
		}
	}
}
