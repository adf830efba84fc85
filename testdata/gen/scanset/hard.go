package scanset

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"
)

// HardSeed fixes the hard set the tests generate.
const HardSeed = 20250610

// HardPerClass is how many pages of each class the tests use: one in each
// of the four quarter turns.
const HardPerClass = 4

// The hard set's classes, each named for the fault it is built around.
// Every page also has the ordinary faults of a desk scan, a skew up to 6°
// (the skew class: 10° to 15°), one of the four quarter turns (each turn
// once in every four pages of a class), and, often, a milder second
// fault drawn from noise, show-through, uneven light and dust: real scans
// come with several at once. desk-mix is the worst case, most faults
// together.
const (
	ClassNoise         = "noise"          // sensor noise, σ 10 to 20 levels
	ClassSpeckle       = "speckle"        // salt-and-pepper specks on 0.2 to 0.8 % of pixels and 15 to 40 dust specks
	ClassJPEG40        = "jpeg40"         // JPEG quality 40, over some sensor noise
	ClassDPI150        = "dpi150"         // scanned at 150 dpi
	ClassSealSignature = "seal-signature" // a red seal and a blue signature over printed lines
	ClassLidBorder     = "lid-border"     // the sheet off the glass's corner: a dark border along one or two edges
	ClassBleedThrough  = "bleed-through"  // the back's text showing through, mirrored, strongly
	ClassUnevenLight   = "uneven-light"   // a lamp gradient, vignetting, a shadow: up to half the light lost
	ClassSkew          = "skew"           // skew of 10° to 15°
	ClassNoDPI         = "no-dpi"         // phone photos and screenshots at 70 to 150 dpi, no resolution in the file
	ClassDeskMix       = "desk-mix"       // noise, JPEG 45-60, 150-200 dpi, seal, signature, border, bleed-through, uneven light, skew to 15°
)

// HardClasses lists the classes in the order the set is made.
var HardClasses = []string{
	ClassNoise, ClassSpeckle, ClassJPEG40, ClassDPI150, ClassSealSignature, ClassLidBorder,
	ClassBleedThrough, ClassUnevenLight, ClassSkew, ClassNoDPI, ClassDeskMix,
}

// Hard makes perClass pages of every class in HardClasses, named
// CLASS-NN.jpg or .png. The same seed gives the same bytes, and page
// CLASS-NN is the same page in a set of any size.
func Hard(perClass int, seed uint64) ([]File, error) {
	if perClass <= 0 {
		return nil, fmt.Errorf("hard set: pages per class must be positive, got %d", perClass)
	}
	return generate(hard(perClass, seed), seed)
}

func hard(perClass int, seed uint64) []*outputFile {
	var outs []*outputFile
	for c, class := range HardClasses {
		// Each class draws its turns as shuffled rounds of all four, so
		// that every four pages hold each turn once.
		crng := rand.New(rand.NewPCG(seed, 2<<40|uint64(c)<<16))
		var turns []int
		for len(turns) < perClass {
			round := []int{0, 90, 180, 270}
			crng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
			turns = append(turns, round...)
		}
		for i := 0; i < perClass; i++ {
			rng := rand.New(rand.NewPCG(seed, 2<<40|uint64(c)<<16|uint64(i+1)))
			o := hardPage(rng, class, i, turns[i])
			o.name = fmt.Sprintf("%s-%02d.%s", class, i+1, o.format)
			o.quick = true
			o.stream = 3<<40 | uint64(c)<<24 | uint64(i+1)<<8
			outs = append(outs, o)
		}
	}
	return outs
}

// hardPage draws page i of a class: first what every page has, then the
// class's fault, then perhaps a milder second one.
func hardPage(rng *rand.Rand, class string, i, turn int) *outputFile {
	form := i%2 == 0
	build := randomParagraph
	if form {
		build = randomForm
	}
	j := &pageJob{build: build, dpi: 200, shrink: true, class: class}
	j.spec.skew = math.Round((rng.Float64()*12-6)*100) / 100
	j.spec.rotation = turn
	j.spec.color = form && rng.IntN(2) == 0
	o := &outputFile{format: "jpg", quality: 70 + rng.IntN(16), pages: []*pageJob{j}}
	if rng.IntN(3) == 0 {
		o.format = "png"
		j.spec.lossless = true
	}
	noise := func(lo, hi float64) { j.spec.sigma = math.Round((lo+rng.Float64()*(hi-lo))*10) / 10 }
	showing := func(lo, hi float64) {
		j.back, j.spec.show = randomParagraph, math.Round((lo+rng.Float64()*(hi-lo))*1000)/1000
	}
	light := func(lo, hi float64) { j.spec.light = math.Round((lo+rng.Float64()*(hi-lo))*100) / 100 }
	specks := func(lo, hi int) { j.spec.specks = lo + rng.IntN(hi-lo+1) }
	border := func() {
		mm := func() float64 {
			v := 5 + rng.Float64()*7
			if rng.IntN(2) == 0 {
				v = -v
			}
			return math.Round(v*10) / 10
		}
		switch rng.IntN(3) {
		case 0:
			j.spec.shift = [2]float64{mm(), 0}
		case 1:
			j.spec.shift = [2]float64{0, mm()}
		default:
			j.spec.shift = [2]float64{mm(), mm()}
		}
	}
	marks := func() { j.sealOver, j.signOver = true, true }
	second := true // a milder second fault, unless the class has several
	switch class {
	case ClassNoise:
		noise(10, 20)
	case ClassSpeckle:
		j.spec.salt = math.Round((0.002+rng.Float64()*0.006)*10000) / 10000
		specks(15, 40)
	case ClassJPEG40:
		o.format, o.quality, j.spec.lossless = "jpg", 40, false
		noise(3, 8)
		second = false
	case ClassDPI150:
		j.dpi = 150
	case ClassSealSignature:
		j.spec.color = i%4 != 3 // one page in four scanned grey, the seal grey too
		marks()
	case ClassLidBorder:
		border()
	case ClassBleedThrough:
		showing(0.12, 0.22)
	case ClassUnevenLight:
		light(0.3, 0.55)
	case ClassSkew:
		mag := 10 + rng.Float64()*5
		if rng.IntN(2) == 0 {
			mag = -mag
		}
		j.spec.skew = math.Round(mag*100) / 100
	case ClassNoDPI:
		noDPI(rng, j, o, i)
		second = false
	case ClassDeskMix:
		j.dpi = pick(rng, []int{150, 200})
		j.spec.skew = math.Round((rng.Float64()*30-15)*100) / 100
		j.spec.color = i%4 != 3
		o.format, o.quality, j.spec.lossless = "jpg", 45+rng.IntN(16), false
		noise(6, 14)
		marks()
		border()
		showing(0.06, 0.14)
		light(0.2, 0.4)
		j.spec.salt = 0.001
		second = false
	default:
		panic("unknown class " + class)
	}
	if second && rng.Float64() < 0.6 {
		switch rng.IntN(4) {
		case 0:
			if j.spec.sigma == 0 {
				noise(3, 7)
			}
		case 1:
			if j.back == nil {
				showing(0.04, 0.07)
			}
		case 2:
			if j.spec.light == 0 {
				light(0.1, 0.2)
			}
		default:
			if j.spec.specks == 0 {
				specks(2, 6)
			}
		}
	}
	return o
}

// noDPI makes a capture with no resolution in the file, an A4 page 70 to
// 150 pixels to the inch: every other page a screenshot (PNG, the page
// upright and sharp between a viewer's bars, as 576 × 960 shows a page at
// about 70 dpi), the others a phone photo (colour JPEG, a small tilt, soft
// optics, uneven light, noise).
func noDPI(rng *rand.Rand, j *pageJob, o *outputFile, i int) {
	// Every four pages span the range, the coarsest first: a 576-pixel-wide
	// screenshot of a page is 70 dpi.
	lo := []int{70, 79, 100, 125}[i%4]
	hi := []int{78, 99, 124, 150}[i%4]
	j.dpi = lo + rng.IntN(hi-lo+1)
	o.noDPI = true
	if i%2 == 0 {
		o.format, j.spec.lossless = "png", true
		j.spec.skew = 0
		j.spec.screen = pick(rng, []float64{0.6, 0.5625, 0.5})
		return
	}
	o.format, o.quality, j.spec.lossless = "jpg", 70+rng.IntN(16), false
	j.spec.color = true
	j.spec.skew = math.Round((rng.Float64()*8-4)*100) / 100
	j.spec.soft = 1
	j.spec.light = math.Round((0.15+rng.Float64()*0.2)*100) / 100
	j.spec.sigma = math.Round((2+rng.Float64()*4)*10) / 10
}

// describe lists what was done to a hard page beyond an ordinary scan,
// from the spec it was finally scanned with (the skew and the border may
// have been lessened to keep every line on the image).
func describe(j *pageJob, o *outputFile) []string {
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	switch {
	case o.noDPI && j.spec.screen > 0:
		add("screenshot: the page between a viewer's bars, %.4g wide to high, %d dpi, no resolution recorded", j.spec.screen, j.dpi)
	case o.noDPI:
		add("phone photo: %d dpi, no resolution recorded", j.dpi)
	case j.dpi != 200:
		add("%d dpi", j.dpi)
	}
	if o.format == "jpg" {
		add("JPEG quality %d", o.quality)
	}
	if j.spec.sigma > 0 {
		add("noise σ %.1f", j.spec.sigma)
	}
	if j.spec.salt > 0 {
		add("salt-and-pepper on %.2f %% of pixels", j.spec.salt*100)
	}
	if j.spec.specks > 0 {
		add("%d dust specks", j.spec.specks)
	}
	if j.sealOver {
		add("seal over text")
	}
	if j.signOver {
		add("signature over text")
	}
	if sh := j.spec.shift; sh != [2]float64{} {
		// The bare glass lies on the side the sheet moved away from, named
		// as the final image shows it, after the quarter turn.
		sides := []string{"top", "right", "bottom", "left"}
		side := func(k int) string { return sides[(k+j.spec.rotation/90)%4] }
		var edges []string
		if sh[0] > 0 {
			edges = append(edges, fmt.Sprintf("%s %.1f mm", side(3), sh[0]))
		} else if sh[0] < 0 {
			edges = append(edges, fmt.Sprintf("%s %.1f mm", side(1), -sh[0]))
		}
		if sh[1] > 0 {
			edges = append(edges, fmt.Sprintf("%s %.1f mm", side(0), sh[1]))
		} else if sh[1] < 0 {
			edges = append(edges, fmt.Sprintf("%s %.1f mm", side(2), -sh[1]))
		}
		add("lid border: %s", strings.Join(edges, ", "))
	}
	if j.spec.show > 0 {
		add("bleed-through %.3f", j.spec.show)
	}
	if j.spec.light > 0 {
		add("uneven light %.2f", j.spec.light)
	}
	if j.spec.soft > 0 {
		add("soft focus")
	}
	return d
}

// sealOverText stamps a red seal across printed lines in the body of the
// page, as a clerk stamps a certified copy or misses the signature: the
// ring, its text and the star lie over the type.
func sealOverText(fs *fonts, s *sheet, rng *rand.Rand) {
	mm := float64(s.dpi) / 25.4
	r := (16 + rng.Float64()*3) * mm
	b := bodyLine(s, rng)
	cx := float64(b.Min.X) + rng.Float64()*float64(b.Dx())
	cy := float64(b.Min.Y+b.Max.Y)/2 + (rng.Float64()-0.5)*r
	cx = math.Max(r+2*mm, math.Min(float64(s.w)-r-2*mm, cx))
	cy = math.Max(r+2*mm, math.Min(float64(s.h)-r-2*mm, cy))
	loc := pick(rng, localities)
	text := "CÔNG AN " + upper(loc.ward) + " * " + upper(bare(provinceByCode(loc.prov)))
	if s.red == nil {
		s.red = image.NewAlpha(s.ink.Rect)
	}
	drawSeal(fs, s.red, rng, cx, cy, r, text, s.dpi)
}

// signOverText scrawls a blue signature across printed lines, as one signed
// over the typed text of a form.
func signOverText(s *sheet, rng *rand.Rand) {
	mm := float64(s.dpi) / 25.4
	b := bodyLine(s, rng)
	w, h := (45+rng.Float64()*15)*mm, (14+rng.Float64()*6)*mm
	x0 := float64(b.Min.X) + rng.Float64()*math.Max(0, float64(b.Dx())-w)
	y0 := float64(b.Min.Y+b.Max.Y)/2 - h*(0.3+0.4*rng.Float64())
	if s.blue == nil {
		s.blue = image.NewAlpha(s.ink.Rect)
	}
	drawSignature(s.blue, rng, x0, y0, x0+w, y0+h, s.dpi)
}

// bodyLine picks a printed line from the middle half of the page's lines.
func bodyLine(s *sheet, rng *rand.Rand) image.Rectangle {
	n := len(s.boxes)
	return s.boxes[n/4+rng.IntN(max(1, n/2))]
}
