package pdf

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The text layer is drawn in render mode 3 (neither fill nor stroke), so it
// is invisible but extracted, searched and selected like any text. Every
// glyph of the glyphless font is glyphlessAdvance/1000 em wide and its em
// box runs from glyphlessDescent to glyphlessAscent, so with the font size
// equal to the line height the glyphs' boxes cover the line box exactly, and
// horizontal scaling (Tz) stretches a word to its box.

// minGapEm is the smallest gap, in em, left between two words of a line.
// Text extractors decide word breaks by geometry and ignore the space
// character in between (poppler joins words less than about 0.04 em
// apart), so when OCR boxes touch or overlap, the left word is drawn a
// little narrower than its box rather than merged with its neighbour.
const minGapEm = 0.1

// minTextSize is the smallest line height, in points, given a text layer.
// Below it the font size would print as 0 and the horizontal scaling
// derived from it could pass PDF/A's limit on real numbers.
const minTextSize = 0.01

// writeTextLayer appends the BT ... ET block for lines to b, nothing when no
// line has a word, and adds the codes it shows to used.
func writeTextLayer(b *bytes.Buffer, lines []Line, used *codeSet) {
	started := false
	for _, l := range lines {
		words := make([]shownWord, 0, len(l.Words))
		for _, wd := range l.Words {
			if sw, ok := newShownWord(wd); ok {
				words = append(words, sw)
			}
		}
		if len(words) == 0 {
			continue
		}
		box := l.Box
		if box.Y1 <= box.Y0 {
			box = wordsBox(words)
		}
		size := box.Y1 - box.Y0
		if size < minTextSize {
			continue // no height to give the text: nothing a viewer could select
		}
		if !started {
			b.WriteString("BT\n3 Tr\n")
			started = true
		}
		baseline := box.Y0 - size*glyphlessDescent/glyphlessUPM
		fmt.Fprintf(b, "/%s %s Tf\n", fontName, num(size, 3))
		advance := size * glyphlessAdvance / glyphlessUPM // one glyph at 100% scale
		// OCR boxes of neighbouring words can overlap (Tesseract boxes a
		// word with its marks, which may reach over the next); a word then
		// starts no sooner than the gap after the last one ended, so that
		// extractors never run two words together.
		minX := math.Inf(-1)
		for i, wd := range words {
			n := float64(len(wd.codes))
			x0, x1 := max(wd.box.X0, minX), wd.box.X1
			if x1 <= x0 {
				x1 = x0 + advance*n*max(0.25, (wd.box.X1-wd.box.X0)/(advance*n))
			}
			last := i+1 == len(words)
			var next float64
			if !last {
				next = max(words[i+1].box.X0, x0+minGapEm*size)
				if limit := next - minGapEm*size; x1 > limit {
					x1 = max(limit, x0+(x1-x0)/4)
				}
			}
			minX = x1 + minGapEm*size
			fmt.Fprintf(b, "1 0 0 1 %s %s Tm\n%s Tz\n", num2(x0), num2(baseline), tzNum((x1-x0)/(advance*n)))
			writeHex(b, wd.codes)
			b.WriteString(" Tj\n")
			for _, c := range wd.codes {
				used.add(c)
			}
			if !last {
				// A real space character between words, stretched over the
				// gap: viewers copy "word word", not "wordword", and the
				// space's box is the gap, so no word's highlight spills
				// over its neighbour.
				gap := max(max(next, minX)-x1, minGapEm*size)
				fmt.Fprintf(b, "%s Tz\n<0020> Tj\n", tzNum(gap/advance))
				used.add(0x20)
			}
		}
	}
	if started {
		b.WriteString("ET\n")
	}
}

// shownWord is a word ready to show: its text as 2-byte codes.
type shownWord struct {
	codes []uint16
	box   Rect
}

// newShownWord normalises the text to NFC (so a decomposed "ệ" from OCR is
// one character, as Vietnamese search expects) and encodes it; words that
// are empty or only spaces are not shown.
func newShownWord(w Word) (shownWord, bool) {
	text := norm.NFC.String(w.Text)
	if strings.TrimSpace(text) == "" {
		return shownWord{}, false
	}
	codes := make([]uint16, 0, len(text))
	for _, r := range text {
		codes = append(codes, textCode(r))
	}
	return shownWord{codes: codes, box: w.Box}, true
}

// wordsBox is the union of the words' boxes, used when a line comes without
// a usable box of its own.
func wordsBox(words []shownWord) Rect {
	r := words[0].box
	for _, w := range words[1:] {
		r.X0 = min(r.X0, w.box.X0)
		r.Y0 = min(r.Y0, w.box.Y0)
		r.X1 = max(r.X1, w.box.X1)
		r.Y1 = max(r.Y1, w.box.Y1)
	}
	return r
}

// tzNum formats a scale factor as the percentage Tz takes.
func tzNum(scale float64) string { return num(scale*100, 3) }

// writeHex writes codes as a hex string, four digits per code.
func writeHex(b *bytes.Buffer, codes []uint16) {
	b.WriteByte('<')
	for _, c := range codes {
		fmt.Fprintf(b, "%04X", c)
	}
	b.WriteByte('>')
}
