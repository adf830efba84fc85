// Package station is the agent on a scanner PC (`sohoa station`, or the
// stand-alone sohoa-station binary): the first step of the flow, before
// `sohoa serve`. It watches the folder the scanner software writes to,
// takes each page file once the scanner has finished writing it, and
// sends it through the station API: one sub-folder is one dossier, its
// files the pages in name order. Pages written into the watched folder
// itself are a stream cut into dossiers by separator sheets, printed
// pages whose QR code names the dossier (sheet.go, stream.go). A SUBMIT
// file in the sub-folder, or an end sheet, hands the dossier to the
// workers; the agent then shows the page warnings the
// workers find (blank, blurred, low resolution, upside down) and the
// dossier's end.
//
// Everything the agent has done is in one bbolt file (the queue), so that
// it can be killed, rebooted or left offline for hours and go on where it
// stopped, without sending a page twice or changing the page order. The
// package is pure Go: it builds for Windows without cgo.
package station

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Config is the agent's configuration (flags or a config file, see
// Command).
type Config struct {
	// Server is the sohoa API's base URL, e.g. https://sohoa.example.vn.
	Server string
	// Token is an API token of role operator.
	Token string
	// Watch is the folder the scanner writes to; each sub-folder is a
	// dossier.
	Watch string
	// DB is the queue file.
	DB string
	// Procedure and Queue are given to the dossiers the agent creates.
	Procedure, Queue string
	// Settle is how long a file must stay unchanged before it is taken.
	Settle time.Duration
	// Poll is how often the folder is looked at.
	Poll time.Duration
	// MultipartAbove: larger files go in resumable parts, where the
	// service's storage takes them.
	MultipartAbove int64
	// SubmitIdle submits a folder that got no new page for this long and
	// has every page sent; 0 submits only on a SUBMIT file.
	SubmitIdle time.Duration
	// MinBackoff and MaxBackoff bound the waits between retries while
	// the link or the service is down.
	MinBackoff, MaxBackoff time.Duration
	// Out is where progress and warnings go.
	Out io.Writer
	// Keys, when set, is what the operator types at the agent's terminal
	// (keys.go): Enter submits the dossier being filled.
	Keys io.Reader
}

// SubmitMarker is the file an operator (or the scanner's last profile
// step) puts into a sub-folder when the dossier is complete.
const SubmitMarker = "SUBMIT"

// JoinFile names, inside a sub-folder, an existing dossier's code the
// folder's pages are added to.
const JoinFile = "dossier.txt"

func (c *Config) validate() error {
	u, err := url.Parse(c.Server)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("server %q: want an http or https URL", c.Server)
	case c.Token == "":
		return errors.New("token: an API token of role operator is required")
	case c.Watch == "":
		return errors.New("watch: the scanner's output folder is required")
	case c.DB == "":
		return errors.New("db: the queue file is required")
	case c.Procedure == "" || len(c.Procedure) > 64:
		return errors.New("procedure: the procedure (TTHC) code of new dossiers is required, at most 64 bytes")
	case c.Queue != "" && c.Queue != "desk" && c.Queue != "bulk":
		return fmt.Errorf("queue %q: want desk or bulk", c.Queue)
	case c.Settle <= 0 || c.Poll <= 0:
		return errors.New("settle and poll: want durations above zero")
	}
	if info, err := os.Stat(c.Watch); err != nil || !info.IsDir() {
		return fmt.Errorf("watch %s: not a folder", c.Watch)
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(c.MinBackoff, time.Minute)
	}
	if c.MultipartAbove <= 0 {
		c.MultipartAbove = 16 << 20
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	return nil
}

// agent is one running station: a watcher that queues the page files
// the scanner finishes, which needs no network, and a sender that moves
// the queue to the service, which may wait hours for it. They share only
// the queue file and what is said.
type agent struct {
	cfg Config
	q   *queue
	c   *client
	// stable is the watcher's.
	stable stability
	// held are folders the sender cannot go on with, and why, said once;
	// forgotten on restart, so a fixed folder is tried again.
	held map[string]string
	// singlePut: the service's storage takes no multipart uploads.
	singlePut bool

	mu sync.Mutex
	// lastPage is when each folder last got a page, for SubmitIdle.
	lastPage map[string]time.Time
	// told are messages already printed that would repeat every pass.
	told map[string]bool
}

// Run watches cfg.Watch until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	q, err := openQueue(cfg.DB)
	if err != nil {
		return err
	}
	defer q.Close()
	a := &agent{cfg: cfg, q: q, stable: stability{settle: cfg.Settle, files: map[string]seen{}},
		held: map[string]string{}, lastPage: map[string]time.Time{}, told: map[string]bool{}}
	a.c = &client{base: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, hc: newHTTPClient(),
		minWait: cfg.MinBackoff, maxWait: cfg.MaxBackoff, say: a.say}
	a.say("watching %s, queue %s, server %s", cfg.Watch, cfg.DB, cfg.Server)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Keys != nil {
		go a.keys(ctx, cfg.Keys)
	}
	errs := make(chan error, 2)
	for _, loop := range []func(context.Context) error{a.watchPass, a.sendPass} {
		go func() {
			err := a.every(ctx, loop)
			cancel()
			errs <- err
		}()
	}
	return errors.Join(<-errs, <-errs)
}

// every runs pass every Poll until ctx ends. Only a failure of the queue
// file ends it; what the service refuses holds the file or folder
// concerned and is said.
func (a *agent) every(ctx context.Context, pass func(context.Context) error) error {
	for {
		if err := pass(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(a.cfg.Poll):
		}
	}
}

func (a *agent) say(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.cfg.Out, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// once says something the first time only.
func (a *agent) once(key, format string, args ...any) {
	a.mu.Lock()
	told := a.told[key]
	a.told[key] = true
	a.mu.Unlock()
	if !told {
		a.say(format, args...)
	}
}

// subfolders lists the watched folder's sub-folders.
func (a *agent) subfolders() []string {
	ents, err := os.ReadDir(a.cfg.Watch)
	if err != nil {
		a.once("watch", "cannot read %s: %v", a.cfg.Watch, err)
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// watchPass sorts the stream of pages in the watched folder itself into
// their dossiers' folders, then queues the page files the scanner
// finished in every folder.
// A folder that joins an existing dossier waits for the sender to learn
// the dossier's pages, since its positions follow them.
func (a *agent) watchPass(ctx context.Context) error {
	if err := a.sortStream(); err != nil {
		return err
	}
	for _, name := range a.subfolders() {
		if ctx.Err() != nil {
			return nil
		}
		f, ok, err := a.q.folder(name)
		if err != nil {
			return err
		}
		if !ok && a.joinCode(name) != "" {
			continue
		}
		if f.Submitted {
			if err := a.stray(f); err != nil {
				return err
			}
			continue
		}
		if err := a.take(name); err != nil {
			return err
		}
	}
	return nil
}

// sendPass moves every folder's queue on to the service.
func (a *agent) sendPass(ctx context.Context) error {
	for _, name := range a.subfolders() {
		if ctx.Err() != nil {
			return nil
		}
		if err := a.folder(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// errHeld: the folder cannot go on for now; the reason was said.
var errHeld = errors.New("folder held")

// folder moves one sub-folder on: its dossier, the uploads of its queued
// pages in order, its submission, and then the dossier's progress.
func (a *agent) folder(ctx context.Context, name string) error {
	if why, ok := a.held[name]; ok {
		a.once("held:"+name+why, "%s: held: %s", name, why)
		return nil
	}
	f, ok, err := a.q.folder(name)
	if err != nil {
		return err
	}
	if !ok && a.joinCode(name) == "" || f.Final {
		return nil // nothing queued yet, or done
	}
	if f.Code == "" {
		if f, err = a.dossier(ctx, name); errors.Is(err, errHeld) || ctx.Err() != nil {
			return nil
		} else if err != nil {
			return err
		}
	}
	if f.Submitted {
		return a.follow(ctx, f)
	}
	if err := a.send(ctx, f); errors.Is(err, errHeld) || ctx.Err() != nil {
		return nil
	} else if err != nil {
		return err
	}
	return a.submit(ctx, f)
}

// stray says, once each, which page files arrived in a folder after its
// dossier was submitted: they are not sent, since a submitted dossier
// takes no pages.
func (a *agent) stray(f folderRec) error {
	files, err := pageFiles(filepath.Join(a.cfg.Watch, f.Name))
	if err != nil {
		return nil
	}
	for _, e := range files {
		r, ok, err := a.q.file(f.Name, e.Name())
		if err != nil {
			return err
		}
		// Queued but not sent: it arrived while the dossier was being
		// submitted.
		if !ok || r.State == stateQueued || r.State == stateStaged {
			a.once("stray:"+f.Name+"/"+e.Name(), "%s: %s arrived after the dossier was submitted: not sent; scan it into a new folder",
				f.label(), e.Name())
		}
	}
	return nil
}

// label names a folder in what is said: its dossier's code once known.
func (f folderRec) label() string {
	if f.Code != "" {
		return f.Code
	}
	return f.Name
}

// codePattern is a dossier code as the service gives them out:
// OFFICE-YYMMDD-NNNN.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9.]+-[0-9]{6}-[0-9]{4}$`)

// joinCode is the existing dossier a folder adds pages to: the code in
// its dossier.txt, or its own name when that is a code; "" when neither.
func (a *agent) joinCode(name string) string {
	if b, err := os.ReadFile(filepath.Join(a.cfg.Watch, name, JoinFile)); err == nil {
		return strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff"))
	}
	if codePattern.MatchString(name) {
		return name
	}
	return ""
}

// dossierJSON is the part of the service's dossier the agent reads.
type dossierJSON struct {
	Code   string `json:"code"`
	Status string `json:"status"`
	Pages  []struct {
		Position int      `json:"position"`
		SHA256   string   `json:"sha256"`
		Status   string   `json:"status"`
		Warnings []string `json:"warnings"`
		Error    string   `json:"error"`
	} `json:"pages"`
	Failure map[string]any `json:"failure"`
}

// dossier gives a folder its dossier: the existing one it names, or a
// new one. A joining folder is recorded only now, with the position after
// the dossier's last page; a new dossier's folder may have been queuing
// pages for hours, offline.
func (a *agent) dossier(ctx context.Context, name string) (folderRec, error) {
	var d dossierJSON
	next := 1
	if code := a.joinCode(name); code != "" {
		err := a.c.call(ctx, "get dossier "+code, http.MethodGet, "/v1/dossiers/"+url.PathEscape(code), nil, &d)
		if err != nil {
			a.held[name] = err.Error()
			return folderRec{}, errHeld
		}
		if d.Status != "created" && d.Status != "uploading" {
			a.held[name] = fmt.Sprintf("dossier %s is %s: it takes no more pages", code, d.Status)
			return folderRec{}, errHeld
		}
		for _, p := range d.Pages {
			next = max(next, p.Position+1)
		}
		a.say("%s: adding pages to dossier %s from page %d", name, d.Code, next)
	} else {
		// Killed between the service's answer and the write below, the
		// agent creates another, empty dossier on restart: the window
		// is one disk write, and the service offers no way to ask
		// which dossier a request created.
		body := map[string]any{"procedure": a.cfg.Procedure, "queue": a.cfg.Queue}
		if err := a.c.call(ctx, "create dossier for "+name, http.MethodPost, "/v1/dossiers", body, &d); err != nil {
			a.held[name] = err.Error()
			return folderRec{}, errHeld
		}
		a.say("%s: new dossier %s", name, d.Code)
	}
	return a.q.updateFolder(name, func(f *folderRec) error {
		f.Code, f.Next = d.Code, max(f.Next, next)
		return nil
	})
}

// take queues the folder's new page files that the scanner has finished,
// in name order, stopping at the first it is still writing so that a
// page never overtakes the one before it.
func (a *agent) take(name string) error {
	dir := filepath.Join(a.cfg.Watch, name)
	files, err := pageFiles(dir)
	if err != nil {
		a.once("read:"+dir, "%s: %v", name, err)
		return nil
	}
	f, known, err := a.q.folder(name)
	if err != nil {
		return err
	}
	now := time.Now()
	blocked := false
	for _, e := range files {
		if _, ok, err := a.q.file(name, e.Name()); err != nil {
			return err
		} else if ok {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path)
		// Every file is watched on every pass, so that a folder of many
		// finished scans settles at once, not one file after another.
		if err != nil || !a.stable.stable(path, info, now) || blocked {
			blocked = true
			continue
		}
		sum, size, err := hashFile(path)
		if err != nil {
			blocked = true // gone or locked meanwhile: next pass
			continue
		}
		if !known {
			// The folder's record, made with its first page.
			if f, err = a.q.updateFolder(name, func(*folderRec) error { return nil }); err != nil {
				return err
			}
			known = true
		}
		r, err := a.q.enqueue(fileRec{Folder: name, Name: e.Name(), SHA256: sum, Size: size, ModTime: info.ModTime(),
			ContentType: contentTypes[strings.ToLower(filepath.Ext(e.Name()))]})
		if errors.Is(err, errSubmitted) {
			return nil // said by stray on the next pass
		}
		if err != nil {
			return err
		}
		delete(a.stable.files, path)
		a.mu.Lock()
		a.lastPage[name] = now
		a.mu.Unlock()
		if r.State == stateDuplicate {
			a.say("%s: %s is the same scan as %s: not sent again", f.label(), r.Name, r.DuplicateOf)
		} else {
			a.say("%s: %s queued as page %d", f.label(), r.Name, r.Position)
		}
	}
	return nil
}
