package pdf

import (
	"bytes"
	"encoding/binary"
	"math"
)

// PDF/A needs an output intent to give the device colour spaces (the
// DeviceRGB and DeviceGray of the scans) a meaning, and that intent needs
// an ICC profile embedded in the file. Every document carries the same
// one: sRGB, which is what scanners and cameras deliver and what screens
// show. It is built here rather than shipped as a file, so the package
// stays self-contained and the bytes are reviewable: an ICC version 2
// display profile, matrix/TRC form, as small as a valid profile gets.

// srgbName is the profile's description and the output intent's condition
// identifier, the name ICC registers sRGB under.
const srgbName = "sRGB IEC61966-2.1"

// srgbProfile is the ICC profile; srgbProfileFlate its embedded form.
var (
	srgbProfile      = buildSRGBProfile()
	srgbProfileFlate = FlateStream(srgbProfile)
)

// sRGB in the profile connection space: the white points and the
// primaries Bradford-adapted from D65 to D50, as ICC v2 sRGB profiles state
// them. The header's illuminant is the D50 of the PCS; the media white
// point of a version 2 display profile is the display's own, D65.
var (
	iccD50      = [3]float64{0.9642, 1.0, 0.8249}
	iccD65      = [3]float64{0.9505, 1.0, 1.0891}
	iccRedXYZ   = [3]float64{0.4361, 0.2225, 0.0139}
	iccGreenXYZ = [3]float64{0.3851, 0.7169, 0.0971}
	iccBlueXYZ  = [3]float64{0.1431, 0.0606, 0.7141}
)

const (
	iccHeaderSize = 128  // the fixed header before the tag table
	iccCurvPoints = 1024 // samples of the transfer curve
)

// buildSRGBProfile lays out header, tag table and tag data. The three
// channels share one curve, stored once; every tag starts 4-byte aligned.
func buildSRGBProfile() []byte {
	trc := iccCurve()
	tags := []struct {
		sig  string
		data []byte
	}{
		{"desc", iccTextDescription(srgbName)},
		{"cprt", iccText("No copyright, use freely")},
		{"wtpt", iccXYZ(iccD65)},
		{"rXYZ", iccXYZ(iccRedXYZ)},
		{"gXYZ", iccXYZ(iccGreenXYZ)},
		{"bXYZ", iccXYZ(iccBlueXYZ)},
		{"rTRC", trc},
		{"gTRC", trc},
		{"bTRC", trc},
	}

	var table, data bytes.Buffer
	put(&table, uint32(len(tags)))
	start := iccHeaderSize + 4 + 12*len(tags)
	stored := map[string]int{} // tag data already laid out, by content
	for _, t := range tags {
		off, ok := stored[string(t.data)]
		if !ok {
			off = start + data.Len()
			stored[string(t.data)] = off
			data.Write(t.data)
			for data.Len()%4 != 0 {
				data.WriteByte(0)
			}
		}
		table.WriteString(t.sig)
		put(&table, uint32(off), uint32(len(t.data)))
	}

	size := start + data.Len()
	var h bytes.Buffer
	put(&h, uint32(size), uint32(0)) // size, preferred CMM: none
	put(&h, uint32(0x02100000))      // version 2.1.0
	h.WriteString("mntrRGB XYZ ")    // display class, RGB data, XYZ PCS
	// Creation date: fixed, so that every document is byte-deterministic.
	put(&h, uint16(2024), uint16(1), uint16(1), uint16(0), uint16(0), uint16(0))
	h.WriteString("acsp")
	put(&h, uint32(0), uint32(0)) // primary platform: none; flags
	put(&h, uint32(0), uint32(0)) // device manufacturer, model
	put(&h, uint64(0))            // device attributes
	put(&h, uint32(0))            // rendering intent: perceptual
	h.Write(xyzNumber(iccD50))    // PCS illuminant
	put(&h, uint32(0))            // creator
	h.Write(make([]byte, iccHeaderSize-h.Len()))

	out := make([]byte, 0, size)
	out = append(out, h.Bytes()...)
	out = append(out, table.Bytes()...)
	return append(out, data.Bytes()...)
}

// s15Fixed16 is ICC's signed 15.16 fixed-point number.
func s15Fixed16(v float64) int32 { return int32(math.Round(v * 65536)) }

func xyzNumber(v [3]float64) []byte {
	b := make([]byte, 12)
	for i, c := range v {
		binary.BigEndian.PutUint32(b[4*i:], uint32(s15Fixed16(c)))
	}
	return b
}

// iccXYZ is an XYZType tag holding one value.
func iccXYZ(v [3]float64) []byte {
	return append([]byte("XYZ \x00\x00\x00\x00"), xyzNumber(v)...)
}

// iccText is a textType tag: NUL-terminated ASCII.
func iccText(s string) []byte {
	return append([]byte("text\x00\x00\x00\x00"+s), 0)
}

// iccTextDescription is the version 2 textDescriptionType: the ASCII
// description, then empty Unicode and ScriptCode descriptions (the
// ScriptCode part keeps its fixed 67-byte field).
func iccTextDescription(s string) []byte {
	var b bytes.Buffer
	b.WriteString("desc\x00\x00\x00\x00")
	put(&b, uint32(len(s)+1))
	b.WriteString(s)
	b.WriteByte(0)
	put(&b, uint32(0), uint32(0)) // Unicode language code, character count
	put(&b, uint16(0), uint8(0))  // ScriptCode code, count
	b.Write(make([]byte, 67))
	return b.Bytes()
}

// iccCurve is a curveType tag sampling the sRGB transfer function (IEC
// 61966-2.1: linear near black, a 2.4 power above) at iccCurvPoints
// evenly spaced inputs.
func iccCurve() []byte {
	var b bytes.Buffer
	b.WriteString("curv\x00\x00\x00\x00")
	put(&b, uint32(iccCurvPoints))
	for i := range iccCurvPoints {
		x := float64(i) / float64(iccCurvPoints-1)
		y := x / 12.92
		if x > 0.04045 {
			y = math.Pow((x+0.055)/1.055, 2.4)
		}
		put(&b, uint16(math.Round(y*65535)))
	}
	return b.Bytes()
}
