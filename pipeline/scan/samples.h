// C helpers shared by the package's cgo files (each file's preamble is a
// translation unit of its own, so a helper two of them call lives here).
#ifndef SOHOA_SCAN_SAMPLES_H
#define SOHOA_SCAN_SAMPLES_H

#include <leptonica/allheaders.h>

// rgb_of and rgb_pixel split a 32-bpp pixel into its components and
// compose one, as Leptonica's extractRGBValues and composeRGBPixel do, but
// inline: as calls into the library they were a fifth of a colour page's
// compaction.
static inline void rgb_of(l_uint32 p, l_int32 *r, l_int32 *g, l_int32 *b) {
    *r = (p >> L_RED_SHIFT) & 0xff;
    *g = (p >> L_GREEN_SHIFT) & 0xff;
    *b = (p >> L_BLUE_SHIFT) & 0xff;
}

static inline l_uint32 rgb_pixel(l_uint32 r, l_uint32 g, l_uint32 b) {
    return (r << L_RED_SHIFT) | (g << L_GREEN_SHIFT) | (b << L_BLUE_SHIFT);
}

// pix_samples copies an 8-bpp pix's bytes, or a 32-bpp pix's RGB
// triplets, into dst, rows packed.
void pix_samples(PIX *pix, l_uint8 *dst);

#endif
