package scan

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
)

// size is what a page's headers say about its pixels, read before any is
// decoded: enough to refuse a decompression bomb. A small file can declare
// a page of many pixels (rows that compress a thousandfold), and a page
// within the pixel limit can still take gigabytes when each pixel takes
// eight bytes, so both are bounded.
type size struct {
	w, h int
	// bpp is the bytes per pixel of the buffer the decoder fills, and
	// format names the pixels for errors ("16-bit RGBA").
	bpp    int
	format string
	// scans is a JPEG's count of scans (see maxJPEGScans), 0 otherwise.
	scans int
}

func (s size) decodedBytes() int64 { return int64(s.w) * int64(s.h) * int64(s.bpp) }

// check holds s to opt's limits.
func (s size) check(opt Options) error {
	if s.w <= 0 || s.h <= 0 {
		return fmt.Errorf("%w: size %d×%d", ErrCorrupt, s.w, s.h)
	}
	if px := int64(s.w) * int64(s.h); px > opt.maxPixels() {
		return fmt.Errorf("%w: %d×%d is %.1f MP, limit %.1f MP",
			ErrTooLarge, s.w, s.h, float64(px)/1e6, float64(opt.maxPixels())/1e6)
	}
	if b := s.decodedBytes(); b > opt.maxDecodedBytes() {
		return fmt.Errorf("%w: %d×%d %s decodes to %s, limit %s",
			ErrTooLarge, s.w, s.h, s.format, byteSize(b), byteSize(opt.maxDecodedBytes()))
	}
	if s.scans > maxJPEGScans {
		return fmt.Errorf("%w: JPEG of more than %d scans (progressive passes), the limit",
			ErrTooLarge, maxJPEGScans)
	}
	return nil
}

// checkSize holds page n of f to the limits, naming both.
func (f *File) checkSize(n int, s size) error {
	if err := s.check(f.opt); err != nil {
		return fmt.Errorf("%s page %d: %w", f.Path, n, err)
	}
	return nil
}

func byteSize(b int64) string {
	if b < 100_000 {
		return fmt.Sprintf("%d bytes", b)
	}
	return fmt.Sprintf("%.1f MB", float64(b)/1e6)
}

// encodedSize reads a JPEG's or PNG's size from its header.
func encodedSize(data []byte) (size, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return size{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	bpp, format := modelBytes(cfg.ColorModel)
	s := size{w: cfg.Width, h: cfg.Height, bpp: bpp, format: format}
	if bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
		s.scans = jpegScans(data, maxJPEGScans+1)
	}
	return s, nil
}

// modelBytes is the bytes per pixel of the image Go's JPEG and PNG
// decoders return for a colour model (what they allocate), and its name.
// Leptonica, which decodes the common cases first, takes no more.
func modelBytes(m color.Model) (int, string) {
	if _, ok := m.(color.Palette); ok {
		return 1, "palette"
	}
	switch m {
	case color.GrayModel:
		return 1, "8-bit gray"
	case color.Gray16Model:
		return 2, "16-bit gray"
	case color.YCbCrModel: // JPEG: at most three full planes
		return 3, "8-bit YCbCr"
	case color.CMYKModel:
		return 4, "8-bit CMYK"
	case color.RGBAModel:
		return 4, "8-bit RGB"
	case color.NRGBAModel:
		return 4, "8-bit RGBA"
	case color.RGBA64Model:
		return 8, "16-bit RGB"
	case color.NRGBA64Model:
		return 8, "16-bit RGBA"
	}
	return 8, "unknown colour model" // the most any of them stores
}

// tiffSize reads a frame's size from its IFD: one sample per pixel decodes
// to gray or palette indices, more to four-channel RGBA, at one byte a
// sample up to 8 bits and two (or more) above.
func tiffSize(d *ifd) size {
	// Clamped so that hostile values cannot overflow the product; either
	// bound is still far over any limit.
	spp, bits := int(min(d.uint(tagSamplesPerPixel, 1), 1<<12)), int(min(d.uint(tagBitsPerSample, 1), 1<<8))
	channels := spp
	if spp > 1 {
		channels = max(4, spp)
	}
	format := fmt.Sprintf("%d-bit %d-sample", bits, spp)
	switch spp {
	case 1:
		format = fmt.Sprintf("%d-bit gray", bits)
	case 3:
		format = fmt.Sprintf("%d-bit RGB", bits)
	case 4:
		format = fmt.Sprintf("%d-bit RGBA", bits)
	}
	return size{w: int(d.uint(tagWidth, 0)), h: int(d.uint(tagHeight, 0)),
		bpp: max(1, channels) * max(1, (bits+7)/8), format: format}
}
