package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/citizen"
)

// hit is one dossier a search found.
type hit struct {
	Code      string    `json:"code"`
	Procedure string    `json:"procedure"`
	Office    string    `json:"office"`
	CitizenID string    `json:"citizen_id,omitempty"`
	ReceiptNo string    `json:"receipt_no,omitempty"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// maxHits bounds one search's answer.
const maxHits = 500

// search finds dossiers for an auditor, whatever their status and office:
// by code, or by citizen ID (the station's record or a number the
// documents name) and/or a creation date range, the newest first.
func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	s, _ := h.sessionOf(r)
	if s == nil {
		refuse(w, http.StatusUnauthorized, "chưa đăng nhập (not logged in)")
		return
	}
	if s.who.Role != catalog.RoleAuditor && s.who.Role != catalog.RoleAdmin {
		refuse(w, http.StatusForbidden, "chỉ kiểm toán viên được tìm kiếm (auditors only)")
		return
	}
	q := r.URL.Query()
	from, to, ok := dateRange(w, q)
	if !ok {
		return
	}
	in := func(t time.Time) bool { return !t.Before(from) && (to.IsZero() || t.Before(to)) }
	hits := []hit{}
	if code := q.Get("code"); code != "" {
		var d struct {
			hit
		}
		st, err := h.asAPI(r.Context(), s, "GET", "/v1/dossiers/"+url.PathEscape(code), &d)
		if err != nil || st != http.StatusOK && st != http.StatusNotFound {
			refuse(w, http.StatusBadGateway, "không đọc được hồ sơ")
			return
		}
		if st == http.StatusOK && in(d.CreatedAt) && (q.Get("citizen_id") == "" || q.Get("citizen_id") == d.CitizenID) {
			hits = append(hits, d.hit)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": hits})
		return
	}
	f := catalog.SearchFilter{From: from, To: to, Limit: maxHits}
	if id := q.Get("citizen_id"); id != "" {
		if err := citizen.CheckNumber(id, time.Now()); err != nil {
			refuse(w, http.StatusUnprocessableEntity, "số định danh không hợp lệ: "+err.Error())
			return
		}
		f.Citizen = id
	}
	ds, err := h.cfg.Catalog.Search(r.Context(), f)
	if err != nil {
		h.cfg.Log.Error("web search", "err", err)
		refuse(w, http.StatusServiceUnavailable, "không tìm được, thử lại")
		return
	}
	for _, d := range ds {
		hits = append(hits, hit{Code: d.Code, Procedure: d.Procedure, Office: d.Office, CitizenID: d.CitizenID,
			ReceiptNo: d.ReceiptNo, Status: string(d.Status), CreatedAt: d.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": hits})
}

// dateRange reads from= and to= (YYYY-MM-DD, Vietnam's days; to is
// inclusive).
func dateRange(w http.ResponseWriter, q url.Values) (from, to time.Time, ok bool) {
	for _, p := range []struct {
		name string
		t    *time.Time
		add  int
	}{{"from", &from, 0}, {"to", &to, 1}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, vietnam)
		if err != nil {
			refuse(w, http.StatusBadRequest, p.name+": ngày dạng YYYY-MM-DD")
			return from, to, false
		}
		*p.t = t.AddDate(0, 0, p.add)
	}
	return from, to, true
}

// vietnam is the time zone desks count days in.
var vietnam = time.FixedZone("ICT", 7*3600)
