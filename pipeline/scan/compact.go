package scan

// Compaction: the dossier PDF need not carry the scan losslessly (the
// original is kept bit-exact beside it, its SHA-256 in the XMP), so a page
// is re-encoded the way its content allows: a black-and-white page as
// CCITT G4, which is lossless for it; a grey or colour page of print in
// layers (mrc.go), its ink's shape sharp and the rest coarse; a
// photograph as JPEG at a resolution and quality that keep it legible.
// Leptonica, linked already, does the scaling and the encoding.

// #cgo LDFLAGS: -lleptonica
// #include <stdlib.h>
// #include <string.h>
// #include <leptonica/allheaders.h>
// #include "samples.h"
//
// static void quiet_compact(void) { setMsgSeverity(L_SEVERITY_NONE); }
//
// // pix_gray copies w x h bytes of luminance (rows stride bytes apart)
// // into a new 8-bpp pix.
// static PIX *pix_gray(const l_uint8 *g, int w, int h, int stride) {
//     PIX *pix = pixCreate(w, h, 8);
//     if (!pix) return NULL;
//     l_uint32 *data = pixGetData(pix);
//     l_int32 wpl = pixGetWpl(pix);
//     for (int y = 0; y < h; y++) memcpy(data + (size_t)y * wpl, g + (size_t)y * stride, w);
//     pixEndianByteSwap(pix); // words hold bytes big-endian
//     return pix;
// }
//
// // pix_rgb copies w x h packed RGB triplets into a new 32-bpp pix.
// static PIX *pix_rgb(const l_uint8 *rgb, int w, int h) {
//     PIX *pix = pixCreate(w, h, 32);
//     if (!pix) return NULL;
//     l_uint32 *data = pixGetData(pix);
//     l_int32 wpl = pixGetWpl(pix);
//     for (int y = 0; y < h; y++) {
//         const l_uint8 *s = rgb + (size_t)y * w * 3;
//         l_uint32 *line = data + (size_t)y * wpl;
//         for (int x = 0; x < w; x++) line[x] = rgb_pixel(s[3*x], s[3*x+1], s[3*x+2]);
//     }
//     return pix;
// }
//
// // pix_read decodes an encoded image (JPEG, PNG) Leptonica reads.
// static PIX *pix_read(const l_uint8 *data, size_t size) { return pixReadMem(data, size); }
//
// // encode scales pix by f (f < 1 shrinks it, averaging) and compresses
// // it: as G4 after thresholding at 128 when g4, else as JPEG at quality
// // q. It takes pix. On success it returns 0 with malloc'd data in *out
// // (*n bytes), the encoded size in *w, *h and, for G4, whether 1 is black
// // in *minisblack.
// static int encode(PIX *pix, float f, int g4, int q, l_uint8 **out, size_t *n, int *w, int *h, int *minisblack) {
//     PIX *s = NULL;
//     if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) pixSetSpp(pix, 3);
//     if (f < 1) s = pixScaleAreaMap(pix, f, f); else s = pixClone(pix);
//     pixDestroy(&pix);
//     if (!s) return 1;
//     int rc = 0;
//     if (g4) {
//         PIX *b = pixConvertTo1(s, 128);
//         L_COMP_DATA *cid = NULL;
//         if (!b || pixGenerateCIData(b, L_G4_ENCODE, 0, 0, &cid) != 0 || !cid) {
//             rc = 2;
//         } else {
//             *out = malloc(cid->nbytescomp);
//             if (!*out) rc = 3;
//             else {
//                 memcpy(*out, cid->datacomp, cid->nbytescomp);
//                 *n = cid->nbytescomp; *w = cid->w; *h = cid->h; *minisblack = cid->minisblack;
//             }
//         }
//         l_CIDataDestroy(&cid);
//         pixDestroy(&b);
//     } else {
//         if (pixWriteMemJpeg(out, n, s, q, 0) != 0) rc = 4;
//         *w = pixGetWidth(s); *h = pixGetHeight(s);
//     }
//     pixDestroy(&s);
//     return rc;
// }
import "C"

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"strings"
	"sync"
	"unsafe"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// Compaction's settings. 300 dpi and quality 75 keep print and handwriting
// as legible to a reader and to OCR as the scan; finer scans are shrunk.
const (
	CompactDPI     = 300
	CompactQuality = 75
)

// Choices Compact reports.
const (
	ChoiceOriginal = "original"
	ChoiceG4       = "g4"
)

// ChoiceJPEG is the choice of a page re-encoded as JPEG at quality q.
func ChoiceJPEG(q int) string { return fmt.Sprintf("jpeg q%d", q) }

var quietCompactOnce sync.Once

// Compact returns the image to embed for the page in place of Embed, and
// what was chosen: ChoiceOriginal for a G4 stream, or an original that
// re-encoding would not shrink; ChoiceG4 for a black-and-white page;
// ChoiceMRC for a grey or colour page of print on paper (mrc.go: a
// quarter to a tenth of a JPEG's bytes, the letters as sharp as the
// scan's threshold makes them); and for other grey or colour pages
// (photographs) ChoiceOriginal for a JPEG at CompactDPI or less, else
// ChoiceJPEG. It must run before anything changes Gray in place: Gray is
// what a grey or bilevel page is encoded from.
func (p *Page) Compact() (pdf.Image, string, error) {
	e := p.Embed
	if e.Filter == "CCITTFaxDecode" {
		return e, ChoiceOriginal, nil
	}
	quietCompactOnce.Do(func() { C.quiet_compact() })
	// The decode's RGB (rgb) serves compaction alone: it goes with it,
	// rather than stay in memory while the page is read.
	defer func() { p.rgb = nil }()
	colour := e.ColorSpace != "DeviceGray" && hasColour(p.Chroma())
	g4 := !colour && bilevel(p.Gray)
	if !g4 {
		im, ok, err := p.mixedRaster(colour)
		if err != nil {
			return e, ChoiceOriginal, err
		}
		if ok && im.Size() < len(e.Data) {
			return im, ChoiceMRC, nil
		}
	}
	if !g4 && e.Filter == "DCTDecode" && p.DPI <= CompactDPI*1.02 {
		return e, ChoiceOriginal, nil
	}
	w, h := p.Gray.Rect.Dx(), p.Gray.Rect.Dy()
	var pix *C.PIX
	if colour {
		var err error
		if pix, err = embeddedPix(e); err != nil {
			return e, ChoiceOriginal, fmt.Errorf("compact page %d: %w", p.Number, err)
		}
	} else {
		pix = grayPix(p.Gray)
	}
	if pix == nil {
		return e, ChoiceOriginal, fmt.Errorf("compact page %d: no memory for %dx%d px", p.Number, w, h)
	}
	f := 1.0
	if !g4 && p.DPI > CompactDPI*1.02 {
		f = CompactDPI / p.DPI
	}
	var (
		out             *C.l_uint8
		n               C.size_t
		ow, oh, blackIs C.int
	)
	if rc := C.encode(pix, C.float(f), boolInt(g4), CompactQuality, &out, &n, &ow, &oh, &blackIs); rc != 0 {
		C.free(unsafe.Pointer(out))
		return e, ChoiceOriginal, fmt.Errorf("compact page %d: leptonica encode failed (%d)", p.Number, int(rc))
	}
	data := C.GoBytes(unsafe.Pointer(out), C.int(n))
	C.free(unsafe.Pointer(out))
	var (
		im     pdf.Image
		choice string
	)
	if g4 {
		parms := fmt.Sprintf("<< /K -1 /Columns %d /Rows %d", int(ow), int(oh))
		if blackIs != 0 {
			parms += " /BlackIs1 true"
		}
		im = pdf.Image{Width: int(ow), Height: int(oh), BitsPerComponent: 1, ColorSpace: "DeviceGray",
			Filter: "CCITTFaxDecode", DecodeParms: parms + " >>", Data: data}
		choice = ChoiceG4
	} else {
		var err error
		if im, err = pdf.JPEGImage(data); err != nil {
			return e, ChoiceOriginal, fmt.Errorf("compact page %d: %w", p.Number, err)
		}
		choice = ChoiceJPEG(CompactQuality)
	}
	if len(im.Data) >= len(e.Data) {
		return e, ChoiceOriginal, nil
	}
	return im, choice, nil
}

// grayPix copies g into a new 8-bpp pix (nil: no memory).
func grayPix(g *image.Gray) *C.PIX {
	return C.pix_gray((*C.l_uint8)(unsafe.Pointer(&g.Pix[0])), C.int(g.Rect.Dx()), C.int(g.Rect.Dy()), C.int(g.Stride))
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// colourShare is the share of a page's pixels leaning clearly towards red
// or blue (colourLean) from which it is kept in colour: a seal or a
// signature in ink covers more, a colour scanner's noise on white paper
// and black print leans less.
const (
	colourShare = 1e-4
	colourLean  = 24
)

func hasColour(c *Chroma) bool {
	if c == nil {
		return false
	}
	n := 0
	for i, r := range c.Red.Pix {
		if r > colourLean || c.Blue.Pix[i] > colourLean {
			n++
		}
	}
	return float64(n) >= colourShare*float64(len(c.Red.Pix))
}

// bilevelShare is the share of mid-grey pixels up to which a page counts
// as black and white: a bilevel scan has none, a grey scan of print has
// its letters' soft edges (a few per cent), which G4 would harden.
const bilevelShare = 0.002

func bilevel(g *image.Gray) bool {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	limit := int(bilevelShare * float64(w) * float64(h))
	n := 0
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			if v > 48 && v < 208 {
				if n++; n > limit {
					return false
				}
			}
		}
	}
	return true
}

// embeddedPix decodes a colour Embed back to pixels: a JPEG as it is, PNG
// image data (FlateDecode with predictors) wrapped as a PNG again, and
// plain zlib'd RGB rows (flateImage) inflated.
func embeddedPix(e pdf.Image) (*C.PIX, error) {
	switch {
	case e.Filter == "DCTDecode":
		return readPix(e.Data)
	case e.Filter == "FlateDecode" && strings.Contains(e.DecodeParms, "/Predictor 15") &&
		e.ColorSpace == "DeviceRGB" && e.BitsPerComponent == 8:
		return readPix(asPNG(e))
	case e.Filter == "FlateDecode" && e.DecodeParms == "" && e.ColorSpace == "DeviceRGB" && e.BitsPerComponent == 8:
		zr, err := zlib.NewReader(bytes.NewReader(e.Data))
		if err != nil {
			return nil, fmt.Errorf("inflate embedded image: %w", err)
		}
		rgb := make([]byte, 3*e.Width*e.Height)
		if _, err := io.ReadFull(zr, rgb); err != nil {
			return nil, fmt.Errorf("inflate embedded image: %w", err)
		}
		return C.pix_rgb((*C.l_uint8)(unsafe.Pointer(&rgb[0])), C.int(e.Width), C.int(e.Height)), nil
	}
	return nil, fmt.Errorf("embedded %s %s image with %q cannot be decoded for compaction", e.Filter, e.ColorSpace, e.DecodeParms)
}

func readPix(data []byte) (*C.PIX, error) {
	pix := C.pix_read((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if pix == nil {
		return nil, errors.New("leptonica cannot decode the embedded image")
	}
	return pix, nil
}

// asPNG wraps 8-bit RGB PNG image data (IDAT's zlib stream) as a PNG file.
func asPNG(e pdf.Image) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(body)))
		b.Write(n[:])
		start := b.Len()
		b.WriteString(typ)
		b.Write(body)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(b.Bytes()[start:]))
		b.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(e.Width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(e.Height))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", e.Data)
	chunk("IEND", nil)
	return b.Bytes()
}
