package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sohoa/sohoa/pipeline"
)

// progress shows a bar that redraws in place on a terminal and plain lines
// elsewhere (logs, CI), where carriage returns would be noise.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	drawn bool
}

func newProgress(w *os.File, quiet bool) *progress {
	st, err := w.Stat()
	return &progress{w: w, tty: err == nil && st.Mode()&os.ModeCharDevice != 0, quiet: quiet}
}

func (p *progress) event(e pipeline.Event) {
	r := e.Page
	what := fmt.Sprintf("%s p%d", r.Source, r.SourcePage)
	if r.SourcePage == 0 {
		what = r.Source
	}
	status := "ok"
	switch {
	case r.Error != "":
		status = "FAILED: " + r.Error
	case len(r.Warnings) > 0:
		status = strings.Join(r.Warnings, "; ")
	}
	if p.quiet {
		if r.Error != "" {
			fmt.Fprintf(p.w, "%s: %s\n", what, status)
		}
		return
	}
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s: %s\n", e.Done, e.Total, what, status)
		return
	}
	const width = 30
	fill := width * e.Done / max(1, e.Total)
	line := fmt.Sprintf("\r\033[K[%s%s] %d/%d %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), e.Done, e.Total, what)
	if r.Error != "" || len(r.Warnings) > 0 {
		// Problems stay on screen; the bar redraws below them.
		fmt.Fprintf(p.w, "\r\033[K%s: %s\n", what, status)
	}
	fmt.Fprint(p.w, line)
	p.drawn = true
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
