// Tesseract 5.3 hands every line image to its LSTM through an ImageData,
// which keeps the image as a file in memory: ImageData::SetPixInternal
// writes it with pixWriteMem as a PNG, at zlib's default level, and
// GetPixInternal reads it straight back with pixReadMem. In recognition
// the PNG is never kept or shown (only training, which writes the bytes
// into .lstmf files, keeps them); its filtering, deflate and inflate were
// about 6.8 % of the CPU time of reading 44 degraded pages (perf: zlib and
// libpng 7.7 % before this, 0.9 % after, that rest the decoding of the
// PNG pages among them). The tesseract
// command pays the same. Tesseract built with TESSERACT_IMAGEDATA_AS_PIX
// keeps the pix itself (tesseract-ocr/tesseract#2965); Debian's package
// is not.
//
// This definition of pixWriteMem, in the executable, comes before
// Leptonica's in the dynamic linker's search, so Tesseract's calls reach
// it. A PNG asked for by SetPixInternal itself is written as Leptonica's
// serialised pix instead (IFF_SPIX: a header and the raster words), which
// pixReadMem recognises by its header and reads back to the same pixels.
// The pix read back differs only in what the line's recognition never
// reads (its resolution, its input format), so the words, boxes and
// confidences are the same (TestRawLineImages). Every other caller, and
// every other format, goes to Leptonica unchanged. A Tesseract whose
// SetPixInternal is not found (another version, or one that inlined it)
// is simply not redirected.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <leptonica/allheaders.h>

#include "linepix.h"

// ImageData::SetPixInternal(Image, std::vector<char>*), as the Itanium
// C++ ABI names it. The executable never refers to it, so dlsym finds the
// library's own code, not a stub of the executable's.
#define SET_PIX_INTERNAL "_ZN9tesseract9ImageData14SetPixInternalENS_5ImageEPSt6vectorIcSaIcEE"

typedef l_ok (*write_mem_fn)(l_uint8 **, size_t *, PIX *, l_int32);

static write_mem_fn lept_write_mem;
// SetPixInternal's code lies in [set_pix_lo, set_pix_hi).
static uintptr_t set_pix_lo, set_pix_hi;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int redirect = 1;
static unsigned long redirected;

static void find_functions(void) {
  void *next = dlsym(RTLD_NEXT, "pixWriteMem");
  memcpy(&lept_write_mem, &next, sizeof next); // a data pointer to a function pointer, as POSIX allows
  void *f = dlsym(RTLD_DEFAULT, SET_PIX_INTERNAL);
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (f != NULL && dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) != 0 && sym != NULL && sym->st_size > 0) {
    set_pix_lo = (uintptr_t)f;
    set_pix_hi = set_pix_lo + sym->st_size;
  }
}

l_ok pixWriteMem(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 format) {
  pthread_once(&once, find_functions);
  if (lept_write_mem == NULL) {
    // No Leptonica after this executable: it could not have started. Fail
    // as Leptonica fails, with nothing written.
    if (pdata != NULL) {
      *pdata = NULL;
    }
    if (psize != NULL) {
      *psize = 0;
    }
    return 1;
  }
  uintptr_t caller = (uintptr_t)__builtin_return_address(0);
  if (format == IFF_PNG && __atomic_load_n(&redirect, __ATOMIC_RELAXED) && caller >= set_pix_lo && caller < set_pix_hi) {
    format = IFF_SPIX;
    __atomic_add_fetch(&redirected, 1, __ATOMIC_RELAXED);
  }
  return lept_write_mem(pdata, psize, pix, format);
}

void sohoa_line_images_raw(int on) { __atomic_store_n(&redirect, on, __ATOMIC_RELAXED); }

unsigned long sohoa_line_images_redirected(void) { return __atomic_load_n(&redirected, __ATOMIC_RELAXED); }

int sohoa_png_from_here(void) {
  PIX *pix = pixCreate(8, 8, 8);
  if (pix == NULL) {
    return 0;
  }
  l_uint8 *data = NULL;
  size_t size = 0;
  int png = pixWriteMem(&data, &size, pix, IFF_PNG) == 0 && size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
  lept_free(data);
  pixDestroy(&pix);
  return png;
}
