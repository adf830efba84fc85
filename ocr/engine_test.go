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

// TestDropEchoes: a word Tesseract emitted twice over the same letters
// goes, the longer or surer reading stays; neighbours that only overlap,
// or read differently, stay.
func TestDropEchoes(t *testing.T) {
	w := func(text string, conf float64, x0, x1, line int) Word {
		return Word{Text: text, Confidence: conf, Box: image.Rect(x0, 100, x1, 130), Line: line}
	}
	for _, c := range []struct {
		name  string
		words []Word
		want  string
	}{
		{"a word's start again", []Word{w("phường", 96, 935, 1040, 1), w("Vĩ", 96, 1050, 1083, 1), w("Vĩnh", 85, 1050, 1121, 1), w("Hải,", 97, 1133, 1192, 1)}, "phường Vĩnh Hải,"},
		{"the start after the word", []Word{w("đất", 97, 400, 460, 1), w("đ", 84, 405, 425, 1)}, "đất"},
		{"the same letters in another case", []Word{w("ở", 95, 337, 357, 1), w("Ở", 73, 346, 364, 1), w("hiện", 97, 373, 437, 1)}, "ở hiện"},
		{"a hyphen over a word's end", []Word{w("lập", 93, 100, 160, 1), w("-", 93, 150, 165, 1)}, "lập -"},
		{"overlapping words that differ", []Word{w("ở", 97, 100, 130, 1), w("và", 97, 110, 150, 1)}, "ở và"},
		{"the same word on another line", []Word{w("Hà", 97, 100, 140, 1), w("Hà", 97, 100, 140, 2)}, "Hà Hà"},
	} {
		var got []string
		for _, x := range dropEchoes(c.words) {
			got = append(got, x.Text)
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s: %q, want %q", c.name, s, c.want)
		}
	}
}
