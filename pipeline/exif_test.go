package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/raster"
)

// exifJPEG encodes g as a JPEG whose Exif segment says: orientation o.
func exifJPEG(t *testing.T, g *image.Gray, o uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00") // header, IFD of one entry
	tiff = append(tiff, 0x12, 0x01, 3, 0, 1, 0, 0, 0) // tag 274 (Orientation), SHORT, count 1
	tiff = le.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // value padding, no next IFD
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(2+6+len(tiff)))
	seg = append(append(seg, "Exif\x00\x00"...), tiff...)
	data := b.Bytes()
	return append(append(append([]byte{}, data[:2]...), seg...), data[2:]...)
}

// TestEXIFOrientation stores a page turned a quarter counter-clockwise with
// Exif orientation 6 (display: turn clockwise), as cameras and some
// scanner drivers write it: the dossier page must come out upright, in
// portrait, with its text read, and no further turn applied.
func TestEXIFOrientation(t *testing.T) {
	f, err := os.Open(filepath.Join(testdataDir, "scans", "receipt-150.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	up := img.(*image.Gray)
	turn, w, h := raster.QuarterTurn(3, up.Rect.Dx(), up.Rect.Dy())
	stored := raster.Render(up, turn.Invert(), w, h)
	path := filepath.Join(t.TempDir(), "camera.jpg")
	if err := os.WriteFile(path, exifJPEG(t, stored, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := Ingest(context.Background(), []string{path}, dir, Options{Code: "HS-EXIF", OCRDPI: DefaultOCRDPI}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Pages[0]
	if r.EXIFOrientation != 6 || r.Rotation != 0 {
		t.Errorf("exif orientation %d, rotation %d: want 6 and no further turn", r.EXIFOrientation, r.Rotation)
	}
	truth, err := os.ReadFile(filepath.Join(testdataDir, "truth", "receipt-150.txt"))
	if err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(dir, m.PDF)
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", pdfPath, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := ocr.Compare(string(truth), string(text)); s.CER() > 0.02 {
		t.Errorf("CER %.4f through Exif orientation", s.CER())
	}
	info, err := exec.Command("pdfinfo", pdfPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	// 1240×1754 px, upright, at the 150 dpi measured on the page for a
	// JPEG that records no resolution (its text, on an A4 sheet): 595.2 ×
	// 841.9 pt, portrait.
	var pw, ph float64
	for _, l := range strings.Split(string(info), "\n") {
		if strings.HasPrefix(l, "Page size:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "Page size:")), "%g x %g", &pw, &ph)
		}
	}
	if math.Abs(pw-595.2) > 0.05 || math.Abs(ph-841.92) > 0.05 {
		t.Errorf("page is %g × %g pt, want the upright 595.2 × 841.92:\n%s", pw, ph, info)
	}
	// And the image is drawn upright where the words are: render the
	// page and check its top margin is paper and its text area is not.
	out := filepath.Join(t.TempDir(), "pg")
	if err := exec.Command("pdftoppm", "-r", "30", "-gray", "-png", pdfPath, out).Run(); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(out + "-1.png")
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	pg, err := png.Decode(rf)
	if err != nil {
		t.Fatal(err)
	}
	b := pg.Bounds()
	if b.Dx() >= b.Dy() {
		t.Errorf("rendered page is %v: landscape", b)
	}
	// The scan's own ink (as opposed to the invisible text) must sit where
	// the OCR found words: the first word's box should be darker than the
	// page corner.
	wb := r.WordBoxes[0].Box
	k := 30 / r.OCRDPI
	cx, cy := int(float64(wb[0]+wb[2])/2*k), int(float64(wb[1]+wb[3])/2*k)
	dark := func(x, y int) uint32 { v, _, _, _ := pg.At(x, y).RGBA(); return v >> 8 }
	var minWord uint32 = 255
	for dy := -2; dy <= 2; dy++ {
		for dx := -6; dx <= 6; dx++ {
			minWord = min(minWord, dark(cx+dx, cy+dy))
		}
	}
	if corner := dark(2, 2); minWord+60 > corner {
		t.Errorf("no ink under the first word %q at (%d,%d): %d vs paper %d", r.WordBoxes[0].Text, cx, cy, minWord, corner)
	}
}
