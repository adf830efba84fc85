// C helpers shared by the package's cgo files (each file's preamble is a
// translation unit of its own, so a helper two of them call lives here).
#ifndef SOHOA_SCAN_SAMPLES_H
#define SOHOA_SCAN_SAMPLES_H

#include <leptonica/allheaders.h>

// pix_samples copies an 8-bpp pix's bytes, or a 32-bpp pix's RGB
// triplets, into dst, rows packed.
void pix_samples(PIX *pix, l_uint8 *dst);

#endif
