package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/reconcile"
)

// TestIngestRegister runs sohoa ingest with --register against a real
// PostgreSQL mirror loaded by 'sohoa register load': the resident on the
// residence form is in the register and is confirmed field by field, the
// household head's number is not and is said so, and the PDF's XMP carries
// the summary. The same pages with the register unreachable still make the
// dossier, its reconciliation pending.
func TestIngestRegister(t *testing.T) {
	bin := sohoa(t)
	dsn := testenv.PostgresDB(t)
	// The resident of testdata/scans/form-300.jpg, as a register would
	// hold her: name with every tone mark, place of residence by codes.
	csv := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(csv, []byte("id,family_name,middle_name,given_name,gender,ethnicity,nationality,birth,permanent_province,permanent_district,permanent_ward,permanent_detail\n"+
		"027186009213,Nguyễn,Thị Ngọc,Ẩn,2,01,VN,19860307,27,256,09163,Số 24 đường Nguyễn Gia Thiều\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "register", "load", "--postgres", dsn, csv).CombinedOutput(); err != nil {
		t.Fatalf("register load: %v\n%s", err, out)
	}

	ingest := func(register string) (*pipeline.Manifest, string, string) {
		out := t.TempDir()
		cmd := exec.Command(bin, "ingest", "--out", out, "--code", "HS-REG-1", "--no-sign", "--register", register,
			"--officer", "canbo.thu", "--agency", "000.00.01.H26", "--procedure", "1.001612", "../../testdata/scans/form-300.jpg")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ingest: %v\n%s", err, b)
		}
		raw, err := os.ReadFile(filepath.Join(out, "HS-REG-1.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		meta, err := exec.Command("pdfinfo", "-meta", filepath.Join(out, "HS-REG-1.pdf")).Output()
		if err != nil {
			t.Fatal(err)
		}
		return &m, string(b), string(meta)
	}

	m, stdout, xmp := ingest(dsn)
	if m.Metadata == nil || len(m.Metadata.Documents) != 1 || m.Metadata.Documents[0].DocumentType == "" {
		t.Fatalf("metadata %+v", m.Metadata)
	}
	r := m.Metadata.Reconciliation
	if r == nil || r.Status != reconcile.Reconciled {
		t.Fatalf("reconciliation %+v\n%s", r, stdout)
	}
	var resident, head *reconcile.Person
	for i := range r.People {
		switch r.People[i].Number {
		case "027186009213":
			resident = &r.People[i]
		case "027084011578":
			head = &r.People[i]
		}
	}
	if resident == nil || head == nil {
		t.Fatalf("the resident or the household head was not looked up: %+v", r.People)
	}
	if resident.Outcome != reconcile.Found || resident.Record == nil || resident.Record.Name.Given != "Ẩn" {
		t.Fatalf("resident: %+v", resident)
	}
	if head.Outcome != reconcile.NotFound || head.Record != nil {
		t.Errorf("household head, not in the register: %+v", head)
	}
	got := map[string]reconcile.Check{}
	for _, c := range resident.Fields {
		got[c.Field] = c
	}
	for _, f := range []string{extract.FieldDateOfBirth, extract.FieldGender, extract.FieldPermanentAddress, extract.FieldEthnicity, extract.FieldNationality} {
		if got[f].Status != reconcile.Confirmed {
			t.Errorf("%s: %+v, want confirmed", f, got[f])
		}
	}
	// OCR may lose a tone mark of the name; it must not read another name.
	if n := got[extract.FieldName]; n.Status != reconcile.Confirmed && n.Difference != reconcile.DiffToneMarks {
		t.Errorf("name: %+v", n)
	}
	for _, want := range []string{"<sohoa:reconciliation>reconciled</sohoa:reconciliation>", "<sohoaPerson:idNumber>027186009213</sohoaPerson:idNumber>",
		"<sohoaPerson:register>found</sohoaPerson:register>", "<sohoaPerson:register>not_found</sohoaPerson:register>"} {
		if !strings.Contains(xmp, want) {
			t.Errorf("XMP lacks %s", want)
		}
	}
	if !strings.Contains(stdout, "register reconciled") {
		t.Errorf("summary does not say the register was asked:\n%s", stdout)
	}

	// Nothing listens on port 1: the register is down, the dossier is made.
	m, stdout, xmp = ingest("postgres://nobody@127.0.0.1:1/register?connect_timeout=2")
	if r := m.Metadata.Reconciliation; r == nil || r.Status != reconcile.Pending || r.Error == "" || len(r.People) != 0 || m.PDF == "" {
		t.Fatalf("register down: %+v, PDF %q\n%s", r, m.PDF, stdout)
	}
	if !strings.Contains(xmp, "<sohoa:reconciliation>pending</sohoa:reconciliation>") {
		t.Error("XMP does not say the reconciliation is pending")
	}
}
