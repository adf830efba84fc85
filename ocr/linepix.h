// linepix.c: Tesseract's line images kept as raw pixels, not PNG.

// sohoa_line_images_raw turns the redirect on (1, the default) or off (0).
void sohoa_line_images_raw(int on);

// sohoa_line_images_redirected counts the line images written raw so far.
unsigned long sohoa_line_images_redirected(void);

// sohoa_png_from_here writes a small pix as a PNG through pixWriteMem from
// the executable's own code, and reports whether PNG bytes came back.
int sohoa_png_from_here(void);
