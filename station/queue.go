package station

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// queue is the station's memory, one bbolt file: which dossier each
// sub-folder became, and for each page file its hash, position and how
// far its upload got. Every step is committed (and synced) before the
// next begins, so that after a crash, a reboot or a power cut the agent
// goes on from the last step done and never gives a position twice.
type queue struct {
	db *bolt.DB
}

var (
	foldersBucket = []byte("folders")
	filesBucket   = []byte("files")
	sumsBucket    = []byte("sums")
)

// File states, in the order a page goes through them.
const (
	stateQueued    = "queued"    // hashed and given a position
	stateStaged    = "staged"    // the service holds the bytes
	stateConfirmed = "confirmed" // a page of the dossier
	// A file holding the same bytes as another of its folder: a scan
	// dropped twice. It gets no position and is never sent.
	stateDuplicate = "duplicate"
	// A file the service refused for good (not a readable scan, too
	// large): reported, and it holds back the folder's submission until
	// it is removed.
	stateRefused = "refused"
)

// errSubmitted: a file arrived in a folder whose dossier was submitted.
var errSubmitted = errors.New("the folder's dossier was submitted")

// folderRec is a sub-folder of the watched folder and its dossier.
type folderRec struct {
	Name string `json:"name"`
	Code string `json:"code"`
	// Next is the position the next page file gets.
	Next      int  `json:"next"`
	Submitted bool `json:"submitted"`
	// Final: the dossier was seen signed, delivered or failed; the agent
	// stops following it.
	Final  bool   `json:"final"`
	Status string `json:"status,omitempty"`
	// Shown are the page warnings already printed, "position:warning".
	Shown []string `json:"shown,omitempty"`
}

// fileRec is one page file of a folder.
type fileRec struct {
	Folder      string    `json:"folder"`
	Name        string    `json:"name"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ModTime     time.Time `json:"mod_time"`
	ContentType string    `json:"content_type"`
	Position    int       `json:"position,omitempty"`
	State       string    `json:"state"`
	DuplicateOf string    `json:"duplicate_of,omitempty"`
	Error       string    `json:"error,omitempty"`
	// A multipart upload under way: what the service needs to tell which
	// parts it holds, after a restart.
	UploadKey string `json:"upload_key,omitempty"`
	UploadID  string `json:"upload_id,omitempty"`
}

func openQueue(path string) (*queue, error) {
	// A second agent on the same file would give the same positions
	// twice; bbolt's lock refuses it, after a short wait.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open queue %s: another station agent is using it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{foldersBucket, filesBucket, sumsBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	return &queue{db: db}, nil
}

func (q *queue) Close() error { return q.db.Close() }

func fileKey(folder, name string) []byte { return []byte(folder + "\x00" + name) }

func get[T any](b *bolt.Bucket, key []byte) (T, bool, error) {
	var v T
	raw := b.Get(key)
	if raw == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("queue record %q: %w", key, err)
	}
	return v, true, nil
}

func put(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// folder returns the record of a sub-folder, if there is one.
func (q *queue) folder(name string) (f folderRec, ok bool, err error) {
	err = q.db.View(func(tx *bolt.Tx) error {
		f, ok, err = get[folderRec](tx.Bucket(foldersBucket), []byte(name))
		return err
	})
	return f, ok, err
}

// updateFolder changes a folder's record in one transaction, making it
// when there is none. The folder watcher and the sender both change
// records; each changes only what it read in the same transaction, so
// neither undoes the other's work (a position given, a submission).
func (q *queue) updateFolder(name string, change func(*folderRec) error) (folderRec, error) {
	var f folderRec
	err := q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(foldersBucket)
		cur, ok, err := get[folderRec](b, []byte(name))
		if err != nil {
			return err
		}
		if !ok {
			cur = folderRec{Name: name, Next: 1}
		}
		if err := change(&cur); err != nil {
			return err
		}
		f = cur
		return put(b, []byte(name), cur)
	})
	return f, err
}

// file returns the record of a page file, if it was queued.
func (q *queue) file(folder, name string) (f fileRec, ok bool, err error) {
	err = q.db.View(func(tx *bolt.Tx) error {
		f, ok, err = get[fileRec](tx.Bucket(filesBucket), fileKey(folder, name))
		return err
	})
	return f, ok, err
}

func (q *queue) putFile(f fileRec) error {
	return q.db.Update(func(tx *bolt.Tx) error { return put(tx.Bucket(filesBucket), fileKey(f.Folder, f.Name), f) })
}

// files lists a folder's page files in position order, duplicates and
// refused files (position 0 or not) after the pages.
func (q *queue) files(folder string) ([]fileRec, error) {
	var out []fileRec
	prefix := fileKey(folder, "")
	err := q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(filesBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var f fileRec
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("queue record %q: %w", k, err)
			}
			out = append(out, f)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b fileRec) int {
		pa, pb := a.Position, b.Position
		if pa == 0 {
			pa = 1 << 30
		}
		if pb == 0 {
			pb = 1 << 30
		}
		return pa - pb
	})
	return out, err
}

// enqueue records a stable page file of a folder in one transaction: the
// next position of the folder, or, when the folder already holds a file
// with the same bytes, a duplicate of it.
func (q *queue) enqueue(f fileRec) (fileRec, error) {
	err := q.db.Update(func(tx *bolt.Tx) error {
		folders, files, sums := tx.Bucket(foldersBucket), tx.Bucket(filesBucket), tx.Bucket(sumsBucket)
		fr, ok, err := get[folderRec](folders, []byte(f.Folder))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("enqueue %s/%s: folder not in the queue", f.Folder, f.Name)
		}
		if fr.Submitted {
			return errSubmitted
		}
		sumKey := fileKey(f.Folder, f.SHA256)
		if first := sums.Get(sumKey); first != nil {
			f.State, f.DuplicateOf = stateDuplicate, string(first)
			return put(files, fileKey(f.Folder, f.Name), f)
		}
		if fr.Next < 1 {
			fr.Next = 1
		}
		f.Position, f.State = fr.Next, stateQueued
		fr.Next++
		if err := sums.Put(sumKey, []byte(f.Name)); err != nil {
			return err
		}
		if err := put(folders, []byte(fr.Name), fr); err != nil {
			return err
		}
		return put(files, fileKey(f.Folder, f.Name), f)
	})
	return f, err
}
