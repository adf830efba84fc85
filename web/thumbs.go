package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/sohoa/sohoa/storage"
)

// Thumbnails are previews for the desk's screen, made on demand in the
// serve process from the original (never by the workers, whose time is
// OCR's): small, so a page's list loads fast on a desk PC.
const (
	thumbWidth, thumbHeight = 240, 340
	// thumbMaxBytes and thumbMaxPixels bound the originals previewed: a
	// larger one is shown without a thumbnail rather than held in memory.
	thumbMaxBytes  = 40 << 20
	thumbMaxPixels = 80_000_000
)

// thumbCache keeps recent thumbnails by the original's SHA-256: the same
// bytes always give the same picture.
type thumbCache struct {
	mu    sync.Mutex
	max   int
	order []string
	by    map[string][]byte
}

func newThumbCache(max int) *thumbCache { return &thumbCache{max: max, by: map[string][]byte{}} }

func (c *thumbCache) get(sum string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[sum]
}

func (c *thumbCache) put(sum string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.by[sum]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.by, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, sum)
	c.by[sum] = b
}

// thumb answers a small JPEG of a page: the original, turned upright and
// straightened as the page stages found once the page is processed.
func (h *Handler) thumb(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.sessionPage(w, r)
	if !ok {
		return
	}
	// The same original with the same result always gives the same
	// picture.
	key := p.SHA256 + "|" + p.ResultKey
	b := h.thumbs.get(key)
	if b == nil {
		var turn, skew float64
		res, err := h.result(r.Context(), p)
		if err != nil {
			h.cfg.Log.Info("thumbnail without the page's orientation", "err", err)
		}
		if res != nil && len(res.Pages) > 0 {
			turn, skew = float64(res.Pages[0].Report.Rotation), res.Pages[0].Report.Skew
		}
		if b, err = h.makeThumb(r, p.SHA256, turn, skew); err != nil {
			h.cfg.Log.Info("no thumbnail", "sha256", p.SHA256, "err", err)
			refuse(w, http.StatusNotFound, "không tạo được ảnh thu nhỏ")
			return
		}
		h.thumbs.put(key, b)
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
}

// makeThumb makes the JPEG: the original with its EXIF orientation, turned
// clockwise by turn degrees and its counter-clockwise tilt of skew degrees
// undone (the page stages' Rotation and Skew), fitted into the
// thumbnail's box.
func (h *Handler) makeThumb(r *http.Request, sum string, turn, skew float64) ([]byte, error) {
	key, err := storage.OriginalKey(sum)
	if err != nil {
		return nil, err
	}
	rc, err := h.cfg.Store.Get(r.Context(), key)
	if err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", key, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, thumbMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", key, err)
	}
	if len(raw) > thumbMaxBytes {
		return nil, fmt.Errorf("thumbnail of %s: larger than %d bytes", key, thumbMaxBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", key, err) // a PDF original, say
	}
	if int64(cfg.Width)*int64(cfg.Height) > thumbMaxPixels {
		return nil, fmt.Errorf("thumbnail of %s: %dx%d pixels", key, cfg.Width, cfg.Height)
	}
	img, err := imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", key, err)
	}
	small := imaging.Fit(img, 2*thumbWidth, 2*thumbHeight, imaging.Box)
	// imaging turns counter-clockwise: the stages' clockwise turn is
	// negated, and the counter-clockwise tilt undone by turning back.
	if turn != 0 || skew != 0 {
		small = imaging.Rotate(small, -turn-skew, color.White)
	}
	small = imaging.Fit(small, thumbWidth, thumbHeight, imaging.Lanczos)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, small, &jpeg.Options{Quality: 75}); err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", key, err)
	}
	return out.Bytes(), nil
}
