package ocr

import (
	"image"
	"image/png"
	"os"
	"testing"
)

// turn returns g turned clockwise by k quarter turns.
func turn(g *image.Gray, k int) *image.Gray {
	out := g
	for range k & 3 {
		w, h := out.Bounds().Dx(), out.Bounds().Dy()
		next := image.NewGray(image.Rect(0, 0, h, w))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				next.Pix[x*next.Stride+h-1-y] = out.Pix[y*out.Stride+x]
			}
		}
		out = next
	}
	return out
}

func receipt(t testing.TB) *image.Gray {
	t.Helper()
	f, err := os.Open("../testdata/scans/receipt-150.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("fixture is %T, want gray", img)
	}
	return g
}

// TestDetectOrientation turns an upright page all four ways: the detector
// must name the turn back each time, ahead of the others.
func TestDetectOrientation(t *testing.T) {
	eng, err := NewEngine("vie")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	g := receipt(t)
	for k := range 4 {
		o, ok, err := eng.DetectOrientation(turn(g, k), 150)
		if err != nil {
			t.Fatal(err)
		}
		want := (4 - k) % 4
		t.Logf("turned %d°: %+v, runner-up %d", 90*k, o, o.Runner())
		if !ok || o.Turns != want {
			t.Errorf("page turned %d°: detector says turn %d° back (ok %v), want %d°", 90*k, 90*o.Turns, ok, 90*want)
		}
		if o.Margin <= 0 || o.Lead(o.Turns) != 0 || o.Lead(o.Runner()) != o.Margin {
			t.Errorf("margin %.1f, lead of best %.1f, of runner-up %.1f", o.Margin, o.Lead(o.Turns), o.Lead(o.Runner()))
		}
	}
	// A blank page has nothing to judge by.
	if _, ok, err := eng.DetectOrientation(image.NewGray(image.Rect(0, 0, 600, 800)), 150); err != nil || ok {
		t.Errorf("blank page: ok %v, err %v", ok, err)
	}
}

// TestRecognizeBlockSideways: read as one block, a page on its side does
// not read, where automatic layout would turn its lines and read them.
func TestRecognizeBlockSideways(t *testing.T) {
	eng, err := NewEngine("vie")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	g := receipt(t)
	up, err := eng.RecognizeBlock(g, 150)
	if err != nil {
		t.Fatal(err)
	}
	side, err := eng.RecognizeBlock(turn(g, 1), 150)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("upright %.1f, on its side %.1f", up.MeanConfidence, side.MeanConfidence)
	if up.MeanConfidence < 80 || side.MeanConfidence > 50 {
		t.Errorf("as a block: upright reads %.1f, on its side %.1f", up.MeanConfidence, side.MeanConfidence)
	}
	// And the engine is back to automatic layout for the page's reading.
	auto, err := eng.Recognize(g, 150)
	if err != nil {
		t.Fatal(err)
	}
	if auto.MeanConfidence < 80 {
		t.Errorf("page reading after a block reading: confidence %.1f", auto.MeanConfidence)
	}
}
