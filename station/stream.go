package station

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The watched folder's own page files (not in a sub-folder) are a stream:
// a scanner fed a stack of dossiers, each behind its separator sheet,
// writes them there one after another. The agent sorts the stream into
// sub-folders, one per dossier code, named after the code so that they
// join the dossier; from there they go as any folder's pages. Sorting by
// moving the files keeps one way of sending pages, and shows the
// operator in the folder itself where each page went.

// SheetsFolder keeps the separator sheets the agent has read, out of the
// way (a dot folder is not a dossier), in case one was read wrongly.
const SheetsFolder = ".sohoa-sheets"

// streamRec is where the stream stands, kept in the queue so that a
// restart does not forget which dossier the next page belongs to.
type streamRec struct {
	// Code is the dossier the next page goes to: "" before the first
	// sheet and after an end sheet.
	Code string `json:"code,omitempty"`
	// Seq numbers the files sorted, for their names in the dossier's
	// folder: the stream's order survives a scanner that starts its
	// numbering again.
	Seq int `json:"seq"`
	// Unsorted are pages that came with no sheet before them; they stay
	// where they are until the operator moves them.
	Unsorted []string `json:"unsorted,omitempty"`
}

var streamBucket = []byte("stream")

func (q *queue) stream() (s streamRec, err error) {
	err = q.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(streamBucket)
		if err != nil {
			return err
		}
		s, _, err = get[streamRec](b, streamBucket)
		return err
	})
	return s, err
}

func (q *queue) putStream(s streamRec) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(streamBucket)
		if err != nil {
			return err
		}
		return put(b, streamBucket, s)
	})
}

// sortStream moves the stream's finished files, in order, into their
// dossiers' folders, reading the separator sheets among them. It stops at
// the first file the scanner is still writing, so that no page overtakes
// the sheet before it. Each step is recorded before the file moves: a
// crash repeats at most the step under way, which does the same again.
func (a *agent) sortStream() error {
	files, err := pageFiles(a.cfg.Watch)
	if err != nil || len(files) == 0 {
		return nil // said by subfolders
	}
	st, err := a.q.stream()
	if err != nil {
		return err
	}
	// Forget the unsorted pages the operator has moved away.
	if n := len(st.Unsorted); n > 0 {
		st.Unsorted = slices.DeleteFunc(st.Unsorted, func(name string) bool {
			return !slices.ContainsFunc(files, func(e os.DirEntry) bool { return e.Name() == name })
		})
		if len(st.Unsorted) != n {
			if err := a.q.putStream(st); err != nil {
				return err
			}
		}
	}
	now := time.Now()
	blocked := false
	for _, e := range files {
		if slices.Contains(st.Unsorted, e.Name()) {
			continue
		}
		path := filepath.Join(a.cfg.Watch, e.Name())
		info, err := os.Stat(path)
		// Every file is watched on every pass, as in a folder.
		if err != nil || !a.stable.stable(path, info, now) || blocked {
			blocked = true
			continue
		}
		if s, ok := readSheet(path); ok {
			if err := a.sheet(&st, s, path); err != nil {
				a.once("sheet:"+path, "%s: %v", e.Name(), err)
				blocked = true
			}
			delete(a.stable.files, path)
			continue
		}
		if st.Code == "" {
			st.Unsorted = append(st.Unsorted, e.Name())
			if err := a.q.putStream(st); err != nil {
				return err
			}
			a.say("%s: no separator sheet before it: left in the folder; put it into a dossier's folder, or scan it again after a sheet",
				e.Name())
			delete(a.stable.files, path)
			continue
		}
		st.Seq++
		if err := a.q.putStream(st); err != nil {
			return err
		}
		dir := filepath.Join(a.cfg.Watch, st.Code)
		name := fmt.Sprintf("%06d-%s", st.Seq, e.Name())
		err = os.MkdirAll(dir, 0o755)
		if err == nil {
			err = os.Rename(path, filepath.Join(dir, name))
		}
		if err != nil {
			a.once("move:"+path, "%s: cannot move it into %s: %v", e.Name(), st.Code, err)
			blocked = true // locked by the scanner on Windows: next pass
			continue
		}
		delete(a.stable.files, path)
		// Already settled: the folder takes it on its next pass.
		a.stable.files[filepath.Join(dir, name)] = seen{size: info.Size(), mtime: info.ModTime(), since: now.Add(-a.cfg.Settle)}
		a.say("%s: %s sorted in as %s", st.Code, e.Name(), name)
	}
	return nil
}

// sheet acts on a separator sheet read in the stream: the pages after
// a sheet go to its dossier; an end sheet marks its dossier for
// submission, as a SUBMIT file would. The sheet itself is put aside.
func (a *agent) sheet(st *streamRec, s Sheet, path string) error {
	dir := filepath.Join(a.cfg.Watch, s.Code)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%v: %w", s, err)
	}
	if s.Submit {
		if err := os.WriteFile(filepath.Join(dir, SubmitMarker), nil, 0o644); err != nil {
			return fmt.Errorf("%v: %w", s, err)
		}
		if st.Code != "" && st.Code != s.Code {
			a.say("%s: %v, while the pages were going to %s: %s is left open", filepath.Base(path), s, st.Code, st.Code)
		}
		st.Code = ""
		a.say("%s: %v: submitted once its pages are sent", filepath.Base(path), s)
	} else {
		st.Code = s.Code
		a.say("%s: %v: the pages after it go to %s", filepath.Base(path), s, s.Code)
	}
	st.Seq++
	if err := a.q.putStream(*st); err != nil {
		return err
	}
	aside := filepath.Join(a.cfg.Watch, SheetsFolder)
	if err := os.MkdirAll(aside, 0o755); err != nil {
		return fmt.Errorf("%v: %w", s, err)
	}
	if err := os.Rename(path, filepath.Join(aside, fmt.Sprintf("%06d-%s", st.Seq, filepath.Base(path)))); err != nil {
		return fmt.Errorf("%v: put it aside: %w", s, err)
	}
	return nil
}
