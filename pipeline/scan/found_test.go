package scan

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// Regression tests for what FuzzOpen found; each finding's input is also
// kept in testdata/fuzz/FuzzOpen.

// twoPagePDF is a PDF of two pages, each drawing its own Flate image
// (which pdfcpu renders itself, unlike a JPEG): 24×16, then 16×24 (two
// identical images would be merged into one by pdfcpu's optimiser).
func twoPagePDF(t testing.TB) []byte {
	t.Helper()
	img := "/Type /XObject /Subtype /Image /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
	return handPDF(
		pdfObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		pdfObj{dict: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>"},
		pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 7 0 R >>"},
		pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 6 0 R >> >> /Contents 7 0 R >>"},
		pdfObj{dict: img + " /Width 24 /Height 16", stream: deflate(page(24, 16).Pix)},
		pdfObj{dict: img + " /Width 16 /Height 24", stream: deflate(page(16, 24).Pix)},
		pdfObj{dict: "", stream: []byte("q 612 0 0 792 0 0 cm /Im0 Do Q")},
	)
}

// TestPDFImageWithoutDepth: an image dictionary without /BitsPerComponent
// made pdfcpu dereference a nil pointer when the page was decoded
// (testdata/fuzz/FuzzOpen/9fd4ccd2458cb87b); it is refused at the probe,
// naming what is missing.
func TestPDFImageWithoutDepth(t *testing.T) {
	data := bytes.Replace(twoPagePDF(t), []byte("/BitsPerComponent 8 "), nil, 1)
	_, err := OpenBytes("nodepth.pdf", data, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "nodepth.pdf page 1: ") ||
		!strings.Contains(err.Error(), "image object 5 has no /BitsPerComponent") {
		t.Fatalf("got %v, want ErrCorrupt naming page 1's image and what it lacks", err)
	}
}

// TestPDFPanicReleasesLock: a panic inside pdfcpu while a page is
// extracted is recovered as a corrupt page, and the file's other pages
// still decode. The lock that serialises extraction was released only on
// the way out without a panic, so every later Page of the file waited for
// ever: a worker decoding a dossier's pages hung on the second.
func TestPDFPanicReleasesLock(t *testing.T) {
	f, err := OpenBytes("pages.pdf", twoPagePDF(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// What made pdfcpu panic in the fuzzer's input, put where the probe
	// no longer looks: page 1's image loses its depth.
	delete(f.pdf.Optimize.ImageObjects[5].ImageDict.Dict, "BitsPerComponent")
	if _, err := f.Page(1); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "decoder failed") {
		t.Fatalf("page 1: got %v, want ErrCorrupt from the recovered panic", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.Page(2)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("page 2: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("page 2 still waiting after 5 s: the lock was kept by page 1's panic")
	}
}

// TestPDFUndecodableImages: a PDF whose page image is JBIG2 or JPEG 2000
// (which neither Go nor pdfcpu decodes) is refused at the probe, as
// unsupported and saying why, so that a station's confirm answers 415
// while the operator can still rescan; it used to pass the probe and fail
// its page task later.
func TestPDFUndecodableImages(t *testing.T) {
	for _, tc := range []struct {
		name, dict, says string
	}{
		{"jbig2.pdf", "/Width 16 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode", "page 1: unsupported file: the page image is JBIG2"},
		{"jpx.pdf", "/Width 16 /Height 8 /Filter /JPXDecode", "page 1: unsupported file: the page image is JPEG 2000"},
	} {
		_, err := OpenBytes(tc.name, imagePDFOf(tc.dict, []byte("\x00\x00\x00\x0c")), Options{})
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.name+" "+tc.says) {
			t.Errorf("%s: got %v, want ErrUnsupported saying %q", tc.name, err, tc.says)
		}
	}
}
