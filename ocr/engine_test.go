package ocr

import (
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	if err := SingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestUnknownLanguage(t *testing.T) {
	for _, lang := range []string{"xyz", "vie+nope", "../vie"} {
		if _, err := NewEngine(lang); !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("NewEngine(%q) = %v, want ErrUnknownLanguage", lang, err)
		}
	}
}

// TestRecognizeUprightPage reads a fixture page straight from the
// generator and checks words, boxes and confidence come back with it.
func TestRecognizeUprightPage(t *testing.T) {
	g := receipt(t)
	truth, err := os.ReadFile("../testdata/truth/receipt-150.txt")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine("vie")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Recognize(g, 150)
	if err != nil {
		t.Fatal(err)
	}
	s := Compare(string(truth), res.Text())
	t.Logf("CER %.4f, marked letters wrong %d/%d, %d words, mean confidence %.1f", s.CER(), s.MarkErrors, s.MarkedChars, len(res.Words), res.MeanConfidence)
	if s.CER() > 0.1 {
		t.Errorf("CER %.4f on an upright page: recognition is broken\n%s", s.CER(), res.Text())
	}
	if res.MeanConfidence < 50 {
		t.Errorf("mean confidence %.1f", res.MeanConfidence)
	}
	for _, w := range res.Words {
		if !w.Box.In(g.Rect) || w.Box.Empty() || strings.TrimSpace(w.Text) == "" {
			t.Fatalf("bad word %+v on a %v page", w, g.Rect)
		}
	}
	// A second page through the same engine gives the same result: the
	// engine is reused across pages and must not carry state between them.
	again, err := eng.Recognize(g, 150)
	if err != nil {
		t.Fatal(err)
	}
	if again.Text() != res.Text() {
		t.Error("the same page recognised twice gave different text")
	}
	// A width that is not a whole number of Leptonica's 4-pixel words, and
	// a sub-image whose rows do not start at its buffer's start.
	odd := g.SubImage(image.Rect(3, 0, g.Rect.Dx(), g.Rect.Dy())).(*image.Gray)
	res3, err := eng.Recognize(odd, 150)
	if err != nil {
		t.Fatal(err)
	}
	if s3 := Compare(string(truth), res3.Text()); s3.CER() > s.CER()+0.01 {
		t.Errorf("odd-width page: CER %.4f, full page %.4f", s3.CER(), s.CER())
	}
}
