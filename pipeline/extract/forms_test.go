package extract_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/extract/extracttest"
	"github.com/sohoa/sohoa/testdata/gen/forms"
)

func TestMain(m *testing.M) {
	if err := ocr.SingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// testForms is the subset the tests read: the first of every document
// type and three more, each under a different class of fault.
const testForms = 12

var generated struct {
	once sync.Once
	fs   []forms.Form
	err  error
}

func subset(t testing.TB) []forms.Form {
	t.Helper()
	generated.once.Do(func() { generated.fs, generated.err = forms.Generate(testForms, forms.Seed) })
	if generated.err != nil {
		t.Fatalf("generate forms: %v", generated.err)
	}
	return generated.fs
}

var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// floor is what a field must reach, in precision and in recall.
type floor struct {
	field string
	p, r  float64
}

func hold(t *testing.T, rs []extracttest.Result, floors []floor) {
	t.Helper()
	s := extracttest.Score(rs)
	var table strings.Builder
	s.Table(&table)
	t.Log("\n" + table.String())
	for _, f := range floors {
		c := s.ByRole[f.field]
		if c.Truth == 0 {
			t.Errorf("%s: no true values in the subset: the test measures nothing", f.field)
		}
		if c.Precision() < f.p || c.Recall() < f.r {
			t.Errorf("%s: precision %.3f, recall %.3f (%d right of %d extracted, %d true); want at least %.2f and %.2f",
				f.field, c.Precision(), c.Recall(), c.Right, c.Extracted, c.Truth, f.p, f.r)
		}
	}
	if t.Failed() {
		for _, r := range rs {
			for _, m := range extracttest.Misses(r) {
				t.Logf("%s: %s", r.Form.Name, m)
			}
		}
	}
}

// On the forms' text as printed, read without error, extraction finds
// every field: the targets of issue 11 hold for every field, with no
// margin, so that what the pipeline's reading costs is measured apart.
func TestFormsPrintedText(t *testing.T) {
	fs := subset(t)
	types := map[string]bool{}
	for _, f := range fs {
		types[f.Truth.DocumentType] = true
	}
	if len(types) < 8 {
		t.Fatalf("the subset covers %d document types, want 8 or more", len(types))
	}
	var floors []floor
	for _, f := range extracttest.Scored {
		if f != extract.FieldLegacyID {
			floors = append(floors, floor{f, 0.97, 0.97})
		}
	}
	hold(t, extracttest.ReadText(fs, now), floors)
}

// Read through the real pipeline (orient, deskew, cleanup, Tesseract) from
// scans with the hard set's faults, extraction holds the targets of issue
// 11 where the reading allows: document type, identification number and
// date of birth, with a margin of one miss in the subset. Names and
// addresses are held to what the pipeline's reading allows today, below
// the targets: the pipeline's removal of form leaders erases dot-below tone
// marks that sit on the leader's line (bench/fieldbench reports how many
// of the misses are that), so those floors guard against regressions, not
// the targets.
func TestFormsThroughPipeline(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatal("tesseract not installed: run deploy/setup.sh")
	}
	fs := subset(t)
	rs, err := extracttest.Read(fs, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Form.Name, r.Err)
		}
	}
	hold(t, rs, []floor{
		{extracttest.DocumentType, 0.97, 0.9},
		{extract.FieldID, 0.99, 0.94}, // a wrong number is worse than none
		{extract.FieldDateOfBirth, 0.94, 0.94},
		{extract.FieldName, 0.7, 0.7},
		{extracttest.Address, 0.45, 0.45},
	})
	t.Logf("misread, by field: %+v", extracttest.Misreads(rs))
}

// BenchmarkExtract measures extraction alone, on a form's words.
func BenchmarkExtract(b *testing.B) {
	fs := subset(b)
	var pages []extract.Page
	for _, f := range fs {
		pages = append(pages, extracttest.TextPage(1, f.File.Pages[0].Text))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		extract.Extract(pages[i%len(pages):i%len(pages)+1], now)
	}
}
