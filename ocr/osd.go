package ocr

// #cgo CXXFLAGS: -std=c++17 -Wno-unused-result
// #cgo LDFLAGS: -lleptonica -ltesseract
// #include <stdlib.h>
// #include "osd_bridge.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"
)

// OSD is what Tesseract's orientation detector made of a page. gosseract
// (v2.4) does not expose orientation detection, so sohoa calls Tesseract
// for it directly, with its own instance: detection needs the "osd" model
// and the legacy classifier, the page's reading model has neither.
type OSD struct {
	// Scores[k] is the detector's evidence, summed over the letters it
	// classified, that the page reads upright after k clockwise quarter
	// turns. Only differences between them mean anything.
	Scores [4]float64
	// Turns is the best-scoring number of clockwise quarter turns.
	Turns int
	// Margin is how far the best score leads the second: what the
	// tesseract command prints as "Orientation confidence".
	Margin float64
}

// Runner is the second-best number of turns.
func (o OSD) Runner() int {
	r := (o.Turns + 2) % 4
	for k := range o.Scores {
		if k != o.Turns && o.Scores[k] > o.Scores[r] {
			r = k
		}
	}
	return r
}

// Lead is how far the score of k turns trails the best (0 for the best).
func (o OSD) Lead(k int) float64 { return o.Scores[o.Turns] - o.Scores[k&3] }

// ErrNoOSDModel reports that osd.traineddata is not installed.
var ErrNoOSDModel = errors.New("ocr: orientation model osd.traineddata not installed (install tesseract-ocr-osd)")

// DetectOrientation runs Tesseract's orientation detection on g, whose
// resolution is dpi. ok is false when the page held too little text for the
// detector to judge. The detector's model is loaded on first use.
func (e *Engine) DetectOrientation(g *image.Gray, dpi int) (o OSD, ok bool, err error) {
	b := g.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		return OSD{}, false, nil
	}
	if e.osdErr != nil { // a missing model stays missing: not looked for again on every page
		return OSD{}, false, e.osdErr
	}
	if e.osd == nil {
		if e.osd, e.osdErr = newOSD(); e.osdErr != nil {
			return OSD{}, false, e.osdErr
		}
	}
	var scores [4]C.float
	pix := g.Pix[g.PixOffset(b.Min.X, b.Min.Y):]
	if C.sohoa_osd_detect(e.osd.h, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(b.Dx()), C.int(b.Dy()),
		C.int(g.Stride), C.int(max(dpi, 70)), &scores[0]) == 0 {
		return OSD{}, false, nil
	}
	for k := range scores {
		o.Scores[k] = float64(scores[k])
		if o.Scores[k] > o.Scores[o.Turns] {
			o.Turns = k
		}
	}
	o.Margin = -1
	for k := range o.Scores {
		if k != o.Turns && (o.Margin < 0 || o.Lead(k) < o.Margin) {
			o.Margin = o.Lead(k)
		}
	}
	return o, true, nil
}

// detector is a Tesseract instance loaded with the orientation model.
type detector struct{ h C.sohoa_osd }

func (d *detector) close() {
	if d != nil && d.h != nil {
		C.sohoa_osd_free(d.h)
		d.h = nil
	}
}

// osdLetters is how many letters the detector classifies at the least
// (it goes on to five times as many while the script stays in doubt).
// Tesseract's default, 50, costs about 270 ms a page on two cores; 25
// about 130 ms, most of it finding the letters. Measured on 160 turned
// pages, real and drawn, both chose the right turn on every one; with 25
// the lead of the best turn is half as large, which the orient stage's
// calibration takes into account.
const osdLetters = 25

func (d *detector) set(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.sohoa_osd_set(d.h, cn, cv) == 0 {
		return fmt.Errorf("ocr: orientation detector refused %s=%s", name, value)
	}
	return nil
}

func newOSD() (*detector, error) {
	dir, err := tessdataDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "osd.traineddata")); err != nil {
		return nil, fmt.Errorf("%w: looked in %s", ErrNoOSDModel, dir)
	}
	initMu.Lock()
	defer initMu.Unlock()
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	h := C.sohoa_osd_new(cdir)
	if h == nil {
		return nil, fmt.Errorf("ocr: load orientation model from %s: tesseract refused it", dir)
	}
	d := &detector{h: h}
	if err := d.set("min_characters_to_try", strconv.Itoa(osdLetters)); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}
