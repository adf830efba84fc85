package scan

// Leptonica is linked already, as Tesseract's image library. Its readers
// (libjpeg-turbo, libpng, libtiff underneath) decode three to five times
// faster than Go's, and its JPEG reader can decode the luminance channel
// alone, skipping chroma and colour conversion: the whole of what the later
// stages look at. Go's decoders remain the fallback, and the source of the
// error message, for anything Leptonica refuses.

// #cgo LDFLAGS: -lleptonica
// #include <stdlib.h>
// #include <string.h>
// #include <leptonica/allheaders.h>
//
// static void quiet(void) { setMsgSeverity(L_SEVERITY_NONE); }
//
// // gray_from decodes an image to 8-bit luminance into dst (w×h bytes,
// // tightly packed). kind 0: JPEG, luminance only; 1: any single-image
// // format; 2: TIFF frame number frame. Returns 0 on success.
// static int gray_from(int kind, const l_uint8 *data, size_t size, int frame,
//                      l_uint8 *dst, int w, int h) {
//     PIX *pix = NULL;
//     l_int32 warn = 0;
//     switch (kind) {
//     case 0: pix = pixReadMemJpeg(data, size, 0, 1, &warn, L_JPEG_READ_LUMINANCE); break;
//     case 1: pix = pixReadMem(data, size); break;
//     case 2: pix = pixReadMemTiff(data, size, frame); break;
//     }
//     if (!pix) return 1;
//     if (warn || pixGetWidth(pix) != w || pixGetHeight(pix) != h) {
//         pixDestroy(&pix);
//         return 2;
//     }
//     if (pixGetDepth(pix) != 8 || pixGetColormap(pix)) {
//         PIX *g = pixConvertTo8(pix, 0);
//         pixDestroy(&pix);
//         if (!g) return 3;
//         pix = g;
//     }
//     pixEndianByteSwap(pix); // words hold bytes big-endian; make them plain
//     l_uint32 *line = pixGetData(pix);
//     l_int32 wpl = pixGetWpl(pix);
//     for (int y = 0; y < h; y++) {
//         memcpy(dst + (size_t)y * w, line + (size_t)y * wpl, w);
//     }
//     pixDestroy(&pix);
//     return 0;
// }
import "C"

import (
	"image"
	"sync"
	"unsafe"
)

var quietOnce sync.Once

type leptKind int

const (
	leptJPEGLuma leptKind = 0
	leptAny      leptKind = 1
	leptTIFF     leptKind = 2
)

// leptGray decodes a w×h image (for TIFF, frame, 0-based) to luminance, or
// returns nil when Leptonica cannot or the result is not the size the
// headers promised.
func leptGray(kind leptKind, data []byte, frame, w, h int) *image.Gray {
	if len(data) == 0 || w <= 0 || h <= 0 {
		return nil
	}
	// Leptonica's messages would duplicate, on stderr, the errors this
	// package returns; its severity is a global, so set it once.
	quietOnce.Do(func() { C.quiet() })
	g := image.NewGray(image.Rect(0, 0, w, h))
	rc := C.gray_from(C.int(kind), (*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)), C.int(frame),
		(*C.l_uint8)(unsafe.Pointer(&g.Pix[0])), C.int(w), C.int(h))
	if rc != 0 {
		return nil
	}
	return g
}
