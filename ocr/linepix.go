package ocr

// #include "linepix.h"
import "C"

// Tesseract writes each line image it recognises as a PNG in memory and
// reads it straight back; linepix.c has those written as raw pixels. These
// let a test compare the two ways, see that the raw one is taken, and see
// that no other caller is redirected.

// linePNG makes Tesseract's line images PNGs again (true) or raw (false,
// the default). It applies to every engine in the process.
func linePNG(on bool) {
	if on {
		C.sohoa_line_images_raw(0)
	} else {
		C.sohoa_line_images_raw(1)
	}
}

// rawLineImages counts the line images written raw so far in the process.
func rawLineImages() uint64 { return uint64(C.sohoa_line_images_redirected()) }

// pngFromHere reports whether a PNG asked for from outside Tesseract is
// still a PNG.
func pngFromHere() bool { return C.sohoa_png_from_here() != 0 }
