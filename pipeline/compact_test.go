package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// TestIngestCompactImages: the fixtures' dossier with compacted page
// images (the default) against the one with the originals embedded. Every
// page of print must be split into layers (a G4 mask of the ink over
// JPEGs of the paper and of the ink's colour) and shrink, and OCR of the
// pages as each PDF shows them must read as well from the compacted
// images as from the originals: the limit, a CER within 0.1
// percentage point, over all the pages. SOHOA_COMPACT_SET names another
// folder of scans with a catalog.json (testdata/gen -n writes one) to
// measure the same way.
func TestIngestCompactImages(t *testing.T) {
	need(t, "pdftoppm", "pdfimages")
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
	for _, r := range orig.Pages {
		if r.Image.Choice != "original" || r.Image.Bytes != r.Image.OriginalBytes {
			t.Errorf("%s p%d with --images original: %+v", r.Source, r.SourcePage, r.Image)
		}
	}
	compactPDF, origPDF := filepath.Join(dir, m.PDF), filepath.Join(origDir, orig.PDF)
	// Each page of print is split; pdfimages sees its three images.
	layers := imageList(t, compactPDF)
	for _, r := range m.Pages {
		if r.Blank {
			continue
		}
		if r.Image.Choice != "mrc" || r.Image.Bytes > r.Image.OriginalBytes/3 {
			t.Errorf("%s p%d: %+v, want mrc at most a third of the original", r.Source, r.SourcePage, r.Image)
		}
		if got := layers[r.Page]; r.Image.Choice == "mrc" && !slices.Contains(mrcLayers, got) {
			t.Errorf("%s p%d: pdfimages lists %q, want the paper, the print's colour and its G4 mask, "+
				"and maybe the light ink's and the vivid ink's colour and mask", r.Source, r.SourcePage, got)
		}
	}
	// The text layer lies where it did over the originals, word for word.
	if cw, ow := wordBoxes(t, compactPDF), wordBoxes(t, origPDF); cw != ow || cw == "" {
		t.Errorf("pdftotext -bbox: the compacted dossier's words (%d bytes) are not the original's (%d bytes)", len(cw), len(ow))
	}
	cs, oss := compareCompactOCR(t, filepath.Join(testdataDir, "scans"), m, compactPDF, origPDF)
	ci, oi := fileSize(t, compactPDF), fileSize(t, origPDF)
	t.Logf("fixtures: OCR CER %.4f compacted, %.4f original; dossier %d bytes, %d with originals (%.2f)",
		cs.CER(), oss.CER(), ci, oi, float64(ci)/float64(oi))
	// Issue 13 asks for 0.1 point. The layers met it (0.0089 against
	// 0.0086) until the OCR stage learnt to read lost lines again: that
	// brought back more from a scan than from its compact copy (a grey
	// seal's lines on household p3: 0.0027 from the original, 0.0266
	// from the copy). Lines over grey ink are now read again with the
	// grey made paper (lines.go), from either (0.0064 from the copies,
	// 0.0071 from the originals).
	const limit = 0.001
	if d := cs.CER() - oss.CER(); d > limit {
		t.Errorf("OCR of the compacted images: CER %.4f, %.4f over the originals' %.4f (limit %.3f)", cs.CER(), d, oss.CER(), limit)
	}
	if ci >= oi/4 {
		t.Errorf("compacted dossier %d bytes, not under a quarter of the one with originals (%d)", ci, oi)
	}

	set := os.Getenv("SOHOA_COMPACT_SET")
	if set == "" {
		return
	}
	inputs, err := Inputs([]string{set})
	if err != nil {
		t.Fatal(err)
	}
	inputs = slicesDeleteJSON(inputs)
	setCompact, setOrig := t.TempDir(), t.TempDir()
	mc, err := Ingest(context.Background(), inputs, setCompact, Options{Code: "SET", OCRDPI: DefaultOCRDPI}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mo, err := Ingest(context.Background(), inputs, setOrig, Options{Code: "SET", OCRDPI: DefaultOCRDPI, Images: ImagesOriginal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, oss = compareCompactOCR(t, set, mc, filepath.Join(setCompact, mc.PDF), filepath.Join(setOrig, mo.PDF))
	t.Logf("%s: OCR CER %.4f compacted, %.4f original", set, cs.CER(), oss.CER())
	if d := cs.CER() - oss.CER(); d > 0.001 {
		t.Errorf("%s: OCR of the compacted images: CER %.4f, %.4f over the originals' %.4f (limit 0.001)", set, cs.CER(), d, oss.CER())
	}
}

// mrcLayers are the images pdfimages lists for a page in layers: the
// paper, the print's colour and mask, and the light ink's and the vivid
// ink's, where the page has them.
var mrcLayers = []string{
	"image jpeg, image jpeg, mask ccitt",
	"image jpeg, image jpeg, mask ccitt, image jpeg, mask ccitt",
	"image jpeg, image jpeg, mask ccitt, image jpeg, mask ccitt, image jpeg, mask ccitt",
}

func slicesDeleteJSON(files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") {
			out = append(out, f)
		}
	}
	return out
}

// compareCompactOCR renders the two dossiers' pages as a reader sees them
// (pdftoppm, 300 dpi grey), reads the renderings through the whole
// pipeline (cleanup included: raw Tesseract reads a form's dotted leaders
// as noise that swamps the difference measured) and scores both readings
// of every catalogued page of m against the truth, logging each page's and
// each class's (the page's image choice and colour).
func compareCompactOCR(t *testing.T, scans string, m *Manifest, compactPDF, origPDF string) (compact, orig ocr.Score) {
	t.Helper()
	reread := func(pdfPath string) *Manifest {
		out := t.TempDir()
		runTool(t, "pdftoppm", "-r", "300", "-gray", "-png", pdfPath, filepath.Join(out, "p"))
		pngs, err := filepath.Glob(filepath.Join(out, "p-*.png"))
		if err != nil || len(pngs) != len(m.Pages) {
			t.Fatalf("pdftoppm %s: %d pages (%v), want %d", pdfPath, len(pngs), err, len(m.Pages))
		}
		sort.Strings(pngs)
		rm, err := Ingest(context.Background(), pngs, filepath.Join(out, "dossier"), Options{Code: "HS-REREAD", OCRDPI: DefaultOCRDPI, Images: ImagesOriginal}, nil)
		if err != nil {
			t.Fatalf("ingest the pages of %s: %v", pdfPath, err)
		}
		return rm
	}
	compactRead, origRead := reread(compactPDF), reread(origPDF)
	b, err := os.ReadFile(filepath.Join(scans, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var catalog []struct {
		catalogPage
		Color bool `json:"color"`
	}
	if err := json.Unmarshal(b, &catalog); err != nil {
		t.Fatal(err)
	}
	type class struct{ compact, orig ocr.Score }
	classes := map[string]*class{}
	for _, c := range catalog {
		r := report(m, c.File, c.Page)
		if c.Blank || r == nil {
			continue
		}
		truth, err := os.ReadFile(filepath.Join(filepath.Dir(scans), c.Truth))
		if err != nil {
			t.Fatal(err)
		}
		// Words sorted: reading order is not what is measured.
		read := func(m *Manifest) ocr.Score {
			return ocr.Compare(sortedWords(string(truth)), sortedWords(m.Pages[r.Page-1].Text))
		}
		cs, oss := read(compactRead), read(origRead)
		compact, orig = compact.Add(cs), orig.Add(oss)
		name := fmt.Sprintf("%s, grey", r.Image.Choice)
		if c.Color {
			name = fmt.Sprintf("%s, colour", r.Image.Choice)
		}
		if classes[name] == nil {
			classes[name] = &class{}
		}
		classes[name].compact, classes[name].orig = classes[name].compact.Add(cs), classes[name].orig.Add(oss)
		t.Logf("%-28s p%d %-9s %8d bytes (original %8d): OCR CER %.4f, of the original %.4f",
			c.File, c.Page, r.Image.Choice, r.Image.Bytes, r.Image.OriginalBytes, cs.CER(), oss.CER())
	}
	for name, c := range classes {
		t.Logf("class %-18s OCR CER %.4f compacted, %.4f original", name, c.compact.CER(), c.orig.CER())
	}
	return compact, orig
}

// wordBoxes is pdftotext -bbox's words with their boxes, one a line.
func wordBoxes(t *testing.T, pdfPath string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-bbox", pdfPath, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox %s: %v", pdfPath, err)
	}
	var words []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "<word ") {
			words = append(words, strings.TrimSpace(line))
		}
	}
	return strings.Join(words, "\n")
}

// imageList is pdfimages -list's images per page: their types and
// encodings in order, e.g. "image jpeg, mask ccitt".
func imageList(t *testing.T, pdfPath string) map[int]string {
	t.Helper()
	out, err := exec.Command("pdfimages", "-list", pdfPath).Output()
	if err != nil {
		t.Fatalf("pdfimages -list %s: %v", pdfPath, err)
	}
	pages := map[int]string{}
	for _, line := range strings.Split(string(out), "\n")[2:] {
		f := strings.Fields(line)
		if len(f) < 9 {
			continue
		}
		var n int
		fmt.Sscan(f[0], &n)
		if pages[n] != "" {
			pages[n] += ", "
		}
		pages[n] += f[2] + " " + f[8]
	}
	return pages
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
