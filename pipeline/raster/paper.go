package raster

import "encoding/binary"

// Paper is most of a page: the passes that look for ink or print pass
// over it a word, eight pixels, at a time.

// NextUnder returns the first index from x on where row's byte is under t
// (0-256), or len(row) where there is none.
func NextUnder(row []byte, x int, t uint32) int {
	for ; x+8 <= len(row); x += 8 {
		if AnyUnder(binary.LittleEndian.Uint64(row[x:]), t) {
			break
		}
	}
	for ; x < len(row); x++ {
		if uint32(row[x]) < t {
			return x
		}
	}
	return len(row)
}

// AnyUnder reports whether any of the eight bytes of v is under t (0-256),
// a word at a time, for passing over paper eight pixels at once: a byte
// with its high bit clear is under any t over 128; the rest, and all
// bytes for t up to 128, by the borrow of a byte-wise subtraction of t,
// which only a byte under t starts.
func AnyUnder(v uint64, t uint32) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if t > 128 {
		if ^v&highs != 0 {
			return true
		}
		v &^= highs
		t -= 128
	}
	return (v-ones*uint64(t))&^v&highs != 0
}
