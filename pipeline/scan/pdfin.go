package scan

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// readPDF parses a PDF under resource limits derived from the pixel limit:
// a PDF bomb (a stream that inflates to gigabytes, an object graph that
// never ends) fails here rather than exhaust memory.
func (f *File) readPDF(data []byte) (ctx *model.Context, err error) {
	// pdfcpu is a large parser facing hostile input: a panic inside it is a
	// corrupt file, not the end of the run.
	defer func() {
		if p := recover(); p != nil {
			ctx, err = nil, fmt.Errorf("%w: PDF parser failed: %v", ErrCorrupt, p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Limits.MaxImagePixels = f.opt.maxPixels()
	conf.Limits.MaxImageBytes = f.opt.maxDecodedBytes()
	conf.Limits.MaxDecodeBytes = f.opt.maxDecodedBytes()
	ctx, err = api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
	if err != nil {
		return nil, fmt.Errorf("%w: PDF: %v", ErrCorrupt, err)
	}
	return ctx, nil
}

// pageImage picks the page's scan: the largest image on it. Scanner PDFs
// have one; some add a small logo or thumbnail beside it.
func pageImage(ctx *model.Context, n int, stub bool) (*model.Image, error) {
	imgs, err := pdfcpu.ExtractPageImages(ctx, n, stub)
	if err != nil {
		return nil, fmt.Errorf("%w: extract image: %v", ErrCorrupt, err)
	}
	// In object-number order, so that probe and decode (and every run)
	// pick the same image when two are the same size.
	nums := make([]int, 0, len(imgs))
	for k := range imgs {
		nums = append(nums, k)
	}
	slices.Sort(nums)
	var best *model.Image
	for _, k := range nums {
		im := imgs[k]
		if im.Thumb || im.IsImgMask {
			continue
		}
		if best == nil || im.Width*im.Height > best.Width*best.Height {
			best = &im
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: the page has no image; sohoa reads image-only PDFs as scanners write them", ErrUnsupported)
	}
	return best, nil
}

// pdfImageSize is what decoding a page's image takes. A JPEG goes to the
// JPEG decoder as it is; pdfcpu renders every other image (Flate, LZW ...)
// to 8-bit RGBA, from its decoded stream of components × bits per pixel.
func pdfImageSize(im *model.Image) size {
	s := size{w: im.Width, h: im.Height, format: fmt.Sprintf("%d-bit %s", im.Bpc, im.Cs)}
	if strings.HasSuffix(im.Filter, "DCTDecode") && im.Comp < 4 {
		s.bpp = max(1, im.Comp)
		return s
	}
	s.bpp = max(4, min(im.Comp, 1<<12)*max(1, (min(im.Bpc, 1<<8)+7)/8))
	return s
}

func (f *File) probePDF(data []byte) error {
	ctx, err := f.readPDF(data)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if ctx.PageCount == 0 {
		return fmt.Errorf("%s: %w: PDF has no pages", f.Path, ErrCorrupt)
	}
	if ctx.PageCount > f.opt.maxPages() {
		return fmt.Errorf("%s: %w: %d pages, limit %d pages a file", f.Path, ErrTooLarge, ctx.PageCount, f.opt.maxPages())
	}
	for n := 1; n <= ctx.PageCount; n++ {
		im, err := pageImage(ctx, n, true)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", f.Path, n, err)
		}
		if err := f.checkSize(n, pdfImageSize(im)); err != nil {
			return err
		}
	}
	f.Pages = ctx.PageCount
	f.pdf = ctx
	return nil
}

// releasePageImages drops the decoded streams of page n's images, which
// pdfcpu keeps in the parsed file once it has decoded them: without this a
// file of many pages would hold every page's pixels until it is closed.
func releasePageImages(ctx *model.Context, n int) {
	for _, nr := range pdfcpu.ImageObjNrs(ctx, n) {
		if o := ctx.Optimize.ImageObjects[nr]; o != nil && o.ImageDict != nil {
			o.ImageDict.Content = nil
		}
	}
}

func (f *File) decodePDF(p *Page, _ []byte, n int) error {
	f.mu.Lock()
	ctx := f.pdf
	im, err := pageImage(ctx, n, false)
	var enc []byte
	if err == nil {
		enc, err = io.ReadAll(im.Reader)
		if err != nil {
			err = fmt.Errorf("%w: read image: %v", ErrCorrupt, err)
		}
	}
	var dims []types.Dim
	if err == nil {
		dims, err = ctx.PageDims()
		if err != nil {
			err = fmt.Errorf("%w: page sizes: %v", ErrCorrupt, err)
		}
	}
	releasePageImages(ctx, n)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	// The image dictionary's size was checked at Open, but the bytes are
	// what gets decoded, and they carry their own size: a small /Width
	// around a huge JPEG frame would otherwise slip past the limits. Bytes
	// without a readable header are left to the decoder to report.
	if s, err := encodedSize(enc); err == nil {
		if err := s.check(f.opt); err != nil {
			return err
		}
	}
	switch im.FileType {
	case "jpg":
		err = decodeJPEG(p, enc)
	case "png":
		err = decodePNG(p, enc)
	default:
		return fmt.Errorf("%w: page image encoded as %s", ErrUnsupported, im.FileType)
	}
	if err != nil {
		return err
	}
	// The page box, not any tag inside the image, says how large the
	// paper was.
	if n <= len(dims) && dims[n-1].Width > 0 {
		p.DPI = float64(p.Gray.Rect.Dx()) / (dims[n-1].Width / 72)
		if dims[n-1].Width > dims[n-1].Height != (p.Gray.Rect.Dx() > p.Gray.Rect.Dy()) {
			// Image drawn turned on the page; its long side spans the height.
			p.DPI = float64(p.Gray.Rect.Dx()) / (dims[n-1].Height / 72)
		}
	}
	p.Orientation = 1
	return nil
}
