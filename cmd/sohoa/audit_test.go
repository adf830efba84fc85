package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
)

// TestAuditVerifyCommand: 'sohoa audit verify' passes an untouched
// catalog, and once an event is edited behind the catalog's back (the
// append-only trigger switched off, as only the tables' owner can) exits 1
// naming that event.
func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDB(t)
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	for _, code := range []string{"HS-AUDIT-CLI-1", "HS-AUDIT-CLI-2"} {
		if _, err := cat.CreateDossier(ctx, catalog.Dossier{Code: code, Procedure: "1.001234", Office: "UBND xã Đông Anh"}, "station-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.AddPage(ctx, code, catalog.Page{Position: 1, OriginalKey: "orig/" + code,
			SHA256: sha256hex([]byte(code)), Size: 10}, "station-1"); err != nil {
			t.Fatal(err)
		}
		if err := cat.Move(ctx, code, catalog.Uploading, catalog.Submitted, "station-1", nil); err != nil {
			t.Fatal(err)
		}
		if err := cat.Record(ctx, code, "operator-1", "download-original", map[string]any{"page": 1}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := cat.Events(ctx, "HS-AUDIT-CLI-2")
	if err != nil {
		t.Fatal(err)
	}
	bin := sohoa(t)
	verify := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"audit", "verify"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SOHOA_POSTGRES_DSN=" + dsn}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}

	out, code := verify("--postgres", dsn)
	if want := fmt.Sprintf("trail ok: 2 dossiers, %d events", 2*len(evs)); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("clean catalog: exit %d, want 0 and %q:\n%s", code, want, out)
	}
	// The DSN from SOHOA_POSTGRES_DSN, one dossier.
	out, code = verify("--dossier", "HS-AUDIT-CLI-2")
	if want := fmt.Sprintf("trail ok: 1 dossiers, %d events", len(evs)); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("one dossier: exit %d, want 0 and %q:\n%s", code, want, out)
	}
	out, code = verify("--dossier", "HS-NONE")
	if code != 1 || !strings.Contains(out, "HS-NONE") || !strings.Contains(out, "not found") {
		t.Fatalf("unknown dossier: exit %d, want 1 naming it:\n%s", code, out)
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `ALTER TABLE events DISABLE TRIGGER events_no_update_delete`); err != nil {
		t.Fatal(err)
	}
	edited := evs[2].ID
	if _, err := conn.Exec(ctx, `UPDATE events SET actor = 'someone-else' WHERE id = $1`, edited); err != nil {
		t.Fatal(err)
	}
	out, code = verify("--postgres", dsn)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("event %d ", edited)) || !strings.Contains(out, "HS-AUDIT-CLI-2") ||
		strings.Contains(out, "HS-AUDIT-CLI-1") {
		t.Fatalf("edited event %d of HS-AUDIT-CLI-2: exit %d, want 1 naming it and only it:\n%s", edited, code, out)
	}
	t.Log(out)
}

func TestAuditUsage(t *testing.T) {
	bin := sohoa(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"audit"}, "sohoa audit verify"},
		{[]string{"audit", "check"}, "sohoa audit verify"},
		{[]string{"audit", "verify"}, "SOHOA_POSTGRES_DSN"},
		{[]string{"audit", "verify", "--dossier"}, "flag needs an argument"},
		{[]string{"audit", "verify", "--postgres", "x", "extra"}, "unexpected argument"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: want exit 2, got %v\n%s", tc.args, err, out)
		}
		if !strings.Contains(string(out), tc.says) {
			t.Errorf("%v: output does not say %q:\n%s", tc.args, tc.says, out)
		}
	}
	for _, args := range [][]string{{"help", "audit"}, {"audit", "verify", "-h"}} {
		help, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, help)
		}
		for _, f := range []string{"-dossier", "-postgres", "SOHOA_POSTGRES_DSN"} {
			if !strings.Contains(string(help), f) {
				t.Errorf("%v does not mention %s", args, f)
			}
		}
	}
	usage, _ := exec.Command(bin, "help").CombinedOutput()
	if !strings.Contains(string(usage), "sohoa audit verify") {
		t.Errorf("usage does not list audit verify:\n%s", usage)
	}
}
