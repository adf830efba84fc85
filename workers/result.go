package workers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/pdf"
)

// Stage versions. Bump one when its stage's output for the same input
// changes, so results made by the old code are not taken for the new.
const (
	// page-2: the resolution measured on pages that record none, colour
	// dropout, border, light and speckle cleanup of OCR's copy.
	pageStageVersion     = "page-2"
	assembleStageVersion = "assemble-1"
)

// pageResult is what the page stages made of one stored original: every
// page in it (a TIFF or PDF may hold several), ready for assembly. It is
// stored as JSON under resultKey, and holds nothing that differs between
// two runs on the same input (stage timings go to the catalog's event
// instead), so a page processed twice gives the same bytes.
type pageResult struct {
	Version string       `json:"version"`
	SHA256  string       `json:"original_sha256"`
	Pages   []resultPage `json:"pages"`
}

type resultPage struct {
	Report pipeline.PageReport `json:"report"`
	// PDF is the page for the dossier PDF without its image data, which
	// is the original's bytes when ImageKey is "" (a JPEG goes into the PDF
	// as scanned) and otherwise stored under ImageKey.
	PDF      pdf.Page `json:"pdf"`
	ImageKey string   `json:"image_key,omitempty"`
}

// resultKey is where the result of processing the original with SHA-256
// sum lives: the input's hash and everything else that decides the output
// (stage version, sohoa's own version, the OCR language, models, and
// options). Workers with the same build and settings agree on it.
func resultKey(sum string, settings string) string {
	h := sha256.Sum256([]byte(pageStageVersion + "\n" + settings))
	return fmt.Sprintf("results/pages/%s/%s/%s.json", sum[:2], sum, hex.EncodeToString(h[:12]))
}

// imageKey is where page n's re-encoded image goes when the PDF cannot
// carry the original's bytes (PNG data, TIFF frames, PDF pages).
func imageKey(resultKey string, n int) string {
	return fmt.Sprintf("%s-p%d.img", strings.TrimSuffix(resultKey, ".json"), n)
}

// frameKey is where frame n's result goes while a file of several frames
// is being processed (a pageResult of that one page): derived, like the
// whole result, from the original's hash, the stage version and settings.
func frameKey(resultKey string, n int) string {
	return fmt.Sprintf("%s-p%d.json", strings.TrimSuffix(resultKey, ".json"), n)
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

// assembledKey is where the dossier PDF assembled from the given page
// results goes; the PDF carries its submission time, so that is input too.
func assembledKey(code string, submitted string, results []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", assembleStageVersion, pipeline.Version(), code, submitted)
	for _, r := range results {
		fmt.Fprintln(h, r)
	}
	return fmt.Sprintf("dossiers/%s/assembled-%s.pdf", code, hex.EncodeToString(h.Sum(nil)[:16]))
}

// reportsKey is where assembly stores the page reports of the PDF at
// assembled, in dossier order.
func reportsKey(assembled string) string {
	return strings.TrimSuffix(assembled, ".pdf") + "-pages.json"
}

// signedKey names a signed PDF by its own hash: two signings of one PDF
// differ (time, signature randomness), so each gets its own object and
// the catalog records which one is the dossier's.
func signedKey(code, sum string) string { return fmt.Sprintf("dossiers/%s/signed-%s.pdf", code, sum) }

func manifestKey(code, sum string) string {
	return fmt.Sprintf("dossiers/%s/signed-%s.json", code, sum)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
