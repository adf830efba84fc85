package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
)

// jpegInfo is what the markers before the image data say.
type jpegInfo struct {
	components  int
	dpi         float64
	orientation int
}

// readJPEGMarkers walks the segments up to the first scan: SOF for the
// component count, JFIF APP0 and Exif APP1 for resolution and orientation.
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
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) >= 6 {
				info.components = int(seg[5])
			}
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
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return decodeError(err)
	}
	p.DPI, p.Orientation = info.dpi, info.orientation
	p.Gray = toGray(img)
	switch info.components {
	case 1:
		p.Embed = dctImage(img.Bounds(), "DeviceGray", data)
	case 3:
		p.Embed = dctImage(img.Bounds(), "DeviceRGB", data)
	default:
		// CMYK and YCCK JPEGs need an inverted Decode array in some
		// writers' conventions and not in others'; a colour shift in an
		// archived original is worse than one re-encode, so convert.
		p.Embed, err = jpegImage(img, 92)
		if err != nil {
			return err
		}
		p.Notes = append(p.Notes, fmt.Sprintf("%d-component JPEG converted to RGB", info.components))
	}
	return nil
}

func dctImage(b image.Rectangle, cs string, data []byte) (img pdfImage) {
	img.Width, img.Height = b.Dx(), b.Dy()
	img.BitsPerComponent = 8
	img.ColorSpace = cs
	img.Filter = "DCTDecode"
	img.Data = data
	return img
}

func jpegImage(src image.Image, quality int) (pdfImage, error) {
	var buf bytes.Buffer
	rgb := toRGB(src)
	if err := jpeg.Encode(&buf, rgb, &jpeg.Options{Quality: quality}); err != nil {
		return pdfImage{}, fmt.Errorf("re-encode as JPEG: %w", err)
	}
	return dctImage(src.Bounds(), "DeviceRGB", buf.Bytes()), nil
}
