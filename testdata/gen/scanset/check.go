package scanset

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"unicode/utf8"

	"golang.org/x/image/tiff"
)

// Check verifies a written set against its catalog, scans/catalog.json:
// every page decodes at the size and in the colour catalogued, records its
// resolution (JFIF density, pHYs) as catalogued or, for a no_dpi page,
// none at all, and every truth file is NFC text, empty exactly for a blank
// page. It returns every fault found.
func Check(scans string) error {
	js, err := os.ReadFile(filepath.Join(scans, "catalog.json"))
	if err != nil {
		return err
	}
	var catalog []Entry
	if err := json.Unmarshal(js, &catalog); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(scans, "catalog.json"), err)
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	frames := map[string][]image.Image{}
	for _, e := range catalog {
		data, err := os.ReadFile(filepath.Join(scans, e.File))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var cfg image.Config
		switch filepath.Ext(e.File) {
		case ".jpg":
			cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
			if err == nil {
				if dpi, ok := jfifDensity(data); e.NoDPI && (ok || hasEXIF(data)) {
					fail("%s: records a resolution, catalog says none", e.File)
				} else if !e.NoDPI && dpi != e.DPI {
					fail("%s: JFIF density %d, catalog says %d dpi", e.File, dpi, e.DPI)
				}
			}
		case ".png":
			cfg, err = png.DecodeConfig(bytes.NewReader(data))
			if i := bytes.Index(data, []byte("pHYs")); err == nil && e.NoDPI && i >= 0 {
				fail("%s: has a pHYs chunk, catalog says no resolution", e.File)
			} else if err == nil && !e.NoDPI && (i < 0 || binary.BigEndian.Uint32(data[i+4:]) != uint32(float64(e.DPI)/0.0254+0.5)) {
				fail("%s: pHYs does not say %d dpi", e.File, e.DPI)
			}
		case ".tif":
			if frames[e.File] == nil {
				if frames[e.File], err = tiffFrames(data); err != nil {
					break
				}
			}
			if e.Page > len(frames[e.File]) {
				err = fmt.Errorf("page %d of %d frames", e.Page, len(frames[e.File]))
				break
			}
			b := frames[e.File][e.Page-1].Bounds()
			cfg = image.Config{ColorModel: color.GrayModel, Width: b.Dx(), Height: b.Dy()}
		case ".pdf":
			cfg, err = pdfImageConfig(data, e.Page)
		default:
			err = errors.New("unknown format")
		}
		if err != nil {
			fail("%s page %d: %w", e.File, e.Page, err)
			continue
		}
		if cfg.Width != e.WidthPx || cfg.Height != e.HeightPx {
			fail("%s page %d: %dx%d, catalog says %dx%d", e.File, e.Page, cfg.Width, cfg.Height, e.WidthPx, e.HeightPx)
		}
		if gray := cfg.ColorModel == color.GrayModel; gray == e.Color {
			fail("%s page %d: colour is %v, catalog says %v", e.File, e.Page, !gray, e.Color)
		}
		text, err := os.ReadFile(filepath.Join(filepath.Dir(scans), e.Truth))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !utf8.Valid(text) || (len(text) == 0) != e.Blank {
			fail("%s: truth invalid or blankness wrong", e.Truth)
		}
		for _, r := range string(text) {
			if r >= 0x0300 && r <= 0x036F {
				fail("%s: combining mark %U, truth must be NFC", e.Truth, r)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// jfifDensity reads the dots per inch of a JPEG's JFIF APP0 right after
// SOI, as encodeJPEG writes it; ok is false where there is none.
func jfifDensity(b []byte) (dpi int, ok bool) {
	if len(b) < 18 || b[2] != 0xFF || b[3] != 0xE0 || string(b[6:11]) != "JFIF\x00" || b[13] != 1 {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(b[14:])), true
}

// hasEXIF reports an APP1 Exif segment among the JPEG's first markers.
func hasEXIF(b []byte) bool {
	for i := 2; i+10 <= len(b) && b[i] == 0xFF && b[i+1] >= 0xE0 && b[i+1] <= 0xEF; {
		if b[i+1] == 0xE1 && string(b[i+4:i+10]) == "Exif\x00\x00" {
			return true
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return false
}

// tiffFrames decodes each frame of a multi-page TIFF: x/image/tiff reads
// the first IFD only, so the header is pointed at each IFD in turn.
func tiffFrames(data []byte) ([]image.Image, error) {
	offs, err := tiffIFDOffsets(data)
	if err != nil {
		return nil, err
	}
	var out []image.Image
	for i, off := range offs {
		b := append([]byte(nil), data...)
		binary.LittleEndian.PutUint32(b[4:], off)
		img, err := tiff.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		out = append(out, img)
	}
	return out, nil
}

// pdfImageConfig finds the size and colour space of page n's image in an
// image-only PDF as encodePDF writes it.
func pdfImageConfig(pdf []byte, n int) (image.Config, error) {
	re := regexp.MustCompile(`/Subtype /Image /Width (\d+) /Height (\d+) /ColorSpace /(\w+)`)
	all := re.FindAllSubmatch(pdf, -1)
	if n > len(all) {
		return image.Config{}, fmt.Errorf("PDF has %d images, want page %d", len(all), n)
	}
	m := all[n-1]
	w, _ := strconv.Atoi(string(m[1]))
	h, _ := strconv.Atoi(string(m[2]))
	cm := color.Model(color.RGBAModel)
	if string(m[3]) == "DeviceGray" {
		cm = color.GrayModel
	}
	return image.Config{ColorModel: cm, Width: w, Height: h}, nil
}
