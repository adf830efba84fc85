package station

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// keys reads what the operator types at the agent's terminal, a line at a
// time, until r ends: Enter (or "nop", "nộp", "submit") submits the dossier
// the stream of separator sheets is filling; "nộp NAME" or "submit NAME"
// submits the dossier of sub-folder NAME (a dossier's code, or a folder's
// name). Submitting is writing the SUBMIT file, as the operator could by
// hand, so the sender submits once every page is sent, as for any folder.
func (a *agent) keys(ctx context.Context, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() && ctx.Err() == nil {
		word, name, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch strings.ToLower(word) {
		case "", "nop", "nộp", "submit", "s":
		default:
			a.say("typed %q: Enter (or \"nộp\") submits the dossier the sheets are filling; \"nộp TÊN\" the folder TÊN", sc.Text())
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" {
			st, err := a.q.stream()
			if err != nil || st.Code == "" {
				a.say("no dossier is being filled from separator sheets: type \"nộp\" and the folder's name")
				continue
			}
			name = st.Code
		}
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." || strings.HasPrefix(name, ".") {
			a.say("%q is no folder of %s", name, a.cfg.Watch)
			continue
		}
		dir := filepath.Join(a.cfg.Watch, name)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			a.say("no folder %s in %s", name, a.cfg.Watch)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, SubmitMarker), nil, 0o644); err != nil {
			a.say("cannot mark %s for submission: %v", name, err)
			continue
		}
		a.say("%s: submitted once its pages are sent", name)
	}
}
