package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image/color"
	"image/jpeg"
	"strings"
)

// Image is a scan in an encoding PDF can carry as is. Data is written
// verbatim as the image XObject's stream; the other fields describe it and
// are not checked against Data beyond what is cheap, so they must be right
// (PNGImage and JPEGImage fill them in from the file).
type Image struct {
	Width, Height    int // pixels
	BitsPerComponent int // 1 (bilevel), 2, 4 or 8; 8 for DCTDecode, 1 for CCITTFaxDecode
	// ColorSpace is "DeviceGray" or "DeviceRGB". JPEGImage also describes
	// CMYK JPEGs as "DeviceCMYK", which AddPage refuses with
	// ErrDeviceCMYK.
	ColorSpace string
	// Filter is "DCTDecode" (JPEG), "FlateDecode" (zlib, e.g. PNG image
	// data), "CCITTFaxDecode" (fax G3/G4) or "" for raw samples.
	Filter string
	// DecodeParms is the filter's parameter dictionary as PDF text, e.g.
	// "<< /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns 2480 >>"
	// for PNG data or "<< /K -1 /Columns 2480 /Rows 3508 >>" for G4; or "".
	DecodeParms string
	// Decode is the optional /Decode array, two numbers per component,
	// e.g. [1 0 1 0 1 0 1 0] for the inverted CMYK of Adobe JPEGs.
	Decode []float64
	Data   []byte // the encoded samples
	// Foreground, when set, is drawn over the image in order: the page's
	// ink, with the image as the paper under it (mrc.go).
	Foreground []Foreground
}

// Errors from PNGImage. Callers re-encode on ErrUnsupportedPNG (the file is
// fine, PDF just cannot take its data verbatim); ErrInvalidPNG means the
// file itself is broken.
var (
	ErrUnsupportedPNG = errors.New("png layout PDF cannot embed verbatim")
	ErrInvalidPNG     = errors.New("invalid png")
)

// ErrDeviceCMYK is returned by AddPage for a DeviceCMYK image: PDF/A
// allows CMYK only under a CMYK output intent, and the documents carry an
// sRGB one. The caller converts such scans to RGB before embedding.
var ErrDeviceCMYK = errors.New("DeviceCMYK image not allowed under the document's sRGB PDF/A output intent: " +
	"convert the scan to RGB before embedding")

// colorComponents is the number of components of each color space an
// Image may name.
var colorComponents = map[string]int{"DeviceGray": 1, "DeviceRGB": 3, "DeviceCMYK": 4}

func (im *Image) validate() error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("size %dx%d px", im.Width, im.Height)
	}
	comps, ok := colorComponents[im.ColorSpace]
	if !ok {
		return fmt.Errorf("color space %q not DeviceGray or DeviceRGB", im.ColorSpace)
	}
	if im.ColorSpace == "DeviceCMYK" {
		return ErrDeviceCMYK
	}
	switch im.BitsPerComponent {
	case 1, 2, 4, 8:
	default:
		return fmt.Errorf("%d bits per component not 1, 2, 4 or 8", im.BitsPerComponent)
	}
	switch im.Filter {
	case "DCTDecode":
		if im.BitsPerComponent != 8 {
			return fmt.Errorf("DCTDecode with %d bits per component, want 8", im.BitsPerComponent)
		}
		if !bytes.HasPrefix(im.Data, []byte{0xFF, 0xD8}) {
			return errors.New("DCTDecode data does not start with a JPEG SOI marker")
		}
	case "CCITTFaxDecode":
		if im.BitsPerComponent != 1 || comps != 1 {
			return errors.New("CCITTFaxDecode needs 1-bit DeviceGray")
		}
	case "FlateDecode":
	case "":
		rowBytes := (im.Width*comps*im.BitsPerComponent + 7) / 8
		if len(im.Data) < rowBytes*im.Height {
			return fmt.Errorf("raw data %d bytes, %dx%d px need %d", len(im.Data), im.Width, im.Height, rowBytes*im.Height)
		}
	default:
		return fmt.Errorf("filter %q not DCTDecode, FlateDecode, CCITTFaxDecode or none", im.Filter)
	}
	if p := strings.TrimSpace(im.DecodeParms); p != "" {
		if !strings.HasPrefix(p, "<<") || !strings.HasSuffix(p, ">>") ||
			strings.Contains(p, "stream") || strings.Contains(p, "obj") {
			return fmt.Errorf("decode parms %q not a single dictionary", im.DecodeParms)
		}
		if im.Filter == "" {
			return errors.New("decode parms without a filter")
		}
	}
	if im.Decode != nil {
		if len(im.Decode) != 2*comps {
			return fmt.Errorf("decode array has %d numbers, %s needs %d", len(im.Decode), im.ColorSpace, 2*comps)
		}
		for _, v := range im.Decode {
			if !finite(v) {
				return fmt.Errorf("decode array %v not finite", im.Decode)
			}
		}
	}
	if len(im.Data) == 0 {
		return errors.New("no data")
	}
	if len(im.Foreground) > maxForegrounds {
		return fmt.Errorf("%d foregrounds, at most %d", len(im.Foreground), maxForegrounds)
	}
	for i := range im.Foreground {
		if err := im.Foreground[i].validate(); err != nil {
			return fmt.Errorf("foreground %d: %w", i, err)
		}
	}
	return nil
}

// dict is the image XObject dictionary without /Length.
func (im *Image) dict() string {
	var b strings.Builder
	fmt.Fprintf(&b, "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s /BitsPerComponent %d",
		im.Width, im.Height, im.ColorSpace, im.BitsPerComponent)
	if im.Filter != "" {
		fmt.Fprintf(&b, " /Filter /%s", im.Filter)
	}
	if p := strings.TrimSpace(im.DecodeParms); p != "" {
		fmt.Fprintf(&b, " /DecodeParms %s", p)
	}
	if im.Decode != nil {
		b.WriteString(" /Decode [")
		for i, v := range im.Decode {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(v, 4))
		}
		b.WriteByte(']')
	}
	return b.String()
}

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// PNGImage describes a PNG file's image data for embedding without
// decoding: the concatenated IDAT chunks are a zlib stream of rows, each
// prefixed by a PNG filter byte, which is exactly what FlateDecode with
// /Predictor 15 reads. That works for non-interlaced grayscale (1, 2, 4 or
// 8 bits) and 8-bit RGB without alpha; for interlaced, palette, 16-bit or
// alpha PNGs it returns an error wrapping ErrUnsupportedPNG, and the caller
// should decode and re-encode the image (e.g. as 8-bit gray or RGB).
// Ancillary chunks (gamma, ICC profile, transparency key) are ignored: a
// scan is shown in the device color space.
func PNGImage(pngBytes []byte) (Image, error) {
	if !bytes.HasPrefix(pngBytes, pngSignature) {
		return Image{}, fmt.Errorf("png image: %w: no PNG signature", ErrInvalidPNG)
	}
	var (
		im       Image
		haveIHDR bool
		data     bytes.Buffer
		colors   int
	)
	rest := pngBytes[len(pngSignature):]
	for {
		if len(rest) < 12 {
			return Image{}, fmt.Errorf("png image: %w: truncated before IEND", ErrInvalidPNG)
		}
		n := binary.BigEndian.Uint32(rest)
		typ := string(rest[4:8])
		if uint64(n) > uint64(len(rest)-12) {
			return Image{}, fmt.Errorf("png image: %w: chunk %q of %d bytes runs past the end", ErrInvalidPNG, typ, n)
		}
		body := rest[8 : 8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:]) {
			return Image{}, fmt.Errorf("png image: %w: chunk %q checksum mismatch", ErrInvalidPNG, typ)
		}
		rest = rest[12+n:]

		if !haveIHDR && typ != "IHDR" {
			return Image{}, fmt.Errorf("png image: %w: first chunk %q, want IHDR", ErrInvalidPNG, typ)
		}
		switch typ {
		case "IHDR":
			if haveIHDR || len(body) != 13 {
				return Image{}, fmt.Errorf("png image: %w: bad IHDR", ErrInvalidPNG)
			}
			haveIHDR = true
			w, h := binary.BigEndian.Uint32(body), binary.BigEndian.Uint32(body[4:])
			depth, ctype := int(body[8]), body[9]
			if w == 0 || h == 0 || w > 1<<30 || h > 1<<30 || body[10] != 0 || body[11] != 0 {
				return Image{}, fmt.Errorf("png image: %w: bad IHDR", ErrInvalidPNG)
			}
			if body[12] != 0 {
				return Image{}, fmt.Errorf("png image: %w: interlaced", ErrUnsupportedPNG)
			}
			switch ctype {
			case 0:
				if depth != 1 && depth != 2 && depth != 4 && depth != 8 {
					return Image{}, fmt.Errorf("png image: %w: %d-bit grayscale", ErrUnsupportedPNG, depth)
				}
				im.ColorSpace, colors = "DeviceGray", 1
			case 2:
				if depth != 8 {
					return Image{}, fmt.Errorf("png image: %w: %d-bit RGB", ErrUnsupportedPNG, depth)
				}
				im.ColorSpace, colors = "DeviceRGB", 3
			case 3:
				return Image{}, fmt.Errorf("png image: %w: palette", ErrUnsupportedPNG)
			case 4, 6:
				return Image{}, fmt.Errorf("png image: %w: alpha channel", ErrUnsupportedPNG)
			default:
				return Image{}, fmt.Errorf("png image: %w: color type %d", ErrInvalidPNG, ctype)
			}
			im.Width, im.Height, im.BitsPerComponent = int(w), int(h), depth
		case "IDAT":
			data.Write(body)
		case "IEND":
			if data.Len() == 0 {
				return Image{}, fmt.Errorf("png image: %w: no IDAT", ErrInvalidPNG)
			}
			im.Filter = "FlateDecode"
			im.DecodeParms = fmt.Sprintf("<< /Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d >>",
				colors, im.BitsPerComponent, im.Width)
			im.Data = data.Bytes()
			return im, nil
		}
	}
}

// JPEGImage describes a JPEG file for embedding as DCTDecode, reading only
// its headers. Gray, YCbCr and RGB JPEGs can be embedded. CMYK JPEGs are
// described too (Adobe ones, marked by an APP14 "Adobe" segment, store
// inverted ink values, which the returned Decode array undoes), but AddPage
// refuses them with ErrDeviceCMYK: the caller decodes and re-encodes them
// as RGB.
func JPEGImage(jpegBytes []byte) (Image, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpegBytes))
	if err != nil {
		return Image{}, fmt.Errorf("jpeg image: %w", err)
	}
	im := Image{
		Width:            cfg.Width,
		Height:           cfg.Height,
		BitsPerComponent: 8,
		Filter:           "DCTDecode",
		Data:             jpegBytes,
	}
	switch cfg.ColorModel {
	case color.GrayModel:
		im.ColorSpace = "DeviceGray"
	case color.YCbCrModel:
		im.ColorSpace = "DeviceRGB"
	case color.RGBAModel:
		// Components stored as RGB, not YCbCr (image/jpeg saw an Adobe
		// transform 0 or R, G, B component ids): tell the PDF reader not
		// to convert, whatever markers it looks at.
		im.ColorSpace = "DeviceRGB"
		im.DecodeParms = "<< /ColorTransform 0 >>"
	case color.CMYKModel:
		im.ColorSpace = "DeviceCMYK"
		if hasAdobeMarker(jpegBytes) {
			im.Decode = []float64{1, 0, 1, 0, 1, 0, 1, 0}
		}
	default:
		return Image{}, fmt.Errorf("jpeg image: unsupported color model %T", cfg.ColorModel)
	}
	return im, nil
}

// hasAdobeMarker reports whether the JPEG has an APP14 "Adobe" segment
// before its first frame header.
func hasAdobeMarker(b []byte) bool {
	i := 2 // after SOI
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xEE && n >= 7 && i+4+5 <= len(b) && string(b[i+4:i+9]) == "Adobe" {
			return true
		}
		if marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
			return false // frame header: APP segments come before it
		}
		i += 2 + n
	}
	return false
}

// FlateStream compresses b with zlib, the format FlateDecode reads. The
// output depends only on b, which keeps the documents deterministic.
func FlateStream(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression) // the level is valid
	zw.Write(b)                                              // writes to a bytes.Buffer cannot fail
	zw.Close()
	return out.Bytes()
}
