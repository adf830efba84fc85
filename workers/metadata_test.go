package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/reconcile"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/pgmirror"
	"github.com/sohoa/sohoa/register/registertest"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
)

// resident is the resident on testdata/scans/form-300.jpg as a register
// would hold her (a made-up person, like registertest's); the form also
// names its household head, 027084011578, whom the mirror does not hold.
var resident = register.Citizen{ID: "027186009213", Name: register.Name{Family: "Nguyễn", Middle: "Thị Ngọc", Given: "Ẩn"},
	Gender: register.Female, Ethnicity: "01", Nationality: "VN", Birth: register.Date{Year: 1986, Month: 3, Day: 7},
	Permanent: register.Place{Province: "27", District: "256", Ward: "09163", Detail: "Số 24 đường Nguyễn Gia Thiều"}}

const (
	residentHead = "027084011578"
	officer      = "canbo.thu@bacninh"
)

// TestRegisterDownThenReconciled: a dossier assembled while the register
// mirror's table is gone (its queries fail, as when the database is down)
// is signed all the same, its reconciliation pending, and announced ready
// saying so; asked again while still down, it waits longer; once the table
// is back, the reconcile task finds the resident, stores a newer metadata
// document, announces the reconciliation, and the trail holds the failed
// lookups and the successful one, each naming the officer.
func TestRegisterDownThenReconciled(t *testing.T) {
	ctx := context.Background()
	const code = "UBND-XA-01-250101-0077"
	mirrorDSN := testenv.PostgresDB(t)
	mirror, err := pgmirror.Open(ctx, mirrorDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mirror.Close)
	var file bytes.Buffer
	if err := pgmirror.WriteCSV(&file, slices.Values(append(registertest.Seed(), resident))); err != nil {
		t.Fatal(err)
	}
	if rep, err := mirror.Load(ctx, &file, pgmirror.LoadOptions{}); err != nil || rep.Inserted != 6 {
		t.Fatalf("load mirror: %+v %v", rep, err)
	}
	admin, err := pgx.Connect(ctx, mirrorDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	cat, err := catalog.Open(ctx, testenv.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	st, err := local.Open(t.TempDir(), local.Options{Retention: storage.RetentionYears(1)})
	if err != nil {
		t.Fatal(err)
	}
	keyPath, err := sign.DevKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.Load(keyPath, sign.DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	rd := testenv.StartRedis(t)
	const retry = 300 * time.Millisecond
	w, err := New(Config{Store: st, Catalog: cat, Redis: asynq.RedisClientOpt{Addr: rd.Addr}, Signer: signer,
		Name: "test worker", Concurrency: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Register: &pipeline.Register{Register: mirror, Caller: reconcile.Caller{Procedure: "default", Service: "CSDLDC",
			Agency: "000.00.27.H05", Officer: officer}},
		RegisterRetry: retry})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// A submitted dossier of one page: the residence form.
	if _, err := cat.CreateDossier(ctx, catalog.Dossier{Code: code, Procedure: "1.001612", Office: "UBND-XA-01"}, "test"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "testdata", "scans", "form-300.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex(data)
	okey, _ := storage.OriginalKey(sum)
	if err := st.Put(ctx, okey, bytes.NewReader(data), int64(len(data)), sum); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddPage(ctx, code, catalog.Page{Position: 1, OriginalKey: okey, SHA256: sum, Size: int64(len(data))}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := cat.Move(ctx, code, catalog.Uploading, catalog.Submitted, "test", nil); err != nil {
		t.Fatal(err)
	}
	task := func(typ string, payload any) *asynq.Task {
		b, _ := json.Marshal(payload)
		return asynq.NewTask(typ, b)
	}
	dossierTask := queue.DossierTask{Dossier: code}

	// The register goes down; the dossier is made and signed.
	exec(`ALTER TABLE register.citizens RENAME TO citizens_away`)
	if err := w.handlePage(ctx, task(queue.TypePage, queue.PageTask{Dossier: code, Position: 1, SHA256: sum})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := w.handleAssemble(ctx, task(queue.TypeAssemble, dossierTask)); err != nil {
		t.Fatal(err)
	}
	if err := w.handleSign(ctx, task(queue.TypeSign, dossierTask)); err != nil {
		t.Fatal(err)
	}
	d, err := cat.Get(ctx, code)
	if err != nil || d.Status != catalog.Signed {
		t.Fatalf("dossier with the register down: %+v %v; want signed", d, err)
	}
	md, err := cat.MetadataOf(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if md.Status != catalog.ReconcilePending || md.Tries != 1 || md.After.Before(start.Add(retry)) || md.After.After(time.Now().Add(retry)) {
		t.Errorf("metadata with the register down: %+v; want pending, one try, asked again %v on", md, retry)
	}
	numbers := map[string]string{}
	for _, c := range md.Citizens {
		numbers[c.Number] = c.Role
	}
	if numbers[resident.ID] == "" || numbers[residentHead] == "" {
		t.Errorf("citizens %+v: want the resident %s and the head %s, with roles", md.Citizens, resident.ID, residentHead)
	}
	var manifest pipeline.Manifest
	if b, err := w.readAll(ctx, storage.SignedManifestKey(code, d.PDFSHA256)); err != nil || json.Unmarshal(b, &manifest) != nil {
		t.Fatalf("signed manifest: %v", err)
	}
	if r := manifest.Metadata.Reconciliation; r == nil || r.Status != reconcile.Pending || !strings.Contains(r.Error, "register unavailable") {
		t.Errorf("signed manifest's reconciliation %+v; want pending, saying why", r)
	}
	stored := readMetadata(t, w, md.Key)
	if r := stored.Reconciliation; r == nil || r.Status != reconcile.Pending || len(stored.Documents) != 1 {
		t.Errorf("stored metadata %s: %+v", md.Key, stored)
	}

	// Not due yet: a reconcile task does nothing.
	if err := w.handleReconcile(ctx, task(queue.TypeReconcile, dossierTask)); err != nil {
		t.Fatal(err)
	}
	if again, _ := cat.MetadataOf(ctx, code); again.Tries != 1 {
		t.Errorf("a reconcile task before its time asked the register: %+v", again)
	}
	// Due, the register still down: asked again, then later still.
	time.Sleep(time.Until(md.After))
	if n, err := w.AskRegisterAgain(ctx); err != nil || n != 1 {
		t.Errorf("dossiers queued for the register: %d, %v; want 1", n, err)
	}
	if err := w.handleReconcile(ctx, task(queue.TypeReconcile, dossierTask)); err != nil {
		t.Fatal(err)
	}
	second, _ := cat.MetadataOf(ctx, code)
	if second.Status != catalog.ReconcilePending || second.Tries != 2 || second.After.Sub(md.After) < 2*retry {
		t.Errorf("asked again while down: %+v; want pending, two tries, waiting twice as long", second)
	}

	// The register is back.
	exec(`ALTER TABLE register.citizens_away RENAME TO citizens`)
	time.Sleep(time.Until(second.After))
	if err := w.handleReconcile(ctx, task(queue.TypeReconcile, dossierTask)); err != nil {
		t.Fatal(err)
	}
	done, _ := cat.MetadataOf(ctx, code)
	if done.Status != catalog.ReconcileDone || done.Key == second.Key || !done.After.IsZero() {
		t.Fatalf("once the register is back: %+v; want reconciled under a new document", done)
	}
	stored = readMetadata(t, w, done.Key)
	var found *reconcile.Person
	for i, p := range stored.Reconciliation.People {
		if p.Number == resident.ID {
			found = &stored.Reconciliation.People[i]
		}
	}
	if found == nil || found.Outcome != reconcile.Found || found.Record == nil || found.Record.ID != resident.ID {
		t.Fatalf("resident in the new metadata: %+v", found)
	}
	if len(stored.Documents) != len(manifest.Metadata.Documents) {
		t.Errorf("documents changed by reconciling: %d, were %d", len(stored.Documents), len(manifest.Metadata.Documents))
	}
	if n, err := w.AskRegisterAgain(ctx); err != nil || n != 0 {
		t.Errorf("dossiers queued once reconciled: %d, %v", n, err)
	}
	// Done is done: another task asks nothing.
	if err := w.handleReconcile(ctx, task(queue.TypeReconcile, dossierTask)); err != nil {
		t.Fatal(err)
	}

	// The workflow system heard "ready, pending" then "reconciled".
	evs, err := cat.OutboxEvents(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Type != catalog.OutboxReady || evs[1].Type != catalog.OutboxReconciled {
		t.Fatalf("webhook events %+v; want ready then reconciled", evs)
	}
	if m := evs[0].Metadata; m == nil || m.Reconciliation != catalog.ReconcilePending || len(m.DocumentTypes) != 1 {
		t.Errorf("ready event's metadata %+v", m)
	}
	registerOf := map[string]string{}
	for _, p := range evs[1].Metadata.People {
		registerOf[p.Number] = p.Register
	}
	if evs[1].Metadata.Reconciliation != catalog.ReconcileDone || registerOf[resident.ID] != reconcile.Found ||
		registerOf[residentHead] != reconcile.NotFound {
		t.Errorf("reconciled event's metadata %+v", evs[1].Metadata)
	}

	// The trail: two failed lookups of each number, then the answers.
	trail, err := cat.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	var lookups []string
	for _, e := range trail {
		if e.Action != "register-lookup" {
			continue
		}
		if e.Detail["officer"] != officer || e.Actor != "test worker" || !strings.HasPrefix(e.Detail["request_id"].(string), "sohoa-") {
			t.Errorf("register-lookup record %+v", e)
		}
		outcome := e.Detail["outcome"].(string)
		if strings.Contains(outcome, "register unavailable") {
			outcome = "unavailable"
		}
		lookups = append(lookups, e.Detail["number"].(string)+" "+outcome)
	}
	// A register that fails stops the round at its first call.
	if len(lookups) < 4 || lookups[0] != lookups[1] || !strings.HasSuffix(lookups[0], " unavailable") ||
		!slices.Contains(lookups[2:], resident.ID+" found") || !slices.Contains(lookups[2:], residentHead+" not_found") ||
		slices.ContainsFunc(lookups[2:], func(l string) bool { return strings.HasSuffix(l, " unavailable") }) {
		t.Errorf("register lookups in the trail: %v; want one number unavailable twice, then every number answered", lookups)
	}
	if probs, err := cat.VerifyTrail(ctx, code); err != nil || len(probs) != 0 {
		t.Errorf("trail: %v %v", probs, err)
	}

	// An assembly task delivered again changes nothing.
	if err := w.handleAssemble(ctx, task(queue.TypeAssemble, dossierTask)); err != nil {
		t.Fatal(err)
	}
	if after, _ := cat.MetadataOf(ctx, code); after.Key != done.Key || after.Status != catalog.ReconcileDone {
		t.Errorf("metadata after a repeated assembly task: %+v", after)
	}
}

func readMetadata(t *testing.T, w *Worker, key string) *pipeline.Metadata {
	t.Helper()
	b, err := w.readAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var md pipeline.Metadata
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	return &md
}
