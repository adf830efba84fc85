package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/pgmirror"
	"github.com/sohoa/sohoa/register/registertest"
)

// all returns every event received for the dossier, in order.
func (h *hookReceiver) all(code string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, e := range h.events {
		if e["dossier"] == code {
			out = append(out, e)
		}
	}
	return out
}

// waitHook waits until the receiver holds n events for the dossier.
func (h *hookReceiver) waitHook(t *testing.T, code string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for len(h.all(code)) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	evs := h.all(code)
	if len(evs) < n {
		t.Fatalf("webhook events for %s: %v, want %d (bad signatures %d)", code, evs, n, h.bad)
	}
	return evs
}

// formResident is the resident on testdata/scans/form-300.jpg, as the
// register mirror holds her beside registertest's synthetic citizens (she
// is as made up as they are); the form's household head, residentHead, is
// not in the mirror.
var formResident = register.Citizen{ID: "027186009213", Name: register.Name{Family: "Nguyễn", Middle: "Thị Ngọc", Given: "Ẩn"},
	Gender: register.Female, Ethnicity: "01", Nationality: "VN", Birth: register.Date{Year: 1986, Month: 3, Day: 7},
	Permanent: register.Place{Province: "27", District: "256", Ward: "09163", Detail: "Số 24 đường Nguyễn Gia Thiều"}}

const residentHead = "027084011578"

// serviceMetadata is the part of GET /v1/dossiers/{code}/metadata the
// register test reads.
type serviceMetadata struct {
	Status   string `json:"reconciliation_status"`
	Metadata struct {
		Documents []struct {
			DocumentType string `json:"document_type"`
		} `json:"documents"`
		Reconciliation struct {
			Status string `json:"status"`
			People []struct {
				Number  string `json:"number"`
				Outcome string `json:"outcome"`
				Fields  []struct {
					Field  string `json:"field"`
					Status string `json:"status"`
				} `json:"fields"`
				Record *struct{ ID string } `json:"register_record"`
			} `json:"people"`
		} `json:"reconciliation"`
	} `json:"metadata"`
}

// TestServiceRegister: workers started with --register reconcile every
// dossier with a real PostgreSQL mirror of the population register, loaded
// by 'sohoa register load' with synthetic citizens. A dossier whose form
// names a citizen the mirror holds shows her confirmed fields and the
// register's record at the metadata endpoint, is found by her number in
// the ready listing (and not by another's), is announced by a webhook that
// carries the summary, and its trail records each register call with the
// officer. With the mirror's table gone, a dossier is signed anyway, its
// reconciliation pending; once the table is back the workers ask again on
// their own, the dossier is reconciled and announced so, and the trail
// shows the failed lookup and the later answer.
func TestServiceRegister(t *testing.T) {
	c := newCluster(t, "local")
	mirror := testenv.PostgresDB(t)
	csv := filepath.Join(t.TempDir(), "export.csv")
	var file bytes.Buffer
	if err := pgmirror.WriteCSV(&file, slices.Values(append(registertest.Seed(), formResident))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csv, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(c.bin, "register", "load", "--postgres", mirror, csv).CombinedOutput(); err != nil {
		t.Fatalf("register load: %v\n%s", err, out)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	hooks := &hookReceiver{secret: []byte(hex.EncodeToString(secret))}
	recv := httptest.NewServer(hooks)
	defer recv.Close()
	const officer = "canbo.thu@bacninh"
	c.env = append(c.env, "SOHOA_WEBHOOK_URLS="+recv.URL+"/sohoa", "SOHOA_WEBHOOK_SECRET="+hex.EncodeToString(secret),
		"SOHOA_REGISTER_URL="+mirror, "SOHOA_OFFICER="+officer, "SOHOA_AGENCY=000.00.27.H05", "SOHOA_REGISTER_RETRY=1s")
	c.serve()
	c.worker("worker-a")
	wf, au := c.as("workflow"), c.as("auditor")

	submit := func() string {
		t.Helper()
		code := c.create("desk")
		if st := c.upload(code, 1, "../../testdata/scans/form-300.jpg"); st != http.StatusOK {
			t.Fatalf("confirm the form: %d", st)
		}
		if st := c.call("POST", "/v1/dossiers/"+code+"/submit", nil, nil); st != http.StatusAccepted {
			t.Fatalf("submit: %d", st)
		}
		if d := c.wait(code, 3*time.Minute); d.Status != "signed" {
			t.Fatalf("dossier %s ended %s: %+v", code, d.Status, d)
		}
		return code
	}
	metadata := func(code string) serviceMetadata {
		t.Helper()
		var m serviceMetadata
		if st := wf.call("GET", "/v1/dossiers/"+code+"/metadata", nil, &m); st != http.StatusOK {
			t.Fatalf("metadata of %s: %d", code, st)
		}
		return m
	}
	// lookups are the dossier's register-lookup records, "number outcome",
	// as an auditor reads the trail; each must name the officer.
	lookups := func(code string) []string {
		t.Helper()
		var trail struct {
			ChainOK bool `json:"chain_ok"`
			Records []struct {
				Action string         `json:"action"`
				Detail map[string]any `json:"detail"`
			} `json:"records"`
		}
		if st := au.call("GET", "/v1/dossiers/"+code+"/trail", nil, &trail); st != http.StatusOK || !trail.ChainOK {
			t.Fatalf("trail of %s: %d, chain ok %v", code, st, trail.ChainOK)
		}
		var out []string
		for _, r := range trail.Records {
			if r.Action != "register-lookup" {
				continue
			}
			if r.Detail["officer"] != officer || r.Detail["request_id"] == "" {
				t.Errorf("register-lookup record of %s: %v; want the officer and the request", code, r.Detail)
			}
			outcome, _ := r.Detail["outcome"].(string)
			if strings.Contains(outcome, "register unavailable") {
				outcome = "unavailable"
			}
			out = append(out, r.Detail["number"].(string)+" "+outcome)
		}
		return out
	}

	// The register answers.
	code := submit()
	m := metadata(code)
	if m.Status != catalog.ReconcileDone || m.Metadata.Reconciliation.Status != "reconciled" || len(m.Metadata.Documents) != 1 ||
		m.Metadata.Documents[0].DocumentType == "" {
		t.Fatalf("metadata: %+v", m)
	}
	outcomes := map[string]string{}
	for _, p := range m.Metadata.Reconciliation.People {
		outcomes[p.Number] = p.Outcome
		if p.Number != formResident.ID {
			continue
		}
		if p.Record == nil || p.Record.ID != formResident.ID {
			t.Errorf("the resident's register record: %+v", p.Record)
		}
		// The fields OCR reads surely off this form; how much of the
		// address it reads depends on the cleanup of the dotted leaders.
		confirmed := map[string]bool{}
		for _, f := range p.Fields {
			confirmed[f.Field] = f.Status == "confirmed"
		}
		for _, f := range []string{"date_of_birth", "gender"} {
			if !confirmed[f] {
				t.Errorf("the resident's %s is not confirmed: %+v", f, p.Fields)
			}
		}
		t.Logf("the resident's fields: %+v", p.Fields)
	}
	if outcomes[formResident.ID] != "found" || outcomes[residentHead] != "not_found" {
		t.Errorf("register outcomes %v: want the resident found, the head not", outcomes)
	}
	list := func(id string) []string {
		t.Helper()
		var l struct {
			Items []struct{ Code string } `json:"items"`
		}
		if st := wf.call("GET", "/v1/dossiers?status=ready&citizen_id="+id, nil, &l); st != http.StatusOK {
			t.Fatalf("listing by %s: %d", id, st)
		}
		var codes []string
		for _, it := range l.Items {
			codes = append(codes, it.Code)
		}
		return codes
	}
	if got := list(formResident.ID); !slices.Equal(got, []string{code}) {
		t.Errorf("listing by the resident's number: %v, want %s", got, code)
	}
	if got := list(registertest.Seed()[0].ID); len(got) != 0 {
		t.Errorf("listing by a number the dossier does not name: %v", got)
	}
	if st := wf.call("GET", "/v1/dossiers?status=ready&citizen_id=12345", nil, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("listing by a number that cannot be one: %d, want 422", st)
	}
	ev := hooks.waitHook(t, code, 1)[0]
	summary, _ := ev["metadata"].(map[string]any)
	if ev["type"] != "dossier.ready" || summary == nil || summary["reconciliation"] != "reconciled" || len(summary["document_types"].([]any)) != 1 {
		t.Fatalf("ready webhook: %v", ev)
	}
	var resident map[string]any
	for _, p := range summary["people"].([]any) {
		if p := p.(map[string]any); p["number"] == formResident.ID {
			resident = p
		}
	}
	if resident == nil || resident["register"] != "found" || resident["birth"] != "1986-03-07" || resident["name"] == "" || resident["role"] == "" {
		t.Errorf("the resident in the webhook's summary: %v", resident)
	}
	if l := lookups(code); !slices.Contains(l, formResident.ID+" found") || !slices.Contains(l, residentHead+" not_found") {
		t.Errorf("register lookups in the trail: %v", l)
	}

	// The register goes down: its table is renamed away.
	conn, err := pgx.Connect(context.Background(), mirror)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `ALTER TABLE register.citizens RENAME TO citizens_away`); err != nil {
		t.Fatal(err)
	}
	down := submit()
	if m := metadata(down); m.Status != catalog.ReconcilePending || m.Metadata.Reconciliation.Status != "pending" {
		t.Fatalf("metadata with the register down: %+v", m)
	}
	if ev := hooks.waitHook(t, down, 1)[0]; ev["type"] != "dossier.ready" || ev["metadata"].(map[string]any)["reconciliation"] != "pending" {
		t.Errorf("ready webhook with the register down: %v", ev)
	}
	if _, err := conn.Exec(context.Background(), `ALTER TABLE register.citizens_away RENAME TO citizens`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		md, err := c.catalog.MetadataOf(context.Background(), down)
		if err != nil {
			t.Fatal(err)
		}
		if md.Status == catalog.ReconcileDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s (%d tries) 90 s after the register came back", md.Status, md.Tries)
		}
		time.Sleep(250 * time.Millisecond)
	}
	m = metadata(down)
	if m.Status != catalog.ReconcileDone || m.Metadata.Reconciliation.Status != "reconciled" {
		t.Errorf("metadata once the register is back: %+v", m)
	}
	evs := hooks.waitHook(t, down, 2)
	if evs[1]["type"] != "dossier.reconciled" || evs[1]["metadata"].(map[string]any)["reconciliation"] != "reconciled" || evs[1]["pdf_sha256"] != evs[0]["pdf_sha256"] {
		t.Errorf("webhook once the register is back: %v", evs[1])
	}
	l := lookups(down)
	if len(l) < 2 || l[0] != formResident.ID+" unavailable" || !slices.Contains(l, formResident.ID+" found") ||
		slices.Index(l, formResident.ID+" found") < slices.Index(l, formResident.ID+" unavailable") {
		t.Errorf("register lookups in the trail: %v; want the failed lookup, then the answer", l)
	}
	t.Logf("register lookups of the dossier made while the register was down: %v", l)
}
