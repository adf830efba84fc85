// osd_bridge exposes the part of Tesseract's orientation and script
// detection that its C API leaves out: the score of every orientation, not
// only the best one.
#ifndef SOHOA_OSD_BRIDGE_H
#define SOHOA_OSD_BRIDGE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void *sohoa_osd;

// sohoa_osd_new loads osd.traineddata from datapath; NULL when it cannot.
sohoa_osd sohoa_osd_new(const char *datapath);
void sohoa_osd_free(sohoa_osd h);

// sohoa_osd_set sets a Tesseract parameter; 0 when it is unknown.
int sohoa_osd_set(sohoa_osd h, const char *name, const char *value);

// sohoa_osd_detect runs orientation detection on an 8-bit gray raster.
// scores[i] is the evidence that the page needs i quarter turns clockwise
// to read upright. Returns 0 when too little text was found to judge.
int sohoa_osd_detect(sohoa_osd h, const unsigned char *pix, int width, int height,
                     int bytes_per_line, int dpi, float scores[4]);

#ifdef __cplusplus
}
#endif

#endif
