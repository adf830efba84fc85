// Tesseract 5.3 hands every line image to its LSTM through an ImageData,
// which keeps the image as a file in memory: ImageData::SetPixInternal
// writes it with pixWriteMem as a PNG, at zlib's default level, and
// GetPixInternal reads it straight back with pixReadMem. The PNG is never
// kept or shown; its filtering, deflate and inflate took 7.7 % of the CPU
// time of reading 44 degraded pages (perf). The tesseract command pays the
// same. Tesseract built with TESSERACT_IMAGEDATA_AS_PIX keeps the pix
// itself (tesseract-ocr/tesseract#2965); Debian's package is not.
//
// This definition of pixWriteMem, in the executable, comes before
// Leptonica's in the dynamic linker's search, so Tesseract's calls reach
// it. A PNG asked for by code of the Tesseract library is written as
// Leptonica's serialised pix instead (IFF_SPIX: a header and the raster
// words), which pixReadMem recognises by its header and reads back to the
// same pixels, so the recognition is the same to the bit. Every other
// caller, and every other format, goes to Leptonica unchanged. (Tesseract
// writes images it keeps only in its renderers and debug output, which
// sohoa does not use.)

#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "linepix.h"

typedef l_ok (*write_mem_fn)(l_uint8 **, size_t *, PIX *, l_int32);

static write_mem_fn lept_write_mem;
// The Tesseract library's code lies in [tess_lo, tess_hi).
static uintptr_t tess_lo, tess_hi;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int redirect = 1;
static unsigned long redirected;

// code_range finds the loaded object that holds the address *data points
// to and notes the span of its executable segments.
static int code_range(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  uintptr_t addr = *(uintptr_t *)data, lo = UINTPTR_MAX, hi = 0;
  int holds = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) {
      continue;
    }
    uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
    lo = start < lo ? start : lo;
    hi = end > hi ? end : hi;
    holds |= addr >= start && addr < end;
  }
  if (!holds) {
    return 0;
  }
  tess_lo = lo;
  tess_hi = hi;
  return 1;
}

static void find_libraries(void) {
  lept_write_mem = (write_mem_fn)dlsym(RTLD_NEXT, "pixWriteMem");
  uintptr_t tess = (uintptr_t)TessBaseAPICreate;
  dl_iterate_phdr(code_range, &tess);
}

l_ok pixWriteMem(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 format) {
  pthread_once(&once, find_libraries);
  if (lept_write_mem == NULL) {
    return 1; // no Leptonica after this executable: it could not have linked
  }
  uintptr_t caller = (uintptr_t)__builtin_return_address(0);
  if (format == IFF_PNG && __atomic_load_n(&redirect, __ATOMIC_RELAXED) && caller >= tess_lo && caller < tess_hi) {
    format = IFF_SPIX;
    __atomic_add_fetch(&redirected, 1, __ATOMIC_RELAXED);
  }
  return lept_write_mem(pdata, psize, pix, format);
}

void sohoa_line_images_raw(int on) { __atomic_store_n(&redirect, on, __ATOMIC_RELAXED); }

unsigned long sohoa_line_images_redirected(void) { return __atomic_load_n(&redirected, __ATOMIC_RELAXED); }
