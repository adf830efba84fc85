package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline"
)

// maxResultBytes bounds a page result read for the desk (its text and
// boxes; a many-frame TIFF's is the largest).
const maxResultBytes = 32 << 20

// pageResult is what the page stages recorded of an original, as the
// workers store it under the page's ResultKey: one report a frame. Only
// the reports are read here (pipeline.PageReport is the public part).
type pageResult struct {
	Pages []struct {
		Report pipeline.PageReport `json:"report"`
	} `json:"pages"`
}

// sessionPage returns a page of a dossier the session may read. The API is
// asked for the dossier first, as the session's user: to an operator
// another office's dossier does not exist, here as there.
func (h *Handler) sessionPage(w http.ResponseWriter, r *http.Request) (*session, catalog.Page, bool) {
	s, _ := h.sessionOf(r)
	if s == nil {
		refuse(w, http.StatusUnauthorized, "chưa đăng nhập (not logged in)")
		return nil, catalog.Page{}, false
	}
	pos, err := strconv.Atoi(r.PathValue("position"))
	if err != nil || pos < 1 {
		refuse(w, http.StatusBadRequest, "vị trí trang không hợp lệ")
		return nil, catalog.Page{}, false
	}
	code := r.PathValue("code")
	if st, err := h.asAPI(r.Context(), s, "GET", "/v1/dossiers/"+code, nil); err != nil || st != http.StatusOK {
		refuse(w, http.StatusNotFound, "không có trang này")
		return nil, catalog.Page{}, false
	}
	p, err := h.cfg.Catalog.Page(r.Context(), code, pos)
	if err != nil {
		refuse(w, http.StatusNotFound, "không có trang này")
		return nil, catalog.Page{}, false
	}
	return s, p, true
}

// result reads a processed page's result; nil, nil before the page is
// processed.
func (h *Handler) result(ctx context.Context, p catalog.Page) (*pageResult, error) {
	if p.ResultKey == "" || p.Status != catalog.PageProcessed {
		return nil, nil
	}
	rc, err := h.cfg.Store.Get(ctx, p.ResultKey)
	if err != nil {
		return nil, fmt.Errorf("page result %s: %w", p.ResultKey, err)
	}
	defer rc.Close()
	var res pageResult
	if err := json.NewDecoder(io.LimitReader(rc, maxResultBytes)).Decode(&res); err != nil {
		return nil, fmt.Errorf("page result %s: %w", p.ResultKey, err)
	}
	return &res, nil
}

// text answers the text OCR recognised on a page, for the desk to show
// beside its thumbnail.
func (h *Handler) text(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.sessionPage(w, r)
	if !ok {
		return
	}
	res, err := h.result(r.Context(), p)
	if err != nil {
		h.cfg.Log.Error("web page text", "err", err)
		refuse(w, http.StatusServiceUnavailable, "không đọc được kết quả nhận dạng")
		return
	}
	out := struct {
		Ready      bool    `json:"ready"`
		Text       string  `json:"text"`
		Confidence float64 `json:"ocr_confidence"`
	}{}
	if res != nil {
		out.Ready = true
		var parts []string
		for _, f := range res.Pages {
			parts = append(parts, f.Report.Text)
			out.Confidence += f.Report.OCRConfidence / float64(len(res.Pages))
		}
		out.Text = strings.Join(parts, "\n\f\n")
	}
	writeJSON(w, http.StatusOK, out)
}
