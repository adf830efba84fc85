package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
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
	// pdfcpu reads every object before the file can be asked anything, at
	// some ten kilobytes of garbage an object: a file of 20000 one-line
	// pages took 200 MB and two seconds before its page count could be
	// refused. Counting objects first takes one pass and no memory.
	// (Objects packed in object streams are not counted here; pdfcpu's
	// own limits, set below, bound each such stream.)
	if n, limit := bytes.Count(data, []byte("endobj")), f.opt.maxPDFObjects(); n > limit {
		return nil, fmt.Errorf("%w: PDF of %d objects, limit %d for %d pages a file", ErrTooLarge, n, limit, f.opt.maxPages())
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Limits.MaxImagePixels = f.opt.maxPixels()
	conf.Limits.MaxImageBytes = f.opt.maxDecodedBytes()
	// Streams decoded while reading are page contents, object and
	// cross-reference streams, never images (decodeImageStream holds
	// those to their own size): left at the image limit, a content stream
	// of half a megabyte inflated to 480 MB and took 2 GB of buffers.
	conf.Limits.MaxDecodeBytes = maxPDFStreamBytes
	conf.Limits.MaxObjectCount = f.opt.maxPDFObjects()
	conf.Limits.MaxObjectStreamCount = f.opt.maxPDFObjects()
	conf.Limits.MaxXRefEntries = f.opt.maxPDFObjects()
	// api.ReadValidateAndOptimize, with the streams checked before the
	// optimiser decodes page contents under pdfcpu's fixed 512 MB limit.
	if ctx, err = api.ReadAndValidate(bytes.NewReader(data), conf); err == nil {
		if err = f.checkStreams(ctx); err != nil {
			return nil, err
		}
		if err = api.OptimizeContext(ctx); err == nil {
			err = pdfcpu.CacheFormFonts(ctx)
		}
	}
	if errors.Is(err, filter.ErrDecodeLimitExceeded) {
		return nil, fmt.Errorf("%w: PDF: a stream decodes past %s: %v", ErrTooLarge, byteSize(conf.Limits.MaxDecodeBytes), err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: PDF: %v", ErrCorrupt, err)
	}
	return ctx, nil
}

// checkStreams decodes, and drops, every stream but images (page
// contents, forms, fonts), each held to maxPDFStreamBytes and all together
// to maxPDFStreamsBytes. pdfcpu's optimiser decodes page contents
// under a fixed limit of 512 MB a stream, whatever limits it was given, in
// a buffer that doubles as it grows: a content stream of 600 KB that
// inflated to 600 MB took 2 GB and five seconds before it was refused.
// Streams that fail to decode otherwise are left to pdfcpu, which skips
// what it need not read.
func (f *File) checkStreams(ctx *model.Context) error {
	budget := int64(maxPDFStreamsBytes)
	for _, nr := range slices.Sorted(maps.Keys(ctx.XRefTable.Table)) {
		e := ctx.XRefTable.Table[nr]
		if e == nil || e.Free {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok || sd.Content != nil || len(sd.FilterPipeline) == 0 {
			continue
		}
		if t := sd.Dict.NameEntry("Subtype"); t != nil && *t == "Image" {
			continue // decodeImageStream's, when its page is decoded
		}
		limit := min(maxPDFStreamBytes, budget)
		data, err := sd.DecodeLengthWithLimit(-1, limit) // sd is a copy: dropped
		if errors.Is(err, filter.ErrDecodeLimitExceeded) {
			if limit < maxPDFStreamBytes {
				return fmt.Errorf("%w: PDF: its streams decode past %s together", ErrTooLarge, byteSize(maxPDFStreamsBytes))
			}
			return fmt.Errorf("%w: PDF: stream object %d decodes past %s", ErrTooLarge, nr, byteSize(limit))
		}
		budget -= int64(len(data))
	}
	return nil
}

// maxPDFStreamBytes bounds what a PDF stream other than an image decodes
// to, and maxPDFStreamsBytes all of them together. A scanner's page
// content is a few bytes (a few hundred kilobytes with a text layer).
const (
	maxPDFStreamBytes  = 16 << 20
	maxPDFStreamsBytes = 256 << 20
)

// maxPDFObjects is how many objects a PDF may hold: a scanner writes a
// handful a page (page, contents, image, resources, a font for its text
// layer), so twenty a page and a thousand more leave a wide margin.
func (o Options) maxPDFObjects() int { return 1000 + 20*o.maxPages() }

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

// extractPageImage decodes page n's scan, the image pageImage picks. Only
// that image is decoded (pdfcpu's page extraction decodes every image on
// the page, thumbnails included), and its stream is decoded here first,
// by decodeImageStream.
func (f *File) extractPageImage(ctx *model.Context, n int) (*model.Image, error) {
	stub, err := pageImage(ctx, n, true)
	if err != nil {
		return nil, err
	}
	o := ctx.Optimize.ImageObjects[stub.ObjNr]
	if o == nil || o.ImageDict == nil {
		return nil, fmt.Errorf("%w: image object %d missing", ErrCorrupt, stub.ObjNr)
	}
	if err := f.decodeImageStream(ctx, o.ImageDict, stub); err != nil {
		return nil, err
	}
	im, err := pdfcpu.ExtractImage(ctx, o.ImageDict, false, stub.Name, stub.ObjNr, false)
	if errors.Is(err, pdfcpu.ErrUnsupportedResource) {
		return nil, fmt.Errorf("%w: image object %d: %v", ErrUnsupported, stub.ObjNr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: extract image: %v", ErrCorrupt, err)
	}
	return im, nil
}

// decodeImageStream decodes an image's stream for pdfcpu, held to the
// bytes its dictionary's size takes. pdfcpu's extraction decodes an image
// stream under a fixed limit of 512 MB, whatever limits it was given, in
// a buffer that doubles as it grows: a 100×100 Flate image inflating to
// 600 MB, or a CCITT one whose parameters claim a million columns, took
// 2 GB and seconds before it was refused. Decoded samples take rows of
// width × components × bits; a JPEG takes what its own header says.
// JPEG 2000 and JBIG2 streams are passed on encoded (and refused as
// unsupported); a stream stored raw is bounded by the file.
func (f *File) decodeImageStream(ctx *model.Context, sd *types.StreamDict, im *model.Image) error {
	if err := f.checkSoftMask(ctx, sd, im); err != nil {
		return err
	}
	fpl := sd.FilterPipeline
	if sd.Content != nil || len(fpl) == 0 {
		return nil
	}
	limit := f.opt.maxDecodedBytes()
	what := byteSize(limit)
	switch fpl[len(fpl)-1].Name {
	case filter.JPX, filter.JBIG2:
		return nil
	case filter.DCT:
		// The dictionary's size was checked at Open; the JPEG's own is
		// what its decoder allocates, and pdfcpu decodes a CMYK JPEG
		// itself, before decodePDF sees the bytes.
		if len(fpl) == 1 {
			if s, err := encodedSize(sd.Raw); err == nil {
				if err := s.check(f.opt); err != nil {
					return fmt.Errorf("image object %d: %w", im.ObjNr, err)
				}
			}
		}
		// pdfcpu tells a CMYK JPEG, which it decodes, by this count.
		comp, err := pdfcpu.ColorSpaceComponents(ctx.XRefTable, sd)
		if err != nil {
			return fmt.Errorf("%w: image object %d colour space: %v", ErrCorrupt, im.ObjNr, err)
		}
		sd.CSComponents = comp
	default:
		// Clamped as in pdfImageSize; the size is within the pixel limit.
		row := (int64(im.Width)*int64(min(max(1, im.Comp), 1<<12))*int64(min(max(1, im.Bpc), 1<<8)) + 7) / 8
		take := row * int64(im.Height)
		// A little slack for writers that pad the end.
		limit = min(limit, take+take/16+4096)
		what = fmt.Sprintf("the %d bytes its %d×%d pixels take", take, im.Width, im.Height)
	}
	if _, err := sd.DecodeLengthWithLimit(-1, limit); err != nil {
		if errors.Is(err, filter.ErrDecodeLimitExceeded) {
			return fmt.Errorf("%w: image object %d decodes past %s", ErrTooLarge, im.ObjNr, what)
		}
		return fmt.Errorf("%w: image object %d: %v", ErrCorrupt, im.ObjNr, err)
	}
	return nil
}

// checkSoftMask decodes, and drops, the image's soft mask (/SMask), held
// to the one byte a pixel pdfcpu uses from it: pdfcpu decodes it, when it
// renders the image, under its fixed limit of 512 MB.
func (f *File) checkSoftMask(ctx *model.Context, sd *types.StreamDict, im *model.Image) error {
	o, ok := sd.Dict.Find("SMask")
	if !ok || o == nil {
		return nil
	}
	mask, _, err := ctx.DereferenceStreamDict(o)
	if err != nil || mask == nil || mask.Content != nil || len(mask.FilterPipeline) == 0 {
		return nil // pdfcpu ignores what it cannot read; a raw stream is bounded by the file
	}
	take := int64(im.Width) * int64(im.Height)
	if _, err := mask.DecodeLengthWithLimit(-1, min(f.opt.maxDecodedBytes(), take+take/16+4096)); errors.Is(err, filter.ErrDecodeLimitExceeded) {
		return fmt.Errorf("%w: soft mask of image object %d decodes past the %d bytes its %d×%d pixels take", ErrTooLarge, im.ObjNr, take, im.Width, im.Height)
	}
	return nil
}

// pageImageBytes extracts page n's image, its encoded bytes and the
// file's page sizes, holding f.mu while pdfcpu works. The lock is released
// however pdfcpu fails: a panic in it (which Page recovers as a corrupt
// page) used to leave the lock held, and every later page of the file
// waited for it for ever.
func (f *File) pageImageBytes(n int) (im *model.Image, enc []byte, dims []types.Dim, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ctx := f.pdf
	defer releasePageImages(ctx, n)
	if im, err = f.extractPageImage(ctx, n); err != nil {
		return nil, nil, nil, err
	}
	if enc, err = io.ReadAll(im.Reader); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: read image: %v", ErrCorrupt, err)
	}
	if dims, err = ctx.PageDims(); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: page sizes: %v", ErrCorrupt, err)
	}
	return im, enc, dims, nil
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
		// pdfcpu renders an image without it by dereferencing a nil
		// pointer; only JPEG 2000 carries its depth in its own bytes.
		if im.Bpc <= 0 && !strings.HasSuffix(im.Filter, "JPXDecode") {
			return fmt.Errorf("%s page %d: %w: image object %d has no /BitsPerComponent", f.Path, n, ErrCorrupt, im.ObjNr)
		}
		if err := f.checkSize(n, pdfImageSize(im)); err != nil {
			return err
		}
		// Neither Go nor pdfcpu decodes these: said at the probe, a
		// station's confirm is refused while the operator can rescan,
		// rather than the page task failing later.
		for _, u := range []struct{ filter, name string }{{"JBIG2Decode", "JBIG2"}, {"JPXDecode", "JPEG 2000"}} {
			if strings.HasSuffix(im.Filter, u.filter) {
				return fmt.Errorf("%s page %d: %w: the page image is %s, which sohoa cannot decode; have the scanner write JPEG, CCITT G4 or Flate images", f.Path, n, ErrUnsupported, u.name)
			}
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
	im, enc, dims, err := f.pageImageBytes(n)
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
