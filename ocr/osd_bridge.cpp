#include <tesseract/baseapi.h>
#include <tesseract/osdetect.h>

#include "osd_bridge.h"

extern "C" {

sohoa_osd sohoa_osd_new(const char *datapath) {
  auto *api = new tesseract::TessBaseAPI();
  // OSD is the legacy engine's shape classifier; the LSTM models cannot do it.
  if (api->Init(datapath, "osd", tesseract::OEM_TESSERACT_ONLY) != 0) {
    delete api;
    return nullptr;
  }
  api->SetVariable("debug_file", "/dev/null");
  api->SetPageSegMode(tesseract::PSM_OSD_ONLY);
  return api;
}

void sohoa_osd_free(sohoa_osd h) {
  auto *api = static_cast<tesseract::TessBaseAPI *>(h);
  api->End();
  delete api;
}

int sohoa_osd_set(sohoa_osd h, const char *name, const char *value) {
  return static_cast<tesseract::TessBaseAPI *>(h)->SetVariable(name, value) ? 1 : 0;
}

int sohoa_osd_detect(sohoa_osd h, const unsigned char *pix, int width, int height,
                     int bytes_per_line, int dpi, float scores[4]) {
  auto *api = static_cast<tesseract::TessBaseAPI *>(h);
  api->SetImage(pix, width, height, 1, bytes_per_line);
  api->SetSourceResolution(dpi);
  tesseract::OSResults osr;
  bool ok = api->DetectOS(&osr);
  api->Clear();
  if (!ok) {
    return 0;
  }
  // OSResults numbers its orientations 0, 270, 180, 90 degrees of
  // clockwise turn needed; hand them back by quarter turns clockwise.
  scores[0] = osr.orientations[0];
  scores[1] = osr.orientations[3];
  scores[2] = osr.orientations[2];
  scores[3] = osr.orientations[1];
  return 1;
}

}
