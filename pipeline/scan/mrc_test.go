package scan

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompactFixtures compacts every fixture page (and, with
// SOHOA_COMPACT_DIRS, the pages of other folders of scans, e.g. those
// testdata/gen -n writes) and logs the choice, its bytes against the
// original's, the time it took and the share of mid-tones the choice
// rests on. Every page of print must be split into layers, with its
// mid-tones well under mrcMidShare and, under mrcFineDPI, the print's
// mask at twice the scan's resolution, and the whole under a sixth of
// the originals.
func TestCompactFixtures(t *testing.T) {
	dirs := []string{filepath.Join("..", "..", "testdata", "scans")}
	if d := os.Getenv("SOHOA_COMPACT_DIRS"); d != "" {
		dirs = append(dirs, strings.Split(d, ":")...)
	}
	var total, orig int
	var elapsed time.Duration
	pages := 0
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no scans in %s (%v)", dir, err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, ".json") {
				continue
			}
			f, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= f.Pages; n++ {
				p, err := f.Page(n)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				im, choice, err := p.Compact()
				if err != nil {
					t.Fatal(err)
				}
				took := time.Since(start)
				colourPage := p.Embed.ColorSpace != "DeviceGray" && hasColour(p.Chroma())
				lum, c, w, h, dpi, _, err := p.samples(colourPage)
				if err != nil {
					t.Fatal(err)
				}
				mid := split(lum, c, w, h, dpi).mid
				total += im.Size()
				orig += len(p.Embed.Data)
				elapsed += took
				pages++
				t.Logf("%-28s p%d %-8s %8d bytes (original %8d) %4.0f ms, mid-tones %.3f",
					filepath.Base(path), n, choice, im.Size(), len(p.Embed.Data), took.Seconds()*1000, mid)
				blank := strings.HasPrefix(filepath.Base(path), "blank")
				switch {
				case blank && choice != ChoiceG4:
					t.Errorf("%s: blank page %s, want %s", path, choice, ChoiceG4)
				case !blank && choice != ChoiceMRC:
					t.Errorf("%s p%d: %s, want %s", path, n, choice, ChoiceMRC)
				case !blank && mid > mrcMidShare/2:
					t.Errorf("%s p%d: mid-tones %.3f, too near the limit %.3f for print", path, n, mid, mrcMidShare)
				case choice == ChoiceMRC && p.DPI < mrcFineDPI && im.Foreground[0].Mask.Width != 2*p.Gray.Rect.Dx():
					t.Errorf("%s p%d at %.0f dpi: print's mask %d px wide, want twice the scan's %d", path, n, p.DPI,
						im.Foreground[0].Mask.Width, p.Gray.Rect.Dx())
				}
				if d := os.Getenv("SOHOA_COMPACT_DUMP"); d != "" && choice == ChoiceMRC {
					base := filepath.Join(d, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
					os.WriteFile(base+"-paper.jpg", im.Data, 0o644)
					for i, f := range im.Foreground {
						os.WriteFile(fmt.Sprintf("%s-ink%d.jpg", base, i), f.Colour.Data, 0o644)
					}
				}
			}
		}
	}
	t.Logf("%d pages: %d bytes a page, originals %d (%.3f); %.0f ms a page", pages, total/pages, orig/pages,
		float64(total)/float64(orig), elapsed.Seconds()*1000/float64(pages))
	if total > orig/6 {
		t.Errorf("compacted %d bytes, over a sixth of the originals' %d", total, orig)
	}
}

// BenchmarkCompactColourJPEG: the cost compaction adds to a 300-dpi colour
// JPEG page of print with a seal and a signature (form-300.jpg): decoding
// its colour at half size, splitting and encoding the layers.
func BenchmarkCompactColourJPEG(b *testing.B) { benchmarkCompact(b, "form-300.jpg") }

// BenchmarkCompactGrey200: a 200-dpi grey JPEG page, split at 400 dpi.
func BenchmarkCompactGrey200(b *testing.B) { benchmarkCompact(b, "decision-skew-12-200.jpg") }

func benchmarkCompact(b *testing.B, name string) {
	f, err := Open(filepath.Join("..", "..", "testdata", "scans", name), Options{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.Page(1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := p.Compact(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRoundDiv: a cell's mean by reciprocal is the mean by division.
func TestRoundDiv(t *testing.T) {
	for m := uint32(1); m <= 80; m++ {
		for _, s0 := range []uint32{0, 1<<24 - 70000, 1 << 24} {
			for s := s0; s < s0+70000; s++ {
				if got, want := roundDiv(s, m), uint8((s+m/2)/m); got != want {
					t.Fatalf("roundDiv(%d, %d) = %d, want %d", s, m, got, want)
				}
			}
		}
	}
}

// TestMaskUnder: the print's mask, passing over paper a word at a time,
// is the threshold of the page enlarged twice pixel by pixel (each new
// pixel the mean of the two or four around it, rounded down; the last row
// and column repeated), and of the page itself at its own size. (The
// enlargement is Leptonica's pixScaleGray2xLIThresh's, which made these
// masks before: the 52 fixture and hard pages' layers came out byte for
// byte the same.)
func TestMaskUnder(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	const w, h = 75, 19
	g := make([]byte, w*h)
	for i := range g {
		g[i] = uint8(220 + rng.IntN(36))
		if rng.IntN(9) == 0 {
			g[i] = uint8(rng.IntN(256))
		}
	}
	at := func(x, y int) uint32 { return uint32(g[min(y, h-1)*w+min(x, w-1)]) }
	for _, th := range []uint32{0, 1, 128, 221, 256} {
		for _, up := range []int{1, 2} {
			bits, mw, mh := maskUnder(g, w, h, th, up)
			stride := maskStride(mw)
			for y := range mh {
				for x := range mw {
					var v uint32
					if up == 1 {
						v = at(x, y)
					} else {
						sx, sy := x/2, y/2
						a, b, c, d := at(sx, sy), at(sx+1, sy), at(sx, sy+1), at(sx+1, sy+1)
						switch {
						case x%2 == 0 && y%2 == 0:
							v = a
						case y%2 == 0:
							v = (a + b) / 2
						case x%2 == 0:
							v = (a + c) / 2
						default:
							v = (a + b + c + d) / 4
						}
					}
					got := bits[y*stride+x>>3]&(0x80>>(x&7)) != 0
					if want := v < th; got != want {
						t.Fatalf("threshold %d, up %d: (%d, %d) is %v, want %v", th, up, x, y, got, want)
					}
				}
			}
		}
	}
}
