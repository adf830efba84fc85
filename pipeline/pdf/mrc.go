package pdf

import (
	"errors"
	"fmt"
	"strings"
)

// Mixed raster content. A page of print on paper needs its letters'
// shapes sharp and little else: a 1-bit mask of the ink at the scan's
// resolution (G4 codes it in a few tens of kilobytes) says where ink is,
// and the ink's colour and the paper under it can be coarse. So the page
// is drawn as two layers in the same frame: the background (Image, the
// paper with the print taken out, at low resolution) and over it the
// foreground (the ink's colour, at lower resolution still, painted through
// the mask). It is the layering of DjVu and of ITU-T T.44, with PDF's
// explicit masking (an image with /Mask naming a stencil), which PDF/A-2
// allows: it is not transparency, and needs no transparency group.

// Foreground is an ink layer drawn over a page's Image. A page may have
// several: print in one colour, and the ink of seals and signatures in
// theirs, each through its own mask, so that where they cross neither
// takes the other's colour.
type Foreground struct {
	// Mask is the ink at full resolution, 1 bit per pixel, DeviceGray:
	// samples of 0 (black, in a CCITT G4 stream without /BlackIs1) are
	// painted with Colour, samples of 1 leave what is under them showing.
	Mask Image
	// Colour is the ink's colour, at any resolution: PDF maps it and the
	// mask onto the same unit square.
	Colour Image
}

func (f *Foreground) validate() error {
	if f.Mask.BitsPerComponent != 1 || f.Mask.ColorSpace != "DeviceGray" {
		return errors.New("mask: want 1-bit DeviceGray")
	}
	if f.Mask.Decode != nil || f.Mask.Foreground != nil {
		return errors.New("mask: a decode array or foregrounds of its own")
	}
	if err := f.Mask.validate(); err != nil {
		return fmt.Errorf("mask: %w", err)
	}
	if f.Colour.Foreground != nil {
		return errors.New("foreground colour with foregrounds of its own")
	}
	if err := f.Colour.validate(); err != nil {
		return fmt.Errorf("foreground colour: %w", err)
	}
	return nil
}

// maskDict is the stencil mask's XObject dictionary without /Length: an
// image mask has no colour space.
func (f *Foreground) maskDict() string {
	d := fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ImageMask true /BitsPerComponent 1",
		f.Mask.Width, f.Mask.Height)
	if f.Mask.Filter != "" {
		d += " /Filter /" + f.Mask.Filter
	}
	if p := strings.TrimSpace(f.Mask.DecodeParms); p != "" {
		d += " /DecodeParms " + p
	}
	return d
}

// maxForegrounds bounds a page's ink layers: print and coloured ink need
// two.
const maxForegrounds = 4

// foregroundName is the name of a page's i-th foreground in its
// resources, beside imageName.
func foregroundName(i int) string { return fmt.Sprintf("Fg%d", i) }

// writeImage writes the page image's objects (the background, then each
// foreground's mask and colour image) and returns the page's XObject
// resources that name them.
func (w *Writer) writeImage(im *Image) string {
	n := len(w.offsets)
	w.offsets = append(w.offsets, 0)
	w.writeStream(n, im.dict(), im.Data)
	res := fmt.Sprintf("/%s %d 0 R", imageName, n)
	for i, f := range im.Foreground {
		mask, colour := len(w.offsets), len(w.offsets)+1
		w.offsets = append(w.offsets, 0, 0)
		w.writeStream(mask, f.maskDict(), f.Mask.Data)
		w.writeStream(colour, fmt.Sprintf("%s /Mask %d 0 R", f.Colour.dict(), mask), f.Colour.Data)
		res += fmt.Sprintf(" /%s %d 0 R", foregroundName(i), colour)
	}
	return res
}

// draw is the content stream's painting of the image, in the frame the
// page's matrix sets.
func (im *Image) draw() string {
	s := fmt.Sprintf("/%s Do", imageName)
	for i := range im.Foreground {
		s += fmt.Sprintf("\n/%s Do", foregroundName(i))
	}
	return s
}

// Size is the bytes the image's streams take: its own and its
// foregrounds' masks and colour images.
func (im *Image) Size() int {
	n := len(im.Data)
	for _, f := range im.Foreground {
		n += len(f.Mask.Data) + len(f.Colour.Data)
	}
	return n
}
