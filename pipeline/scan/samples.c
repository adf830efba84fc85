#include "samples.h"

void pix_samples(PIX *pix, l_uint8 *dst) {
    l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix), d = pixGetDepth(pix);
    l_uint32 *data = pixGetData(pix);
    for (int y = 0; y < h; y++) {
        l_uint32 *line = data + (size_t)y * wpl;
        if (d == 8) {
            for (int x = 0; x < w; x++) *dst++ = GET_DATA_BYTE(line, x);
        } else {
            for (int x = 0; x < w; x++) {
                l_int32 r, g, b;
                rgb_of(line[x], &r, &g, &b);
                *dst++ = r; *dst++ = g; *dst++ = b;
            }
        }
    }
}
