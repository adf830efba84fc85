package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// TestIngestCompactImages: the fixtures' dossier with compacted page
// images (the default) against the one with the originals embedded. The
// colour PNG page must shrink, and OCR of the pages' images as each PDF
// holds them must read as well from the compacted images as from the
// originals: the limit, a CER within 0.1 percentage point, over
// all the pages.
func TestIngestCompactImages(t *testing.T) {
	m, dir := ingestFixtures(t)
	origDir := t.TempDir()
	files, err := Inputs([]string{filepath.Join(testdataDir, "scans")})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Ingest(context.Background(), files, origDir, Options{Code: "HS-TEST-0001", OCRDPI: DefaultOCRDPI, Images: ImagesOriginal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	compactPDF, origPDF := filepath.Join(dir, m.PDF), filepath.Join(origDir, orig.PDF)
	for _, r := range orig.Pages {
		if r.Image.Choice != "original" || r.Image.Bytes != r.Image.OriginalBytes {
			t.Errorf("%s p%d with --images original: %+v", r.Source, r.SourcePage, r.Image)
		}
	}
	// The lossless colour scan (a PNG, 300 dpi) shrinks to a JPEG.
	notice := report(m, "notice-skew7-300.png", 1)
	if notice == nil {
		t.Fatal("notice-skew7-300.png missing from the manifest")
	}
	if notice.Image.Choice != "jpeg q75" || notice.Image.Bytes > notice.Image.OriginalBytes*6/10 {
		t.Errorf("colour PNG page: %+v, want a JPEG at most 0.6 of the original", notice.Image)
	}

	// OCR of the pages' images as each dossier holds them: the dossiers
	// themselves ingested, through the whole pipeline (cleanup included:
	// raw Tesseract reads a form's dotted leaders as noise that swamps the
	// difference measured).
	reread := func(pdfPath string) *Manifest {
		out := t.TempDir()
		m, err := Ingest(context.Background(), []string{pdfPath}, out, Options{Code: "HS-REREAD", OCRDPI: DefaultOCRDPI, Images: ImagesOriginal}, nil)
		if err != nil {
			t.Fatalf("ingest %s: %v", pdfPath, err)
		}
		return m
	}
	compactRead, origRead := reread(compactPDF), reread(origPDF)
	var compactTotal, origTotal ocr.Score
	for _, c := range loadCatalog(t) {
		r := report(m, c.File, c.Page)
		if c.Blank || r == nil {
			continue
		}
		truth, err := os.ReadFile(filepath.Join(testdataDir, c.Truth))
		if err != nil {
			t.Fatal(err)
		}
		// Words sorted: reading order is not what is measured.
		read := func(m *Manifest) ocr.Score {
			return ocr.Compare(sortedWords(string(truth)), sortedWords(m.Pages[r.Page-1].Text))
		}
		cs, os := read(compactRead), read(origRead)
		compactTotal, origTotal = compactTotal.Add(cs), origTotal.Add(os)
		t.Logf("%-28s p%d %-9s %8d bytes (original %8d): OCR CER %.4f, of the original %.4f",
			c.File, c.Page, r.Image.Choice, r.Image.Bytes, r.Image.OriginalBytes, cs.CER(), os.CER())
	}
	ci, oi := fileSize(t, compactPDF), fileSize(t, origPDF)
	t.Logf("all pages: OCR CER %.4f compacted, %.4f original; dossier %d bytes, %d with originals (%.2f)",
		compactTotal.CER(), origTotal.CER(), ci, oi, float64(ci)/float64(oi))
	if d := compactTotal.CER() - origTotal.CER(); d > 0.001 {
		t.Errorf("OCR of the compacted images: CER %.4f, %.4f over the originals' %.4f (limit 0.001)",
			compactTotal.CER(), d, origTotal.CER())
	}
	if ci >= oi {
		t.Errorf("compacted dossier %d bytes, not smaller than with originals (%d)", ci, oi)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
