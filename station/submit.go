package station

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// bar prints the folder's progress: pages confirmed of pages queued.
func (a *agent) bar(f folderRec, files []fileRec) {
	cur, err := a.q.files(f.Name)
	if err == nil {
		files = cur
	}
	done, total := 0, 0
	for _, r := range files {
		if r.State == stateDuplicate || r.State == stateRefused {
			continue
		}
		total++
		if r.State == stateConfirmed {
			done++
		}
	}
	const width = 20
	fill := width * done / max(total, 1)
	a.say("%s [%s%s] %d/%d pages sent", f.Code, strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, total)
}

// submit hands the folder's dossier to the workers once the operator
// says it is complete (SUBMIT, or SubmitIdle) and every page file in the
// folder is a confirmed page, a duplicate, or a refused file the
// operator removed.
func (a *agent) submit(ctx context.Context, f folderRec) error {
	dir := filepath.Join(a.cfg.Watch, f.Name)
	marked := submitMarked(dir)
	a.mu.Lock()
	if a.lastPage[f.Name].IsZero() {
		// Pages taken before a restart: the idle time counts from now.
		a.lastPage[f.Name] = time.Now()
	}
	idle := a.cfg.SubmitIdle > 0 && time.Since(a.lastPage[f.Name]) >= a.cfg.SubmitIdle
	a.mu.Unlock()
	if !marked && !idle {
		return nil
	}
	names, err := pageFiles(dir)
	if err != nil {
		return nil
	}
	recs, err := a.q.files(f.Name)
	if err != nil {
		return err
	}
	byName := map[string]fileRec{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	pages := 0
	for _, e := range names {
		r, ok := byName[e.Name()]
		switch {
		case !ok, r.State == stateQueued, r.State == stateStaged:
			return nil // still coming
		case r.State == stateRefused:
			a.once("refused:"+f.Name+r.Name, "%s: not submitting while %s, which the service refused, is in the folder", f.Code, r.Name)
			return nil
		}
	}
	for _, r := range recs {
		if r.State == stateConfirmed {
			pages++
		}
	}
	if pages == 0 {
		return nil
	}
	var d dossierJSON
	err = a.c.call(ctx, "submit "+f.Code, http.MethodPost, "/v1/dossiers/"+url.PathEscape(f.Code)+"/submit", nil, &d)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return a.ignoreHeld(a.hold(f, err))
	}
	a.say("%s: submitted, %d pages", f.Code, pages)
	_, err = a.q.updateFolder(f.Name, func(f *folderRec) error {
		f.Submitted, f.Status = true, d.Status
		return nil
	})
	return err
}

// submitMarked reports whether a folder holds the SUBMIT file, in any
// case and with any extension: on Windows a file made from Explorer's
// menu is "SUBMIT.txt".
func submitMarked(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		base := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if e.Type().IsRegular() && strings.EqualFold(base, SubmitMarker) {
			return true
		}
	}
	return false
}

// ignoreHeld: a held folder was said; the agent goes on with the others.
func (a *agent) ignoreHeld(err error) error {
	if errors.Is(err, errHeld) {
		return nil
	}
	return err
}

// follow shows what the workers make of a submitted dossier: each page
// warning once, as soon as it is known, and the dossier's end.
func (a *agent) follow(ctx context.Context, f folderRec) error {
	var d dossierJSON
	if err := a.c.once(ctx, "follow "+f.Code, http.MethodGet, "/v1/dossiers/"+url.PathEscape(f.Code), nil, &d); err != nil {
		return nil // next pass; following is not worth a wait
	}
	changed := false
	for _, p := range d.Pages {
		for _, w := range p.Warnings {
			key := fmt.Sprintf("%d:%s", p.Position, w)
			if !slices.Contains(f.Shown, key) {
				f.Shown = append(f.Shown, key)
				changed = true
				a.say("%s: WARNING page %d: %s", f.Code, p.Position, w)
			}
		}
		if p.Status == "failed" && p.Error != "" {
			key := fmt.Sprintf("%d:error:%s", p.Position, p.Error)
			if !slices.Contains(f.Shown, key) {
				f.Shown = append(f.Shown, key)
				changed = true
				a.say("%s: page %d FAILED: %s", f.Code, p.Position, p.Error)
			}
		}
	}
	if d.Status != f.Status {
		f.Status, changed = d.Status, true
		switch d.Status {
		case "signed", "delivered":
			f.Final = true
			a.say("%s: %s, %d pages", f.Code, d.Status, len(d.Pages))
		case "failed":
			f.Final = true
			a.say("%s: FAILED %v", f.Code, d.Failure)
		default:
			a.say("%s: %s", f.Code, d.Status)
		}
	}
	if !changed {
		return nil
	}
	_, err := a.q.updateFolder(f.Name, func(cur *folderRec) error {
		cur.Shown, cur.Status, cur.Final = f.Shown, f.Status, f.Final
		return nil
	})
	return err
}
