package pipeline

import (
	"image"
	"math"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/raster"
)

// After the page's reading, the OCR stage reads again, one at a time, the
// lines that reading lost or garbled. On a degraded page Tesseract's layout
// analysis now and then takes a few printed lines for a picture and leaves
// them out (a form's whole second party, where a stamp's remains or dust
// sat beside them), or cuts a line among a seal's remains into fragments
// read at confidence 0. Read on its own, as one line, such a line mostly
// reads as well as its neighbours. A line read with fair confidence is
// read again too when grey ink lies under it (a seal scanned in grey over
// the signer's title), with the grey made paper; and when one of its words
// was read doubtfully (a tone mark OCR could not settle), where only the
// doubtful words take the second reading. Lines read well and clear are
// not read again, so a clean page pays only for looking.

// Which lines are read again, and which second readings are kept.
const (
	// A line whose mean word confidence is below this is read again.
	poorLine = 40.0
	// A second reading replaces the first when its confidence is this much
	// higher.
	betterBy = 15.0
	// A line found in ink that no word covers is kept when its reading's
	// confidence reaches this and most of its letters are Vietnamese
	// syllables (vie only): what a seal's or signature's remains give
	// reads as neither.
	gapConfidence = 60.0
	gapSyllables  = 0.6
	// At most this many lines a page are read again: a page that needs
	// more is beyond mending line by line (the low-confidence warning
	// tells the operator).
	maxLineRereads = 12
	// A word under doubtfulWord confidence in a line read fairly is a
	// letter or a tone mark OCR could not settle (TRÌNH at 4 in "LÊ THANH
	// TRÌNH"); read again as one line, such a word mostly reads as surely
	// as its neighbours. At most maxDoubtRereads such lines a page.
	doubtfulWord    = 50.0
	maxDoubtRereads = 8
)

// LineRereads is the manifest's account of the lines read again.
type LineRereads struct {
	Poor     int `json:"poor"`     // poorly read lines read again
	Stained  int `json:"stained"`  // lines over grey ink (a seal) read again
	Improved int `json:"improved"` // of those, read better and replaced
	Gaps     int `json:"gaps"`     // lines found in ink no word covered
	Added    int `json:"added"`    // of them, read as text and added
	Doubtful int `json:"doubtful"` // lines read fairly but for a word, read again
	Mended   int `json:"mended"`   // groups of their words, doubtful ones among them, replaced by a surer reading
}

// rereadLines reads again the poor, stained, doubtful and lost lines of
// res, the reading of the cleaned, upright page g at dpi, whose ink is
// darker than threshold.
func rereadLines(eng *ocr.Engine, g *image.Gray, dpi float64, threshold uint8, res *ocr.Result) (LineRereads, error) {
	var st LineRereads
	lineH := wordHeight(res.Words)
	if lineH == 0 {
		return st, nil // nothing read: the page's reading failed whole (reread)
	}
	budget := maxLineRereads
	d := int(math.Round(dpi))

	// Poor, stained and doubtful lines: the same box, read as one line.
	lines := res.Lines()
	var words []ocr.Word
	doubts := maxDoubtRereads
	for li, line := range lines {
		box := lineBox(line, lineH)
		poor := lineConfidence(line) < poorLine
		stain := !poor && budget > 0 && stained(g, threshold, box, lineH, dpi)
		doubt := !poor && !stain && doubts > 0 && slices.ContainsFunc(line, doubtful)
		switch {
		case budget > 0 && poor:
			budget--
			st.Poor++
		case stain:
			budget--
			st.Stained++
		case doubt:
			doubts--
			st.Doubtful++
		default:
			words = append(words, line...)
			continue
		}
		var others []ocr.Word
		for lj, l := range lines {
			if lj != li {
				others = append(others, l...)
			}
		}
		again, err := readLine(eng, g, threshold, box, lineH, d, others)
		if err != nil {
			return st, err
		}
		if doubt {
			var n int
			line, n = mendDoubtful(line, again, vietnamese(eng))
			st.Mended += n
			words = append(words, line...)
			continue
		}
		// A stained line read with the stain made paper is taken when it
		// reads surer and is as much made of Vietnamese syllables: the
		// stain's garbage was read with fair confidence.
		better := lineConfidence(again) >= lineConfidence(line)+betterBy ||
			!poor && lineConfidence(again) > lineConfidence(line) && (!vietnamese(eng) || syllableShare(again) >= syllableShare(line))
		if len(again) > 0 && better {
			st.Improved++
			for i := range again {
				again[i].Block, again[i].Par, again[i].Line = line[0].Block, line[0].Par, line[0].Line
			}
			line = again
		}
		words = append(words, line...)
	}

	// Lost lines: ink no word covers, a line or a few lines tall.
	for _, box := range uncoveredLines(g, threshold, words, lineH) {
		if budget == 0 {
			break
		}
		budget--
		st.Gaps++
		found, err := readLines(eng, g, threshold, box, lineH, d, words)
		if err != nil {
			return st, err
		}
		for _, line := range found {
			// A block read around a lost line reads its neighbours'
			// words again too: those are the first reading's.
			line = slices.DeleteFunc(line, func(w ocr.Word) bool { return overlapsAny(w.Box, words) })
			if len(line) == 0 || lineConfidence(line) < gapConfidence {
				continue
			}
			if vietnamese(eng) && syllableShare(line) < gapSyllables {
				continue
			}
			st.Added++
			words = insertLine(words, line)
		}
	}
	if st.Improved+st.Added+st.Mended > 0 {
		res.Words = words
		res.MeanConfidence = meanConfidence(words)
	}
	return st, nil
}

// lineBox is the box of a line's words, as tall as those of them a line
// tall when the line has any: a garbled line's fragments (a seal's star read
// as "@") can be as tall as three lines, and a box that tall read as one
// line reads as nothing.
func lineBox(line []ocr.Word, lineH int) image.Rectangle {
	all := wordsBox(line)
	var band image.Rectangle
	for _, w := range line {
		if w.Box.Dy() <= 3*lineH/2 {
			band = band.Union(w.Box)
		}
	}
	if band.Empty() {
		return all
	}
	// Every word across, a line's height down.
	return image.Rect(all.Min.X, band.Min.Y, all.Max.X, band.Max.Y)
}

// wordsBox is the box that holds every one of words (at least one).
func wordsBox(words []ocr.Word) image.Rectangle {
	box := words[0].Box
	for _, w := range words[1:] {
		box = box.Union(w.Box)
	}
	return box
}

// stainedShare is the share of a line's box, in light ink clear of its
// print, from which the line is read again whatever its confidence: a
// seal scanned in grey lies over the signer's title on every decision,
// and Tesseract reads the line with the seal's star and ring joined to its
// letters as garbage it is fairly sure of.
const stainedShare = 0.01

// stained reports whether light ink clear of print covers stainedShare
// of box, grown as readPart grows it: ink as light as readPart makes
// paper, further than a scan's blur from the line's darker print (whose
// soft edges are as light).
func stained(g *image.Gray, threshold uint8, box image.Rectangle, lineH int, dpi float64) bool {
	pad := max(lineH/3, 2)
	box = image.Rect(box.Min.X-pad, box.Min.Y-pad, box.Max.X+pad, box.Max.Y+pad).Intersect(g.Rect)
	if box.Empty() {
		return false
	}
	part := g.SubImage(box).(*image.Gray)
	lift := liftLevel(part, threshold)
	r := max(2, int(math.Round(dpi/100)))
	light := 0
	// at is the offset of pixel (0, y) in g.Pix, pixel x at at(y)+x.
	at := func(y int) int { return (y-g.Rect.Min.Y)*g.Stride - g.Rect.Min.X }
	for y := box.Min.Y; y < box.Max.Y; y++ {
		row := at(y)
		for x := box.Min.X; x < box.Max.X; x++ {
			if v := g.Pix[row+x]; v < lift || v >= threshold {
				continue
			}
			near := false
			for ny := max(box.Min.Y, y-r); ny <= min(box.Max.Y-1, y+r) && !near; ny++ {
				nrow := at(ny)
				for nx := max(box.Min.X, x-r); nx <= min(box.Max.X-1, x+r); nx++ {
					if g.Pix[nrow+nx] < lift {
						near = true
						break
					}
				}
			}
			if !near {
				light++
			}
		}
	}
	return float64(light) >= stainedShare*float64(box.Dx()*box.Dy())
}

// liftLevel is the level from which readPart makes the ink of part paper:
// halfway between its print's black and the page's threshold.
func liftLevel(part *image.Gray, threshold uint8) uint8 {
	return uint8((int(raster.BlackLevel(part)) + int(threshold)) / 2)
}

// readLine reads the part of g inside box, grown by a third of a line's
// height, as one line, and returns its words in g's coordinates. The
// words of mask, read already, are not read again.
func readLine(eng *ocr.Engine, g *image.Gray, threshold uint8, box image.Rectangle, lineH, dpi int, mask []ocr.Word) ([]ocr.Word, error) {
	res, err := readPart(eng, g, threshold, box, lineH, dpi, mask, eng.RecognizeLine)
	if err != nil || res == nil {
		return nil, err
	}
	return res.Words, nil
}

// readLines reads the part of g inside box as one line when it is a line
// tall, else as a block of lines, and returns its lines.
func readLines(eng *ocr.Engine, g *image.Gray, threshold uint8, box image.Rectangle, lineH, dpi int, mask []ocr.Word) ([][]ocr.Word, error) {
	read := eng.RecognizeLine
	if box.Dy() > 8*lineH/5 {
		read = eng.RecognizeBlock
	}
	res, err := readPart(eng, g, threshold, box, lineH, dpi, mask, read)
	if err != nil || res == nil {
		return nil, err
	}
	return res.Lines(), nil
}

// readPart reads the part of g inside box, grown by a third of a line's
// height, with read, and returns the result in g's coordinates. The words
// of mask are paper in what it reads: a band around a lost line
// takes in the ends of its neighbours, which were read already, and read
// again they would be there twice.
func readPart(eng *ocr.Engine, g *image.Gray, threshold uint8, box image.Rectangle, lineH, dpi int, mask []ocr.Word, read func(*image.Gray, int) (*ocr.Result, error)) (*ocr.Result, error) {
	pad := max(lineH/3, 2)
	box = image.Rect(box.Min.X-pad, box.Min.Y-pad, box.Max.X+pad, box.Max.Y+pad).Intersect(g.Rect)
	if box.Empty() {
		return nil, nil
	}
	// A copy with a white margin: Tesseract reads letters touching the
	// image's edge poorly.
	m := lineH / 2
	c := image.NewGray(image.Rect(0, 0, box.Dx()+2*m, box.Dy()+2*m))
	for i := range c.Pix {
		c.Pix[i] = 255
	}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		copy(c.Pix[(y-box.Min.Y+m)*c.Stride+m:], g.Pix[(y-g.Rect.Min.Y)*g.Stride+box.Min.X-g.Rect.Min.X:][:box.Dx()])
	}
	off := box.Min.Sub(image.Pt(m, m))
	for _, w := range mask {
		// The middle of the word only: its marks and descenders reach
		// into the lines above and below, whose letters must stay.
		q := w.Box.Dy() / 8
		r := image.Rect(w.Box.Min.X, w.Box.Min.Y+q, w.Box.Max.X, w.Box.Max.Y-q).Sub(off).Intersect(c.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := c.Pix[y*c.Stride:]
			for x := r.Min.X; x < r.Max.X; x++ {
				row[x] = 255
			}
		}
	}
	// What lost or garbled a line is mostly something lighter than print
	// over it or beside it: a seal's remains that dropout only paled, a
	// stain, show-through. Only ink nearer the print's black than the
	// paper's white stays.
	lift := liftLevel(c, threshold)
	for i, v := range c.Pix {
		if v >= lift {
			c.Pix[i] = 255
		}
	}
	res, err := read(c, dpi)
	if err != nil {
		return nil, err
	}
	for i := range res.Words {
		res.Words[i].Box = res.Words[i].Box.Add(off)
	}
	return res, nil
}

// uncoveredLines finds bands of ink, a line or a few lines tall and several
// letters long, that no word's box covers: lines the reading left out.
func uncoveredLines(g *image.Gray, threshold uint8, words []ocr.Word, lineH int) []image.Rectangle {
	b := g.Rect
	w, h := b.Dx(), b.Dy()
	covered := make([]bool, w*h)
	pad := lineH / 3
	for _, wd := range words {
		r := image.Rect(wd.Box.Min.X-pad, wd.Box.Min.Y-pad, wd.Box.Max.X+pad, wd.Box.Max.Y+pad).Intersect(b)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := covered[(y-b.Min.Y)*w:]
			for x := r.Min.X; x < r.Max.X; x++ {
				row[x-b.Min.X] = true
			}
		}
	}
	// ink calls f with each x of row y where uncovered ink lies.
	ink := func(y int, f func(x int)) {
		pix, cov := g.Pix[y*g.Stride:][:w], covered[y*w:][:w]
		t := uint32(threshold)
		for x := raster.NextUnder(pix, 0, t); x < w; x = raster.NextUnder(pix, x+1, t) {
			if !cov[x] {
				f(x)
			}
		}
	}
	// Rows where uncovered ink crosses at least a few letters' strokes.
	minRow := max(6, lineH/3)
	rowInk := make([]int, h)
	for y := range h {
		ink(y, func(int) { rowInk[y]++ })
	}
	var out []image.Rectangle
	for y0 := 0; y0 < h; {
		if rowInk[y0] < minRow {
			y0++
			continue
		}
		y1 := y0
		for gap := 0; y1 < h && gap <= lineH/4; y1++ {
			if rowInk[y1] >= minRow {
				gap = 0
			} else {
				gap++
			}
		}
		top, bottom := y0, y1
		y0 = y1
		if bh := bottom - top; bh < lineH/2 || bh > 12*lineH {
			continue // a rule, dust, or a picture: not lines of print
		}
		// Columns of the band holding ink, in runs a few letters apart.
		colInk := make([]int, w)
		for y := top; y < bottom; y++ {
			ink(y, func(x int) { colInk[x]++ })
		}
		for x0 := 0; x0 < w; {
			if colInk[x0] == 0 {
				x0++
				continue
			}
			x1, last := x0, x0
			for ; x1 < w && x1-last <= 3*lineH/2; x1++ {
				if colInk[x1] > 0 {
					last = x1
				}
			}
			r := image.Rect(x0, top, last+1, bottom).Add(b.Min)
			x0 = x1
			if r.Dx() < 3*lineH {
				continue // a letter or two, a mark: not worth a reading
			}
			n := 0
			for x := r.Min.X - b.Min.X; x < r.Max.X-b.Min.X; x++ {
				n += colInk[x]
			}
			if share := float64(n) / float64(r.Dx()*r.Dy()); share < 0.04 || share > 0.45 {
				continue // too faint or too solid for print
			}
			out = append(out, r)
		}
	}
	return out
}

// overlapsAny reports whether half of box or more lies in one of words'
// boxes.
func overlapsAny(box image.Rectangle, words []ocr.Word) bool {
	area := box.Dx() * box.Dy()
	for _, w := range words {
		in := box.Intersect(w.Box)
		if 2*in.Dx()*in.Dy() >= area && !in.Empty() {
			return true
		}
	}
	return false
}

// insertLine puts a line found anew among words, before the first line
// that lies below its middle, as a line of its own.
func insertLine(words, line []ocr.Word) []ocr.Word {
	box := wordsBox(line)
	mid := (box.Min.Y + box.Max.Y) / 2
	at := len(words)
	for i, w := range words {
		if w.Box.Min.Y > mid && (i == 0 || w.Line != words[i-1].Line || w.Block != words[i-1].Block || w.Par != words[i-1].Par) {
			at = i
			break
		}
	}
	// Numbered as no line of Tesseract's is, in the block it joins, so
	// that it reads as a line of its own.
	block, par := 0, 0
	if at > 0 {
		block, par = words[at-1].Block, words[at-1].Par
	} else if len(words) > 0 {
		block, par = words[0].Block, words[0].Par
	}
	fresh := -1
	for _, w := range words {
		fresh = min(fresh, w.Line-1)
	}
	for i := range line {
		line[i].Block, line[i].Par, line[i].Line = block, par, fresh
	}
	return slices.Insert(slices.Clip(words), at, line...)
}

// syllableShare is the share of a line's letters in words shaped like
// Vietnamese syllables, over its words of letters alone, leaving out
// acronyms (capitals without a vowel: CCCD, UBND, TTXH), which forms are
// full of and which are no syllables. 0 when no word is left.
func syllableShare(line []ocr.Word) float64 {
	var kept []ocr.Word
	for _, w := range line {
		if !acronym(w.Text) {
			kept = append(kept, w)
		}
	}
	share, _ := ocr.Plausibility(kept)
	return share
}

func acronym(s string) bool {
	s = strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(s) < 2 {
		return false
	}
	// Decomposed, a vowel is its base letter whatever its marks (Ủ is U
	// and a hook).
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if !unicode.IsUpper(r) || strings.ContainsRune("AEIOUY", r) {
			return false
		}
	}
	return true
}

// wordHeight is the median height of the words holding two or more
// letters: a printed line's height on this page.
func wordHeight(words []ocr.Word) int {
	var hs []int
	for _, w := range words {
		if len([]rune(w.Text)) >= 2 {
			hs = append(hs, w.Box.Dy())
		}
	}
	if len(hs) == 0 {
		return 0
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

// lineConfidence is a line's word confidence weighted by word length.
func lineConfidence(line []ocr.Word) float64 {
	return meanConfidence(line)
}

func meanConfidence(words []ocr.Word) float64 {
	var sum, n float64
	for _, w := range words {
		k := float64(len([]rune(w.Text)))
		sum += w.Confidence * k
		n += k
	}
	if n == 0 {
		return 0
	}
	return math.Round(sum/n*10) / 10
}

// doubtful reports whether OCR was unsure of w, a word of two letters or
// digits or more (a lone mark or stop read at low confidence is no word).
func doubtful(w ocr.Word) bool {
	if w.Confidence >= doubtfulWord {
		return false
	}
	n := 0
	for _, r := range w.Text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n >= 2
}

// mendDoubtful replaces the doubtful words of line, a line read fairly
// on the whole, with what again, the line read once more on its own, read
// in their place: where again is surer by betterBy, and (in Vietnamese)
// as much made of syllables. Words are matched by where they lie on the
// line, in groups of words that overlap across the two readings (one
// reading may split a word the other joins: "22/07/1 992" and
// "22/07/1992"); a group without a doubtful word keeps the first reading,
// so a word read surely is never read otherwise. It returns the line and
// the groups replaced.
func mendDoubtful(line, again []ocr.Word, vie bool) ([]ocr.Word, int) {
	type item struct {
		w   ocr.Word
		old bool
	}
	items := make([]item, 0, len(line)+len(again))
	for _, w := range line {
		items = append(items, item{w, true})
	}
	for _, w := range again {
		items = append(items, item{w, false})
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.w.Box.Min.X - b.w.Box.Min.X })
	var out []ocr.Word
	mended := 0
	for i := 0; i < len(items); {
		// A group: words that overlap one another across, by more than a
		// pixel or two (boxes of neighbours may touch).
		end, right := i+1, items[i].w.Box.Max.X
		for end < len(items) && items[end].w.Box.Min.X < right-2 {
			right = max(right, items[end].w.Box.Max.X)
			end++
		}
		var olds, news []ocr.Word
		for _, it := range items[i:end] {
			if it.old {
				olds = append(olds, it.w)
			} else {
				news = append(news, it.w)
			}
		}
		i = end
		take := len(olds) > 0 && len(news) > 0 && slices.ContainsFunc(olds, doubtful) &&
			meanConfidence(news) >= meanConfidence(olds)+betterBy
		if vie && take {
			// Letters read anew must make syllables: a numeral or a
			// brand read as other letters ("II." as "IH.", "VNeID" as
			// "VNelD") is no better for being surer.
			share := syllableShare(news)
			take = share >= syllableShare(olds) && (share > 0 || !slices.ContainsFunc(news, hasLetter))
		}
		if !take {
			out = append(out, olds...)
			continue
		}
		mended++
		for _, w := range news {
			w.Block, w.Par, w.Line = olds[0].Block, olds[0].Par, olds[0].Line
			out = append(out, w)
		}
	}
	return out, mended
}

func hasLetter(w ocr.Word) bool { return strings.ContainsFunc(w.Text, unicode.IsLetter) }
