package pipeline

import (
	"fmt"
	"slices"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/scan"
)

// How pages' images go into the dossier PDF (Options.Images). The
// originals are kept bit-exact beside the dossier, their SHA-256 in its
// XMP and manifest, so the PDF need not carry lossless copies: compact
// embeds each page in the smallest encoding that keeps it legible
// (scan.Page.Compact), original embeds the scan as it came.
const (
	ImagesCompact  = "compact"
	ImagesOriginal = "original"
)

// CheckImages rejects an Options.Images value other than the two modes
// (or "", compact).
func CheckImages(mode string) error {
	if mode != "" && !slices.Contains([]string{ImagesCompact, ImagesOriginal}, mode) {
		return fmt.Errorf("images %q: want %s or %s", mode, ImagesCompact, ImagesOriginal)
	}
	return nil
}

// PageImage is the manifest's record of a page's image in the PDF: the
// encoding chosen ("original", "g4", "jpeg q75", or "mrc" for a page of
// print split into a G4 mask of its ink over JPEGs of the paper and of
// the ink's colour; scan.Page.Compact), its bytes (all its layers'), and
// the bytes the original's embedding would have taken.
type PageImage struct {
	Choice        string `json:"choice"`
	Bytes         int    `json:"bytes"`
	OriginalBytes int    `json:"original_bytes"`
}

// pageImage chooses the page's image for the PDF and records the choice.
// A page that cannot be compacted keeps its original, with a warning:
// the dossier is only larger.
func pageImage(p *scan.Page, r *PageReport, opt Options) pdf.Image {
	im, choice := p.Embed, scan.ChoiceOriginal
	if opt.Images != ImagesOriginal {
		var err error
		if im, choice, err = p.Compact(); err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("page image kept as scanned: %v", err))
		}
	}
	r.Image = PageImage{Choice: choice, Bytes: im.Size(), OriginalBytes: len(p.Embed.Data)}
	return im
}
