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
// #include "samples.h"
//
// static void quiet(void) { setMsgSeverity(L_SEVERITY_NONE); }
//
// // chroma_of writes, for a 32-bpp pix, R-Y and B-Y where positive (the
// // pull towards red and towards blue) averaged over blocks of f x f
// // pixels, into planes of cw x ch bytes.
// static void chroma_of(PIX *pix, int f, l_uint8 *red, l_uint8 *blue, int cw, int ch) {
//     l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix);
//     l_uint32 *data = pixGetData(pix);
//     for (int cy = 0; cy < ch; cy++) {
//         for (int cx = 0; cx < cw; cx++) {
//             int sr = 0, sb = 0, n = 0;
//             for (int y = cy * f; y < cy * f + f && y < h; y++) {
//                 l_uint32 *line = data + (size_t)y * wpl;
//                 for (int x = cx * f; x < cx * f + f && x < w; x++) {
//                     l_int32 r, g, b;
//                     rgb_of(line[x], &r, &g, &b);
//                     int yy = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
//                     if (r > yy) sr += r - yy;
//                     if (b > yy) sb += b - yy;
//                     n++;
//                 }
//             }
//             red[(size_t)cy * cw + cx] = n ? sr / n : 0;
//             blue[(size_t)cy * cw + cx] = n ? sb / n : 0;
//         }
//     }
// }
//
// // gray_from decodes an image to 8-bit luminance into dst (w×h bytes,
// // tightly packed). kind 0: JPEG, luminance only; 1: any single-image
// // format; 2: TIFF frame number frame. Where red is not NULL and the image
// // has colour, it also fills the chroma planes (chroma_of, blocks of 2),
// // and rgb with its RGB triplets, rows packed, where rgb is not NULL; and
// // returns -1. Returns 0 on success, >0 on failure.
// static int gray_from(int kind, const l_uint8 *data, size_t size, int frame,
//                      l_uint8 *dst, int w, int h, l_uint8 *red, l_uint8 *blue, l_uint8 *rgb) {
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
//     int colour = 0;
//     if (red) {
//         PIX *full = NULL;
//         l_int32 has = 0;
//         if (pixGetColormap(pix) && pixcmapHasColor(pixGetColormap(pix), &has) == 0 && has) {
//             full = pixRemoveColormap(pix, REMOVE_CMAP_TO_FULL_COLOR);
//         } else if (pixGetDepth(pix) == 32) {
//             full = pixClone(pix);
//         }
//         if (full && pixGetDepth(full) == 32) {
//             chroma_of(full, 2, red, blue, (w + 1) / 2, (h + 1) / 2);
//             colour = 1;
//             if (rgb) pix_samples(full, rgb);
//         }
//         pixDestroy(&full);
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
//     return colour ? -1 : 0;
// }
//
// // jpeg_chroma decodes a colour JPEG at half its size, which libjpeg does
// // in a fraction of the full decode's time and which is the resolution
// // 4:2:0 files keep their colour at, into the chroma planes (cw x ch, the
// // half size rounded up). Returns 0 on success.
// static int jpeg_chroma(const l_uint8 *data, size_t size, l_uint8 *red, l_uint8 *blue, int cw, int ch) {
//     l_int32 warn = 0;
//     PIX *pix = pixReadMemJpeg(data, size, 0, 2, &warn, 0);
//     if (!pix) return 1;
//     if (warn || pixGetDepth(pix) != 32 || pixGetWidth(pix) != cw || pixGetHeight(pix) != ch) {
//         pixDestroy(&pix);
//         return 2;
//     }
//     chroma_of(pix, 1, red, blue, cw, ch);
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
// headers promised. With withChroma, a colour image also gives its chroma
// (nil for a grey one), and, where rgb is not nil (3·w·h bytes), its RGB
// triplets in rgb, which compaction then need not decode again.
func leptGray(kind leptKind, data []byte, frame, w, h int, withChroma bool, rgb []byte) (*image.Gray, *Chroma) {
	if len(data) == 0 || w <= 0 || h <= 0 {
		return nil, nil
	}
	// Leptonica's messages would duplicate, on stderr, the errors this
	// package returns; its severity is a global, so set it once.
	quietOnce.Do(func() { C.quiet() })
	g := image.NewGray(image.Rect(0, 0, w, h))
	var c *Chroma
	var red, blue, full *C.l_uint8
	if withChroma {
		c = newChroma(w, h)
		red, blue = (*C.l_uint8)(unsafe.Pointer(&c.Red.Pix[0])), (*C.l_uint8)(unsafe.Pointer(&c.Blue.Pix[0]))
		if len(rgb) == 3*w*h {
			full = (*C.l_uint8)(unsafe.Pointer(&rgb[0]))
		}
	}
	rc := C.gray_from(C.int(kind), (*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)), C.int(frame),
		(*C.l_uint8)(unsafe.Pointer(&g.Pix[0])), C.int(w), C.int(h), red, blue, full)
	switch {
	case rc > 0:
		return nil, nil
	case rc == 0: // no colour
		return g, nil
	}
	return g, c
}

// leptJPEGChroma decodes the chroma of a w×h colour JPEG, or returns nil.
func leptJPEGChroma(data []byte, w, h int) *Chroma {
	if len(data) == 0 || w <= 0 || h <= 0 {
		return nil
	}
	quietOnce.Do(func() { C.quiet() })
	c := newChroma(w, h)
	rc := C.jpeg_chroma((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)),
		(*C.l_uint8)(unsafe.Pointer(&c.Red.Pix[0])), (*C.l_uint8)(unsafe.Pointer(&c.Blue.Pix[0])),
		C.int(c.Red.Rect.Dx()), C.int(c.Red.Rect.Dy()))
	if rc != 0 {
		return nil
	}
	return c
}
