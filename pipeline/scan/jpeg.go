package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// jpegInfo is what the markers before the image data say.
type jpegInfo struct {
	dpi         float64
	orientation int
}

// readJPEGMarkers walks the segments up to the first scan for JFIF APP0
// and Exif APP1: resolution and orientation.
// Exif wins over JFIF where both give a resolution, as cameras and most
// scanner drivers write the real one there.
func readJPEGMarkers(data []byte) (jpegInfo, error) {
	info := jpegInfo{orientation: 1}
	var jfifDPI, exifDPI float64
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return info, fmt.Errorf("%w: JPEG marker expected at byte %d", ErrCorrupt, i)
		}
		m := data[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return info, fmt.Errorf("%w: JPEG segment at byte %d runs past the end", ErrCorrupt, i)
		}
		seg := data[i+4 : i+2+n]
		switch {
		case m == 0xDA: // start of scan: no more metadata
			i = len(data)
			continue
		case m == 0xE0 && bytes.HasPrefix(seg, []byte("JFIF\x00")) && len(seg) >= 12:
			units, xd := seg[7], float64(binary.BigEndian.Uint16(seg[8:]))
			switch units {
			case 1:
				jfifDPI = xd
			case 2:
				jfifDPI = xd * 2.54
			}
		case m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			if t, err := parseTIFFHeader(seg[6:]); err == nil {
				if ifd, err := t.readIFD(t.first); err == nil {
					if o := ifd.uint(tagOrientation, 1); o >= 1 && o <= 8 {
						info.orientation = int(o)
					}
					exifDPI = ifd.dpi()
				}
			}
		}
		i += 2 + n
	}
	info.dpi = jfifDPI
	if exifDPI > 0 {
		info.dpi = exifDPI
	}
	return info, nil
}

func decodeJPEG(p *Page, data []byte) error {
	info, err := readJPEGMarkers(data)
	if err != nil {
		return err
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return decodeError(err)
	}
	p.DPI, p.Orientation = info.dpi, info.orientation
	// CMYK has no luminance channel to read alone. A file without its end
	// marker is cut short: libjpeg would complain on stderr and hand back
	// grey where the rest should be, so image/jpeg reads it and says why.
	if cfg.ColorModel != color.CMYKModel && hasEOI(data) {
		p.Gray, _ = leptGray(leptJPEGLuma, data, 0, cfg.Width, cfg.Height, false, nil)
		if cfg.ColorModel == color.YCbCrModel {
			p.chromaOf = func() *Chroma { return leptJPEGChroma(data, cfg.Width, cfg.Height) }
		}
	}
	var img image.Image // decoded by Go: kept for a CMYK re-encode
	if p.Gray == nil {
		if img, err = jpeg.Decode(bytes.NewReader(data)); err != nil {
			return decodeError(err)
		}
		p.Gray = toGray(img)
		p.chromaOf = func() *Chroma { return chromaOf(img) }
	}
	// Gray and colour JPEGs go into the dossier byte for byte.
	p.Embed, err = pdf.JPEGImage(data)
	if err != nil || p.Embed.ColorSpace != "DeviceCMYK" {
		return err
	}
	// PDF/A allows CMYK images only under a CMYK output intent; dossiers
	// carry an sRGB one. Convert: the colour of a print-shop CMYK file is
	// the one thing not kept, and the manifest says so.
	if img == nil {
		if img, err = jpeg.Decode(bytes.NewReader(data)); err != nil {
			return decodeError(err)
		}
	}
	// The encoder reads the CMYK pixels as RGB itself: no RGBA copy of
	// the page.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		return fmt.Errorf("re-encode CMYK JPEG as RGB: %w", err)
	}
	p.Embed, err = pdf.JPEGImage(buf.Bytes())
	p.Notes = append(p.Notes, "CMYK JPEG converted to RGB for PDF/A")
	return err
}

// hasEOI reports whether a JPEG ends with its end-of-image marker (allowing
// the trailing bytes some writers add). FF D9 cannot occur inside the
// entropy-coded data, where a data FF is always followed by 00.
func hasEOI(data []byte) bool {
	tail := data[max(0, len(data)-4096):]
	return bytes.LastIndex(tail, []byte{0xFF, 0xD9}) >= 0
}

// maxJPEGScans bounds a JPEG's scans. Each scan of a progressive JPEG is
// a pass over every block of the image, however few bytes it takes: an
// 8000×8000 JPEG of 200 scans, 150 KB, took 2 s to decode, so one of a
// few megabytes would hold a worker for many minutes. Encoders write up to
// ten or twenty (libjpeg's progressive script has ten).
const maxJPEGScans = 100

// jpegScans counts a JPEG's scans (SOS segments), up to limit: it walks
// the segments, skipping each scan's entropy-coded data to the next
// marker that is neither a stuffed 0xFF nor a restart.
func jpegScans(data []byte, limit int) int {
	n := 0
	for i := 2; i+4 <= len(data) && n < limit; {
		if data[i] != 0xFF {
			i++ // damaged: look for the next marker
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD8 || m == 0x01 || m >= 0xD0 && m <= 0xD7:
			i += 2
			continue
		case m == 0xD9:
			return n
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
		if m != 0xDA {
			continue
		}
		n++
		for i+1 < len(data) && (data[i] != 0xFF || data[i+1] == 0 || data[i+1] >= 0xD0 && data[i+1] <= 0xD7) {
			i++
		}
	}
	return n
}
