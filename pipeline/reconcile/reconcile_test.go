package reconcile

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/register/pgmirror"
	"github.com/sohoa/sohoa/register/registertest"
	"github.com/sohoa/sohoa/register/soap"
	"github.com/sohoa/sohoa/register/soap/soaptest"
)

// mirror is a real PostgreSQL register mirror loaded, through its CSV
// loader, with the conformance suite's synthetic citizens.
func mirror(t *testing.T) *pgmirror.Mirror {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := pgmirror.Open(ctx, testenv.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	var b bytes.Buffer
	if err := pgmirror.WriteCSV(&b, slices.Values(registertest.Seed())); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(ctx, &b, pgmirror.LoadOptions{Reject: func(r pgmirror.Rejection) { t.Errorf("seed rejected: %v", r) }}); err != nil {
		t.Fatal(err)
	}
	return m
}

var desk = Caller{Procedure: "1.001612", Service: "CSDLDC-TRACUU", Agency: "000.00.01.H26", Officer: "canbo.thu"}

func field(v string) *extract.Field {
	return &extract.Field{Raw: v, Value: v, Page: 1, Confidence: 0.9}
}

// person is a person as extract gives one; empty values are left out.
func person(role, id, legacy, name, dob, gender, permanent string) extract.Person {
	p := extract.Person{Role: role}
	set := func(dst **extract.Field, v string) {
		if v != "" {
			*dst = field(v)
		}
	}
	set(&p.ID, id)
	set(&p.LegacyID, legacy)
	set(&p.Name, name)
	set(&p.DateOfBirth, dob)
	set(&p.Gender, gender)
	set(&p.PermanentAddress, permanent)
	return p
}

func check(t *testing.T, p Person, name string) Check {
	t.Helper()
	for _, c := range p.Fields {
		if c.Field == name {
			return c
		}
	}
	t.Fatalf("no check of %s in %+v", name, p)
	return Check{}
}

func TestReconcile(t *testing.T) {
	m := mirror(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		person  extract.Person
		outcome string
		want    map[string]Check // field → status and difference wanted
	}{
		{
			name: "exact match",
			person: person(extract.RoleApplicant, "001085012345", "", "NGUYỄN VĂN AN", "1985-03-12", "Nam",
				"Số 12, ngõ 34 phố Tô Hiến Thành, phường Bùi Thị Xuân, quận Hai Bà Trưng, thành phố Hà Nội"),
			outcome: Found,
			want: map[string]Check{
				extract.FieldName:             {Status: Confirmed},
				extract.FieldDateOfBirth:      {Status: Confirmed},
				extract.FieldGender:           {Status: Confirmed},
				extract.FieldPermanentAddress: {Status: Confirmed},
				extract.FieldEthnicity:        {Status: Absent},
			},
		},
		{
			name:    "tone marks only",
			person:  person(extract.RoleRegistered, "027301004567", "", "Đặng Thị Ngọc Anh", "2001-07-30", "Nữ", ""),
			outcome: Found,
			want: map[string]Check{
				extract.FieldName:             {Status: Differing, Difference: DiffToneMarks},
				extract.FieldDateOfBirth:      {Status: Confirmed},
				extract.FieldPermanentAddress: {Status: Absent},
			},
		},
		{
			name:    "different person",
			person:  person(extract.RoleFather, "027301004567", "", "Nguyễn Văn An", "1985-03-12", "Nam", "Khu phố Đình, Bắc Ninh"),
			outcome: Found,
			want: map[string]Check{
				extract.FieldName:        {Status: Differing, Difference: DiffSpelling},
				extract.FieldDateOfBirth: {Status: Differing, Difference: DiffDate},
				extract.FieldGender:      {Status: Differing, Difference: DiffValue},
				// The address is the register's own: a different person can
				// share one, and it says nothing about who they are.
				extract.FieldPermanentAddress: {Status: Confirmed},
			},
		},
		{
			name:    "unknown number",
			person:  person(extract.RoleApplicant, registertest.Unknown, "", "Nguyễn Văn An", "1990-01-01", "", ""),
			outcome: NotFound,
		},
		{
			name:    "legacy number, the register holds the year of birth only",
			person:  person(extract.RoleApplicant, "", "063012345", "Lò Văn Páo", "1948-05-02", "Nam", "Bản Sả Séng, xã Xuân Quang, huyện Bảo Thắng, tỉnh Lào Cai"),
			outcome: Found,
			want: map[string]Check{
				extract.FieldName:             {Status: Confirmed},
				extract.FieldDateOfBirth:      {Status: Confirmed, Difference: DiffYearOnly},
				extract.FieldPermanentAddress: {Status: Confirmed},
			},
		},
		{
			name: "a number whose structure failed is not looked up",
			person: func() extract.Person {
				p := person(extract.RoleApplicant, "001085012345", "", "Nguyễn Văn An", "", "", "")
				p.ID.Problem = "birth year disagrees"
				return p
			}(),
			outcome: NoNumber,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := []extract.Metadata{{DocumentType: "test", People: []extract.Person{tt.person}}}
			res, calls, err := Reconcile(context.Background(), m, desk, "HN-261126-0001", docs, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.People) != 1 {
				t.Fatalf("people %+v", res.People)
			}
			p := res.People[0]
			if p.Outcome != tt.outcome {
				t.Fatalf("outcome %q, want %q (%+v)", p.Outcome, tt.outcome, p)
			}
			switch tt.outcome {
			case NoNumber:
				if len(calls) != 0 || res.Status != NothingToCheck {
					t.Errorf("looked up a broken number: status %s, calls %+v", res.Status, calls)
				}
				return
			case Found:
				if p.Record == nil || (p.Record.ID != p.Number && p.Record.LegacyID != p.Number) {
					t.Errorf("record %+v is not the citizen of %s", p.Record, p.Number)
				}
			case NotFound:
				if p.Record != nil {
					t.Errorf("a record for an unknown number: %+v", p.Record)
				}
			}
			if res.Status != Reconciled || len(calls) != 1 || calls[0].RequestID != p.RequestID || calls[0].Outcome != tt.outcome {
				t.Errorf("status %s, calls %+v", res.Status, calls)
			}
			for f, want := range tt.want {
				got := check(t, p, f)
				if got.Status != want.Status || got.Difference != want.Difference {
					t.Errorf("%s: %s (%s), want %s (%s); document %q, register %q", f, got.Status, got.Difference,
						want.Status, want.Difference, got.Document, got.Register)
				}
				if got.Status == Differing && (got.Document == "" || got.Register == "") {
					t.Errorf("%s differs but does not show both values: %+v", f, got)
				}
			}
		})
	}
}

// A number named on several documents is asked about once, and the request
// ID is derived, so that asking again for the same dossier repeats it.
func TestReconcileAsksOnce(t *testing.T) {
	m := mirror(t)
	p := person(extract.RoleApplicant, "001085012345", "", "Nguyễn Văn An", "1985-03-12", "Nam", "")
	docs := []extract.Metadata{{People: []extract.Person{p}}, {People: []extract.Person{p, person(extract.RoleSpouse, "", "", "Lê Thị Mai", "", "", "")}}}
	res, calls, err := Reconcile(context.Background(), m, desk, "HN-261126-0002", docs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || len(res.People) != 3 {
		t.Fatalf("calls %+v, people %d", calls, len(res.People))
	}
	if res.People[2].Outcome != NoNumber || res.People[1].Document != 1 {
		t.Errorf("people %+v", res.People)
	}
	id := RequestID("HN-261126-0002", "001085012345")
	if calls[0].RequestID != id || len(id) > 40 || id == RequestID("HN-261126-0003", "001085012345") {
		t.Errorf("request ID %q (derived %q)", calls[0].RequestID, id)
	}
}

// A register that cannot answer leaves the dossier pending, names the
// failed call, and keeps no half-checked people; asked again once it is
// back, the same dossier reconciles.
func TestReconcileRegisterDown(t *testing.T) {
	dsn := testenv.PostgresDB(t)
	ctx := context.Background()
	down, err := pgmirror.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	down.Close() // every query now fails: the register is unreachable
	docs := []extract.Metadata{{People: []extract.Person{person(extract.RoleApplicant, "001085012345", "", "Nguyễn Văn An", "1985-03-12", "", "")}}}
	res, calls, err := Reconcile(ctx, down, desk, "HN-261126-0004", docs, time.Now())
	if err != nil {
		t.Fatalf("a register that is down failed the stage: %v", err)
	}
	if res.Status != Pending || res.Error == "" || len(res.People) != 0 || len(calls) != 1 || calls[0].Outcome == Found {
		t.Fatalf("register down: %+v, calls %+v", res, calls)
	}

	res, calls, err = Reconcile(ctx, mirror(t), desk, "HN-261126-0004", docs, time.Now())
	if err != nil || res.Status != Reconciled || len(calls) != 1 || res.People[0].Outcome != Found {
		t.Fatalf("register back: %+v, calls %+v, %v", res, calls, err)
	}
	if check(t, res.People[0], extract.FieldName).Status != Confirmed {
		t.Errorf("name not confirmed: %+v", res.People[0].Fields)
	}
}

// A register that refuses the officer is not "pending": retrying will not
// help until someone grants the permission. The SOAP contract server over
// mutual TLS refuses this officer as a platform does.
func TestReconcileRefused(t *testing.T) {
	srv := soaptest.New(t, registertest.Seed())
	srv.Deny(desk.Officer)
	tlsCfg, err := soap.LoadTLS(srv.CertFile, srv.KeyFile, srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := soap.New(soap.Config{URL: srv.URL, TLS: tlsCfg, Auth: soap.APIKey{Key: soaptest.APIKey, Secret: soaptest.APISecret},
		Timeout: 5 * time.Second, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	docs := []extract.Metadata{{People: []extract.Person{person(extract.RoleApplicant, "001085012345", "", "", "", "", "")}}}
	res, calls, err := Reconcile(context.Background(), c, desk, "HN-261126-0005", docs, time.Now())
	if err != nil || res.Status != Refused || len(calls) != 1 || len(res.People) != 0 {
		t.Fatalf("%+v, calls %+v, %v", res, calls, err)
	}
}
