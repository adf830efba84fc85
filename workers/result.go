package workers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/pdf"
)

// Stage versions. Bump one when its stage's output for the same input
// changes, so results made by the old code are not taken for the new.
const (
	// page-2: the resolution measured on pages that record none, colour
	// dropout, border, light and speckle cleanup of OCR's copy; page-3:
	// a form's dot-below marks kept when its leader dots are erased, and
	// on a speckled page the dust dots as big as print's, away from letters;
	// page-4: pages' images compacted (G4 or JPEG) unless the worker keeps
	// originals, so a page-3 result holds a different image; page-5:
	// lost and poorly read lines read again (the lines step), tone marks
	// of names mended, and pages of print compacted as layers (mrc);
	// page-6: light ink (a seal in grey) a layer of its own; page-7: the
	// layers of a page under 250 dpi measured on its own grid, and lines
	// over grey ink read again; page-8: a line read fairly but for a
	// doubtful word read again, and the word replaced where surer;
	// words Tesseract emitted twice over the same letters dropped.
	pageStageVersion = "page-8"
	// assemble-2: the whole manifest, not only the page reports, is
	// stored beside the PDF; assemble-3: the metadata stages' result in
	// it, their summary in the XMP.
	assembleStageVersion = "assemble-3"
)

// pageResult is what the page stages made of one stored original: every
// page in it (a TIFF or PDF may hold several), ready for assembly. It is
// stored as JSON under storage.PageResultKey, and holds nothing that
// differs between two runs on the same input (stage timings go to the
// catalog's event instead), so a page processed twice gives the same
// bytes.
type pageResult struct {
	Version string       `json:"version"`
	SHA256  string       `json:"original_sha256"`
	Pages   []resultPage `json:"pages"`
}

type resultPage struct {
	Report pipeline.PageReport `json:"report"`
	// PDF is the page for the dossier PDF without its image data, which
	// is the original's bytes when ImageKey is "" (a JPEG goes into the PDF
	// as scanned) and otherwise stored under ImageKey
	// (storage.PageImageKey).
	PDF      pdf.Page `json:"pdf"`
	ImageKey string   `json:"image_key,omitempty"`
}

// resultDigest names what, beside the original, decides a page result:
// the stage version and the worker's settings (sohoa's own version,
// Tesseract's, the OCR language, models and options). Workers with the
// same build and settings agree on it, and so on where the result of an
// original lies (storage.PageResultKey).
func resultDigest(settings string) string {
	h := sha256.Sum256([]byte(pageStageVersion + "\n" + settings))
	return hex.EncodeToString(h[:12])
}

func encodeResult(r *pageResult) ([]byte, string) {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func decodeResult(r io.Reader) (*pageResult, error) {
	var res pageResult
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, err
	}
	if res.Version != pageStageVersion {
		return nil, fmt.Errorf("page result of version %q, want %q", res.Version, pageStageVersion)
	}
	return &res, nil
}

// assembledDigest names what decides a dossier's assembly: its page
// results, its date (the PDF carries its submission time), the stage's and
// sohoa's versions (storage.AssembledKey).
func assembledDigest(code string, submitted string, results []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", assembleStageVersion, pipeline.Version(), code, submitted)
	for _, r := range results {
		fmt.Fprintln(h, r)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
