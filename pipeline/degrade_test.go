package pipeline

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/pipeline/scan"
)

// The cleanup and resolution tests take the clean fixture pages and give
// them, one at a time, the faults real desk scans have: the effect of each
// step is measured on pages that have its fault and no other.

// fixture is one decoded page of testdata/scans with its truth.
type fixture struct {
	c     catalogPage
	gray  *image.Gray // as stored: skewed and turned as the catalog says
	dpi   float64
	truth string
}

// loadFixtures decodes the catalog's text pages (blank ones left out).
func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	var out []fixture
	for _, c := range loadCatalog(t) {
		if c.Blank {
			continue
		}
		f, err := scan.Open(filepath.Join(testdataDir, "scans", c.File), scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.Page(c.Page)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := os.ReadFile(filepath.Join(testdataDir, c.Truth))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{c: c, gray: p.Gray, dpi: p.DPI, truth: string(truth)})
	}
	return out
}

// downscale resamples g by k (< 1) with an area filter, as a scanner or
// camera at the lower resolution would have sampled the page.
func downscale(g *image.Gray, k float64) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	w, h := int(math.Round(float64(sw)*k)), int(math.Round(float64(sh)*k))
	out := image.NewGray(image.Rect(0, 0, w, h))
	fx, fy := float64(sw)/float64(w), float64(sh)/float64(h)
	for y := 0; y < h; y++ {
		y0, y1 := float64(y)*fy, float64(y+1)*fy
		for x := 0; x < w; x++ {
			x0, x1 := float64(x)*fx, float64(x+1)*fx
			var s, a float64
			for yy := int(y0); yy < int(math.Ceil(y1)) && yy < sh; yy++ {
				wy := math.Min(y1, float64(yy+1)) - math.Max(y0, float64(yy))
				row := g.Pix[yy*g.Stride:]
				for xx := int(x0); xx < int(math.Ceil(x1)) && xx < sw; xx++ {
					wx := math.Min(x1, float64(xx+1)) - math.Max(x0, float64(xx))
					s += wx * wy * float64(row[xx])
					a += wx * wy
				}
			}
			out.Pix[y*out.Stride+x] = uint8(s/a + 0.5)
		}
	}
	return out
}

// writePNG saves img as a PNG recording dpi (none when dpi is 0).
func writePNG(t *testing.T, path string, img image.Image, dpi float64) {
	t.Helper()
	if err := os.WriteFile(path, pngBytes(t, img, dpi), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngBytes encodes img as a PNG recording dpi (none when dpi is 0).
func pngBytes(t testing.TB, img image.Image, dpi float64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if dpi > 0 { // a pHYs chunk after IHDR
		ppm := uint32(math.Round(dpi / 0.0254))
		chunk := []byte{0, 0, 0, 9, 'p', 'H', 'Y', 's',
			byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm),
			byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm), 1}
		crc := crc32.ChecksumIEEE(chunk[4:])
		chunk = append(chunk, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
		b = append(append(append([]byte{}, b[:33]...), chunk...), b[33:]...)
	}
	return b
}

// inkColour is a printing or writing ink as a filter over the page: the
// share of red, green and blue light it lets through.
type inkColour [3]float64

var (
	sealRed = inkColour{0.85, 0.15, 0.2}
	penBlue = inkColour{0.15, 0.25, 0.7}
)

// colourPage is a page as an RGB image, to stamp and sign over.
type colourPage struct {
	img *image.RGBA
	dpi float64
}

func toColour(g *image.Gray, dpi float64) *colourPage {
	img := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = v, v, v, 255
	}
	return &colourPage{img: img, dpi: dpi}
}

// ink lays ink of colour c with coverage a (0-1) on pixel (x, y): the
// ink filters the light the page reflects, so black print under it stays
// black.
func (p *colourPage) ink(x, y int, c inkColour, a float64) {
	if !(image.Point{x, y}.In(p.img.Rect)) || a <= 0 {
		return
	}
	a = math.Min(1, a)
	i := p.img.PixOffset(x, y)
	for k := 0; k < 3; k++ {
		v := float64(p.img.Pix[i+k])
		p.img.Pix[i+k] = uint8(v*(1-a) + v*c[k]*a + 0.5)
	}
}

// seal stamps a round seal of radius r mm at (cx, cy) mm: two rings and a
// star of strokes inside, as the red seals of agencies are.
func (p *colourPage) seal(cx, cy, r float64) {
	mm := p.dpi / 25.4
	x0, y0, R := cx*mm, cy*mm, r*mm
	for y := int(y0 - R - 2); y <= int(y0+R+2); y++ {
		for x := int(x0 - R - 2); x <= int(x0+R+2); x++ {
			dx, dy := float64(x)-x0, float64(y)-y0
			d := math.Hypot(dx, dy)
			a := 0.0
			if math.Abs(d-R) < 0.6*mm || math.Abs(d-0.8*R) < 0.3*mm { // rings
				a = 0.9
			}
			// spokes of a star, 0.4 mm wide
			ang := math.Atan2(dy, dx)
			for k := 0; k < 5; k++ {
				t := float64(k) * 2 * math.Pi / 5
				if d < 0.5*R && math.Abs(math.Sin(ang-t))*d < 0.2*mm && math.Cos(ang-t) > 0 {
					a = 0.9
				}
			}
			p.ink(x, y, sealRed, a)
		}
	}
}

// signature draws a looping pen stroke 0.6 mm wide from (x, y) mm over
// w mm, as a signature across the lines above a name.
func (p *colourPage) signature(x, y, w float64) {
	mm := p.dpi / 25.4
	stroke := map[image.Point]bool{}
	for t := 0.0; t <= 1; t += 0.0002 {
		px := (x + w*t + 4*math.Sin(t*40)) * mm
		py := (y + 6*math.Sin(t*25)*math.Cos(t*7)) * mm
		for dy := -0.3 * mm; dy <= 0.3*mm; dy++ {
			for dx := -0.3 * mm; dx <= 0.3*mm; dx++ {
				stroke[image.Pt(int(px+dx), int(py+dy))] = true
			}
		}
	}
	for pt := range stroke {
		p.ink(pt.X, pt.Y, penBlue, 0.9)
	}
}

// The faults below work on a grey page in place; sizes are in millimetres
// at the page's dpi.

// lidBorder darkens the page outside a sheet tilted by deg degrees and set
// in by left and top mm, as the bare glass under an open scanner lid
// shows: a dark band along the left and top edges.
func lidBorder(g *image.Gray, dpi, left, top, deg float64) {
	mm := dpi / 25.4
	s, c := math.Sincos(deg * math.Pi / 180)
	for y := 0; y < g.Rect.Dy(); y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < g.Rect.Dx(); x++ {
			// Distance inside the sheet's left and top edges.
			u := float64(x)*c + float64(y)*s - left*mm
			v := -float64(x)*s + float64(y)*c - top*mm
			if d := math.Min(u, v); d < 1 {
				a := math.Min(1, 1-d) // a pixel's width of shading at the edge
				row[x] = uint8(float64(row[x])*(1-a) + 35*a)
			}
		}
	}
}

// unevenLight dims the page towards its right and bottom, down to share
// of the light at the far corner: a lamp off to one side, a page that
// does not lie flat, a phone's shadow.
func unevenLight(g *image.Gray, share float64) {
	w, h := float64(g.Rect.Dx()), float64(g.Rect.Dy())
	for y := 0; y < g.Rect.Dy(); y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < g.Rect.Dx(); x++ {
			t := (float64(x)/w + float64(y)/h) / 2
			row[x] = uint8(float64(row[x])*(1-(1-share)*t*t) + 0.5)
		}
	}
}

// bleedThrough shows back, a page printed on the other side, through g:
// mirrored, its ink at strength (0-1) of full black.
func bleedThrough(g, back *image.Gray, strength float64) {
	w, h := min(g.Rect.Dx(), back.Rect.Dx()), min(g.Rect.Dy(), back.Rect.Dy())
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride:]
		brow := back.Pix[y*back.Stride:]
		for x := 0; x < w; x++ {
			ink := 1 - float64(brow[back.Rect.Dx()-1-x])/255 // mirrored
			row[x] = uint8(float64(row[x]) * (1 - strength*ink))
		}
	}
}

// speckle scatters dark specks of 1-3 px (dust, toner) over a share of
// the page's area, and adds sensor noise of sigma levels.
func speckle(g *image.Gray, share, sigma float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	w, h := g.Rect.Dx(), g.Rect.Dy()
	n := int(share * float64(w*h) / 4)
	for i := 0; i < n; i++ {
		x, y, s := r.IntN(w-3), r.IntN(h-3), 1+r.IntN(3)
		for dy := 0; dy < s; dy++ {
			for dx := 0; dx < s; dx++ {
				g.Pix[(y+dy)*g.Stride+x+dx] = uint8(20 + r.IntN(40))
			}
		}
	}
	for i, v := range g.Pix {
		g.Pix[i] = uint8(math.Max(0, math.Min(255, float64(v)+r.NormFloat64()*sigma)))
	}
}

// blur smooths g with a Gaussian of sigma pixels, as an out-of-focus or
// shaken capture is.
func blur(g *image.Gray, sigma float64) {
	k := int(math.Ceil(3 * sigma))
	wt := make([]float64, 2*k+1)
	var sum float64
	for i := range wt {
		d := float64(i - k)
		wt[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += wt[i]
	}
	for i := range wt {
		wt[i] /= sum
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, v := range wt {
				xx := min(max(x+i-k, 0), w-1)
				s += v * float64(g.Pix[y*g.Stride+xx])
			}
			tmp[y*w+x] = s
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, v := range wt {
				yy := min(max(y+i-k, 0), h-1)
				s += v * tmp[yy*w+x]
			}
			g.Pix[y*g.Stride+x] = uint8(s + 0.5)
		}
	}
}

// cloneGray copies g, so that one fixture can be degraded many ways.
func cloneGray(g *image.Gray) *image.Gray {
	c := image.NewGray(g.Rect)
	for y := 0; y < g.Rect.Dy(); y++ {
		copy(c.Pix[y*c.Stride:][:g.Rect.Dx()], g.Pix[y*g.Stride:][:g.Rect.Dx()])
	}
	return c
}

// fade lightens g's print to strength (0-1) of its darkness, as a faded
// photocopy or thermal print has it.
func fade(g *image.Gray, strength float64) {
	for i, v := range g.Pix {
		g.Pix[i] = uint8(255 - (255-float64(v))*strength + 0.5)
	}
}

// patternedPaper prints g on security paper as land-use certificates
// have it: pink, under a guilloche of two families of wavy lines in a
// deeper pink, 1-1.3 px wide, every 11 and 13 px. The print multiplies
// the paper's colour.
func patternedPaper(g *image.Gray) *image.RGBA {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			paper := [3]float64{250, 222, 228}
			d1 := math.Mod(float64(y)+14*math.Sin(float64(x)/37), 11)
			d2 := math.Mod(float64(x)+12*math.Sin(float64(y)/29), 13)
			if d1 < 1.3 || d2 < 1.1 {
				paper = [3]float64{232, 140, 160}
			}
			k := float64(g.Pix[y*g.Stride+x]) / 255
			i := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[i+c] = uint8(paper[c] * k)
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// printIn reprints the print of the page's top share in ink of colour c
// (an RGB triplet), as certificates print their letterhead and title in
// red; the page's top is at the image's bottom when it is stored upside
// down.
func (p *colourPage) printIn(c [3]float64, share float64, upsideDown bool) {
	b := p.img.Rect
	y0 := b.Min.Y
	if upsideDown {
		y0 = b.Max.Y - int(share*float64(b.Dy()))
	}
	for y := y0; y < y0+int(share*float64(b.Dy())); y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := p.img.PixOffset(x, y)
			k := 1 - float64(p.img.Pix[i+1])/255 // grey so far: R = G = B
			for j := 0; j < 3; j++ {
				p.img.Pix[i+j] = uint8(255 - k*(255-c[j]) + 0.5)
			}
		}
	}
}

// Inks of print in colour.
var (
	printRed  = [3]float64{200, 25, 35}
	printBlue = [3]float64{20, 50, 160}
)
