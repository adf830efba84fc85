package scanset

import (
	"fmt"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// fontSets are tried in order; the first whose three faces cover every
// Vietnamese letter wins. DejaVu Serif Condensed (Debian's
// fonts-dejavu-extra, which deploy/setup.sh installs) comes first so that
// the committed fixtures regenerate byte for byte on any machine: it is the
// nearest in width to Times New Roman, the type official documents use.
// Liberation Serif, metric-compatible with Times, carries Vietnamese only
// from version 2 on (1.07, packaged as fonts-liberation on Debian 12, lacks
// ả and its kin).
var fontSets = [][3]string{
	{
		"/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Bold.ttf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Italic.ttf",
	},
	{
		"/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
	},
	{
		"/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
	},
}

// vietnameseLetters lists every precomposed letter the language uses, both
// cases, plus the punctuation and signs our pages print.
func vietnameseLetters() string {
	const lower = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
	const upper = "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ"
	return lower + upper + "bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ0123456789.,;:!?()/-%²*\"'"
}

type faceKey struct {
	st   style
	size float64
	dpi  int
}

// fonts holds the three parsed faces and caches sized ones.
type fonts struct {
	files [3]string
	sets  [3]*opentype.Font
	faces map[faceKey]font.Face
}

func loadFonts() (*fonts, error) {
	var errs []error
	for _, set := range fontSets {
		fs, err := tryFontSet(set)
		if err == nil {
			return fs, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no serif font covers Vietnamese: %v", errs)
}

func tryFontSet(files [3]string) (*fonts, error) {
	fs := &fonts{files: files, faces: map[faceKey]font.Face{}}
	var buf sfnt.Buffer
	for i, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read font: %w", err)
		}
		f, err := opentype.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("parse font %s: %w", path, err)
		}
		for _, r := range vietnameseLetters() {
			if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
				return nil, fmt.Errorf("font %s has no glyph for %q", path, r)
			}
		}
		fs.sets[i] = f
	}
	return fs, nil
}

func (fs *fonts) face(st style, size float64, dpi int) font.Face {
	k := faceKey{st, size, dpi}
	if f, ok := fs.faces[k]; ok {
		return f
	}
	f, err := opentype.NewFace(fs.sets[st], &opentype.FaceOptions{Size: size, DPI: float64(dpi), Hinting: font.HintingNone})
	if err != nil {
		panic(err) // NewFace fails only on nil options
	}
	fs.faces[k] = f
	return f
}

// missing reports the first rune of s the face cannot draw, or 0.
func (fs *fonts) missing(st style, s string) rune {
	var buf sfnt.Buffer
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if g, err := fs.sets[st].GlyphIndex(&buf, r); err != nil || g == 0 {
			return r
		}
	}
	return 0
}
