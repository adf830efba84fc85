package workers

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
)

// grayFrames is an uncompressed 8-bit gray TIFF of n w×h frames at 300
// dpi, one IFD per frame as scanners write them; frame i carries a dark
// bar i pixels longer than the one before, so no two are alike.
func grayFrames(n, w, h int) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	for i := range n {
		const entries = 11
		ifd := len(b)
		pix := ifd + 2 + 12*entries + 4
		res := pix + w*h
		next := uint32(res + 8)
		if i == n-1 {
			next = 0
		}
		b = le.AppendUint16(b, entries)
		for _, e := range [entries][3]uint32{
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, uint32(pix)}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
			{282, 5, uint32(res)}, {296, 3, 2},
		} {
			b = le.AppendUint16(b, uint16(e[0]))
			b = le.AppendUint16(b, uint16(e[1]))
			b = le.AppendUint32(b, 1)
			b = le.AppendUint32(b, e[2])
		}
		b = le.AppendUint32(b, next)
		for y := range h {
			for x := range w {
				v := byte(235)
				if y >= h/3 && y < h/3+h/8 && x >= w/10 && x < w/10+w/3+i {
					v = 25
				}
				b = append(b, v)
			}
		}
		b = le.AppendUint32(b, 300) // XResolution 300/1
		b = le.AppendUint32(b, 1)
	}
	return b
}

// countingStore counts the frame results and images a worker stores, and
// cancels its task's context once cancelAfter frame results are in: a
// task stopped part-way through a file (shutdown, timeout).
type countingStore struct {
	storage.Store
	mu             sync.Mutex
	frames, images int
	cancelAfter    int
	cancel         context.CancelFunc
}

func (s *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64, sum string) error {
	if err := s.Store.Put(ctx, key, r, size, sum); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasSuffix(key, ".img"):
		s.images++
	case strings.Contains(key, "-p") && strings.HasSuffix(key, ".json"):
		s.frames++
		if s.frames == s.cancelAfter && s.cancel != nil {
			s.cancel()
		}
	}
	return nil
}

func (s *countingStore) reset(cancelAfter int, cancel context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames, s.images, s.cancelAfter, s.cancel = 0, 0, cancelAfter, cancel
}

// pageWorker is a worker with one OCR engine and a local store holding
// one original, enough to run its page stage without queue or catalog.
func pageWorker(t *testing.T, eng *ocr.Engine, original []byte) (*Worker, *countingStore, catalog.Page) {
	t.Helper()
	st, err := local.Open(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex(original)
	okey, err := storage.OriginalKey(sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), okey, bytes.NewReader(original), int64(len(original)), sum); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	w := &Worker{cfg: Config{Store: cs, Lang: pipeline.DefaultLang, MaxPixels: scan.DefaultMaxPixels},
		engines: make(chan *ocr.Engine, 1), digest: resultDigest("test settings\n"),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w.engines <- eng
	return w, cs, catalog.Page{Position: 1, OriginalKey: okey, SHA256: sum}
}

// TestPageFramesResume: a file of many frames is processed and stored a
// frame at a time (issue 9, finding B: one "page" of 5000 TIFF frames
// grew a worker by 0.7 GB and ignored cancellation). A task cancelled
// after a few frames returns context.Canceled with those frames stored
// and no more; its retry processes only the frames missing, and the
// result is the one an uninterrupted run stores.
func TestPageFramesResume(t *testing.T) {
	const frames, cancelAfter = 40, 3
	tif := grayFrames(frames, 160, 120)
	eng, err := ocr.NewEngine(pipeline.DefaultLang)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	w, cs, pg := pageWorker(t, eng, tif)
	key := storage.PageResultKey(pg.SHA256, w.digest)
	framesStored := func() int {
		n := 0
		for i := 1; i <= frames; i++ {
			_, err := cs.Stat(context.Background(), storage.PageFrameKey(pg.SHA256, w.digest, i))
			switch {
			case err == nil:
				n++
			case !errors.Is(err, storage.ErrNotFound):
				t.Fatal(err)
			}
		}
		return n
	}

	// Cancelled before it starts: no engine taken, nothing stored.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := w.processPage(ctx, pg, map[string]any{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled task: got %v, want context.Canceled", err)
	}
	if n := framesStored(); n != 0 || len(w.engines) != 1 {
		t.Fatalf("cancelled task stored %d frames, engines free %d; want 0, 1", n, len(w.engines))
	}

	// Cancelled once cancelAfter frames are stored.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cs.reset(cancelAfter, cancel)
	if _, _, err := w.processPage(ctx, pg, map[string]any{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("task cancelled after %d frames: got %v, want context.Canceled", cancelAfter, err)
	}
	if n := framesStored(); n != cancelAfter {
		t.Fatalf("%d of %d frames stored after cancellation, want the %d done before it", n, frames, cancelAfter)
	}
	if _, err := cs.Stat(context.Background(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("whole result stored by a cancelled task: %v", err)
	}
	if len(w.engines) != 1 {
		t.Fatal("engine not given back after cancellation")
	}

	// The retry resumes: only the missing frames are processed.
	cs.reset(0, nil)
	detail := map[string]any{}
	sum, _, err := w.processPage(context.Background(), pg, detail)
	if err != nil {
		t.Fatal(err)
	}
	if cs.frames != frames-cancelAfter || cs.images != frames-cancelAfter || detail["frames_reused"] != cancelAfter {
		t.Errorf("retry processed %d frames (%d images), reused %v; want %d processed, %d reused",
			cs.frames, cs.images, detail["frames_reused"], frames-cancelAfter, cancelAfter)
	}
	res, err := w.readResult(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pages) != frames {
		t.Fatalf("result has %d pages, want %d", len(res.Pages), frames)
	}
	for i, rp := range res.Pages {
		if rp.Report.SourcePage != i+1 || rp.ImageKey != storage.PageImageKey(pg.SHA256, w.digest, i+1) {
			t.Fatalf("result page %d is frame %d, image %s", i+1, rp.Report.SourcePage, rp.ImageKey)
		}
	}
	if n := framesStored(); n != 0 {
		t.Errorf("%d frame results left once the whole result is stored", n)
	}

	// One uninterrupted run stores the same result.
	w2, _, _ := pageWorker(t, eng, tif)
	sum2, _, err := w2.processPage(context.Background(), pg, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if sum2 != sum {
		t.Errorf("resumed result %s differs from an uninterrupted run's %s", sum, sum2)
	}
}
