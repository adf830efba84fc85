package ocr

import (
	"fmt"
	"image"

	"github.com/otiai10/gosseract/v2"
)

// RecognizeBlock reads g, whose resolution is dpi, as one block of
// horizontal text lines: what the orient stage does to try a page in a
// candidate turn. The page's own reading (Recognize) analyses the layout
// first, and that analysis turns text that runs down the page to read it,
// which would let a page lying on its side read well; as one block,
// sideways text reads as the noise it is.
func (e *Engine) RecognizeBlock(g *image.Gray, dpi int) (*Result, error) {
	return e.recognizeAs(g, dpi, gosseract.PSM_SINGLE_BLOCK)
}

// RecognizeLine reads g, whose resolution is dpi, as one text line: a line
// the page's reading left out or misread, cut from the page and read again
// without the layout analysis that lost it.
func (e *Engine) RecognizeLine(g *image.Gray, dpi int) (*Result, error) {
	return e.recognizeAs(g, dpi, gosseract.PSM_SINGLE_LINE)
}

func (e *Engine) recognizeAs(g *image.Gray, dpi int, mode gosseract.PageSegMode) (*Result, error) {
	if err := e.client.SetPageSegMode(mode); err != nil {
		return nil, fmt.Errorf("ocr: set page segmentation: %w", err)
	}
	res, err := e.Recognize(g, dpi)
	if err2 := e.client.SetPageSegMode(gosseract.PSM_AUTO); err == nil && err2 != nil {
		err = fmt.Errorf("ocr: set page segmentation: %w", err2)
	}
	return res, err
}

// Lang is the Tesseract language list the engine reads, as NewEngine was
// given it.
func (e *Engine) Lang() string { return e.lang }
