// Package workers runs the pipeline as a service: asynq task handlers that
// take a submitted dossier's pages from storage through the page stages,
// assemble the dossier PDF once all of them are done (reading its
// documents' metadata and checking the people they name against the
// population register on the way), and sign it; and that ask the register
// again about dossiers it could not answer for. The tasks and the client
// that queues them are package queue's.
//
// The catalog (PostgreSQL) is the truth about what has been done; the
// queue (Redis) only says what to do next. Every handler therefore starts
// by asking the catalog where the dossier stands, does nothing when its
// work is already recorded, writes its result under a key derived from
// its input's hash (so doing it twice writes the same object), and makes
// its work the dossier's with one forward status move that only one
// worker can win. A task delivered twice, retried after a crash, or
// re-queued by the reconciler after Redis lost its queues is harmless.
package workers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/storage"
)

// Config is what a worker process needs.
type Config struct {
	Store   storage.Store
	Catalog *catalog.Catalog
	Redis   asynq.RedisConnOpt
	Signer  *sign.Signer

	// Name identifies this worker in the catalog's events ("worker host:pid").
	Name string
	// Concurrency is how many tasks run at once, each with its own OCR
	// engine; one per core is right for OCR.
	Concurrency int
	// Queues maps queue name to weight: desk work is served more often than
	// bulk back-file work, without starving it. The queue of finishing
	// tasks (queue.QueueFinish) is served too, whether named or not, and
	// unless given a weight, a hundred times as often as all the others
	// together (asynq tries the queues in an order drawn by weight; there
	// is no strict order for one queue alone).
	Queues map[string]int
	// MaxRetry bounds retries of a failing task (queue.DefaultMaxRetry
	// when 0).
	MaxRetry int
	// RetryDelay is the delay before the first retry, doubling after
	// (default 10 s, at most 10 min).
	RetryDelay time.Duration
	// ShutdownTimeout is how long, on SIGTERM, running tasks get to finish
	// before they are handed back to the queue (default 60 s).
	ShutdownTimeout time.Duration
	// ReconcileEvery is how often the worker re-queues work the catalog
	// says is undone but that no task may carry any more (Redis restarted
	// without persistence); ReconcileQuiet is how long a dossier must have
	// been unchanged to count (defaults 1 min and 2 min).
	ReconcileEvery, ReconcileQuiet time.Duration

	// Register is the population register the reconcile stage checks
	// the people of each dossier against, and who asks (the dossier's own
	// procedure replaces Caller.Procedure); nil: extract only.
	// RegisterRetry is how long a dossier the register could not answer
	// for waits before it is asked again, doubling with each try up to an
	// hour (default 1 min).
	Register      *pipeline.Register
	RegisterRetry time.Duration

	// Pipeline options, the same as sohoa ingest's.
	Lang      string
	OCRDPI    int
	MaxPixels int64
	Skip      []string // steps not to run (pipeline.Steps)
	Images    string   // pipeline.ImagesCompact (also "") or ImagesOriginal

	Log *slog.Logger
}

// DefaultQueues serves desk work six times as often as bulk work.
var DefaultQueues = map[string]int{catalog.QueueDesk: 6, catalog.QueueBulk: 1}

// withFinish returns qs with queue.QueueFinish added, where it is not
// there, at a hundred times the others' weight together: a dossier's
// assembly and signing take a second or two and go before any page
// waiting. asynq draws the order it tries the queues in by weight, so a
// page still goes first about 1 time in 100 while a finishing task waits.
func withFinish(qs map[string]int) map[string]int {
	out := make(map[string]int, len(qs)+1)
	sum := 0
	for q, w := range qs {
		out[q] = w
		sum += w
	}
	if _, ok := out[queue.QueueFinish]; !ok {
		out[queue.QueueFinish] = 100 * max(sum, 1)
	}
	return out
}

// Worker handles sohoa's tasks.
type Worker struct {
	cfg   Config
	queue *queue.Client
	// inspector and rescuer find and queue again the tasks of workers
	// that died (rescue.go).
	inspector *asynq.Inspector
	rescuer   *asynq.Client
	engines   chan *ocr.Engine
	all       []*ocr.Engine
	tools     pipeline.Tools
	digest    string // what, beside the original, decides a page result (resultDigest)
	log       *slog.Logger
}

// New checks the configuration and loads one OCR engine per concurrent
// task, so a broken model fails the start, not the first page.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Redis == nil {
		return nil, errors.New("worker: store, catalog and Redis are required")
	}
	if cfg.Signer == nil {
		return nil, errors.New("worker: a signing key is required: dossiers leave as signed PDF/A")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if len(cfg.Queues) == 0 {
		cfg.Queues = DefaultQueues
	}
	cfg.Queues = withFinish(cfg.Queues)
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = queue.DefaultMaxRetry
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 10 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = time.Minute
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = time.Minute
	}
	if cfg.ReconcileQuiet <= 0 {
		cfg.ReconcileQuiet = 2 * time.Minute
	}
	if cfg.RegisterRetry <= 0 {
		cfg.RegisterRetry = time.Minute
	}
	if cfg.Lang == "" {
		cfg.Lang = pipeline.DefaultLang
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = scan.DefaultMaxPixels
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("worker %s:%d", host, os.Getpid())
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	tools, err := pipeline.ToolVersions(cfg.Lang)
	if err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, queue: queue.NewClient(cfg.Redis, cfg.MaxRetry), tools: tools, log: cfg.Log,
		inspector: asynq.NewInspector(cfg.Redis), rescuer: asynq.NewClient(cfg.Redis),
		engines: make(chan *ocr.Engine, cfg.Concurrency)}
	var s strings.Builder
	fmt.Fprintf(&s, "sohoa %s\ntesseract %s\nlang %s\nocr-dpi %d\nmax-pixels %d\n",
		tools.Sohoa, tools.Tesseract, cfg.Lang, cfg.OCRDPI, cfg.MaxPixels)
	if cfg.Images == pipeline.ImagesOriginal { // compact, the default, adds nothing
		fmt.Fprintf(&s, "images %s\n", cfg.Images)
	}
	for _, m := range tools.Models {
		fmt.Fprintf(&s, "model %s\n", m.SHA256)
	}
	if len(cfg.Skip) > 0 { // the default runs every step and adds nothing
		skip := slices.Sorted(slices.Values(cfg.Skip))
		fmt.Fprintf(&s, "skip %s\n", strings.Join(skip, ","))
	}
	w.digest = resultDigest(s.String())
	for range cfg.Concurrency {
		eng, err := ocr.NewEngine(cfg.Lang)
		if err != nil {
			w.Close()
			return nil, err
		}
		w.all = append(w.all, eng)
		w.engines <- eng
	}
	return w, nil
}

// Close releases the OCR engines and the queue client.
func (w *Worker) Close() {
	for _, e := range w.all {
		e.Close()
	}
	w.queue.Close()
	w.inspector.Close()
	w.rescuer.Close()
}

// Run serves tasks until ctx is cancelled (SIGTERM), then stops taking
// new ones and gives running ones ShutdownTimeout to finish; a task still
// running then goes back to the queue for another worker.
func (w *Worker) Run(ctx context.Context) error {
	srv := asynq.NewServer(w.cfg.Redis, asynq.Config{
		Concurrency:     w.cfg.Concurrency,
		Queues:          w.cfg.Queues,
		ShutdownTimeout: w.cfg.ShutdownTimeout,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return min(w.cfg.RetryDelay<<min(n, 16), 10*time.Minute)
		},
		// A task that archives itself (SkipRetry) has recorded why in the
		// catalog; asynq need not count it against Redis health.
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			w.log.Warn("task failed", "task", id, "err", err)
		}),
		Logger:   slogAdapter{w.log},
		LogLevel: asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(queue.TypePage, w.handlePage)
	mux.HandleFunc(queue.TypeAssemble, w.handleAssemble)
	mux.HandleFunc(queue.TypeSign, w.handleSign)
	mux.HandleFunc(queue.TypeReconcile, w.handleReconcile)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	w.log.Info("worker started", "name", w.cfg.Name, "concurrency", w.cfg.Concurrency, "queues", w.cfg.Queues)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		w.reconcileLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		w.rescueLoop(ctx)
	}()
	<-ctx.Done()
	w.log.Info("worker shutting down: finishing running tasks", "timeout", w.cfg.ShutdownTimeout)
	srv.Shutdown()
	wg.Wait()
	return nil
}

// permanent tells input that can never succeed (a corrupt or unsupported
// scan, one over the pixel limit, an original whose bytes do not match
// its hash) from trouble that a retry may cure (storage, database).
func permanent(err error) bool {
	return errors.Is(err, scan.ErrCorrupt) || errors.Is(err, scan.ErrUnsupported) ||
		errors.Is(err, scan.ErrTooLarge) || errors.Is(err, storage.ErrHashMismatch)
}

// taskDossier decodes a task's payload into p and fetches the dossier it
// names (code reads it from p). A payload that does not decode, or names
// no dossier, can never succeed: it is archived (SkipRetry), not retried.
func (w *Worker) taskDossier(ctx context.Context, t *asynq.Task, p any, code func() string) (catalog.Dossier, error) {
	if err := json.Unmarshal(t.Payload(), p); err != nil {
		return catalog.Dossier{}, fmt.Errorf("%s task payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	d, err := w.cfg.Catalog.Get(ctx, code())
	if errors.Is(err, catalog.ErrNotFound) {
		return d, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return d, err
}

// options are the pipeline options this worker makes dossier code with.
func (w *Worker) options(code string) pipeline.Options {
	return pipeline.Options{Code: code, Lang: w.cfg.Lang, OCRDPI: w.cfg.OCRDPI, MaxPixels: w.cfg.MaxPixels, Skip: w.cfg.Skip,
		Images: w.cfg.Images}
}

// recordContext is for recording a failure: the task's own context may be
// what failed (its deadline passed), and the failure must still be written.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// lastAttempt reports whether a failure now is the task's last.
func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	max, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= max
}

func (w *Worker) handlePage(ctx context.Context, t *asynq.Task) error {
	var p queue.PageTask
	d, err := w.taskDossier(ctx, t, &p, func() string { return p.Dossier })
	if err != nil {
		return err
	}
	switch d.Status {
	case catalog.Submitted:
		err := w.cfg.Catalog.Move(ctx, d.Code, catalog.Submitted, catalog.Processing, w.cfg.Name, nil)
		if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
			return err
		}
	case catalog.Processing:
	default:
		return nil // assembled, failed or beyond: nothing left for a page task
	}
	pg, err := w.cfg.Catalog.Page(ctx, p.Dossier, p.Position)
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if pg.SHA256 != p.SHA256 || pg.Status != catalog.PageUploaded {
		// Done already, or a task for a scan since replaced.
		return w.assembleIfDone(ctx, d)
	}

	key := storage.PageResultKey(pg.SHA256, w.digest)
	detail := map[string]any{}
	warnings := []string{}
	info, err := w.cfg.Store.Stat(ctx, key)
	switch {
	case err == nil: // made by an earlier attempt that died before recording it
		detail["reused"] = true
		if res, err := w.readResult(ctx, key); err == nil {
			for _, p := range res.Pages {
				warnings = append(warnings, p.Report.Warnings...)
			}
		}
	case errors.Is(err, storage.ErrNotFound):
		info.SHA256, warnings, err = w.processPage(ctx, pg, detail)
		if err != nil {
			if permanent(err) || lastAttempt(ctx) {
				if ferr := w.failPage(ctx, d, pg, err); ferr != nil {
					return ferr
				}
			}
			if permanent(err) {
				return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
			}
			return err
		}
	default:
		return err
	}
	detail["result_sha256"] = info.SHA256
	err = w.cfg.Catalog.MovePageWith(ctx, d.Code, pg.Position, catalog.PageMove{
		Stage: pipeline.StageOCR, From: catalog.PageUploaded, To: catalog.PageProcessed,
		ResultKey: key, Warnings: warnings, Detail: detail}, w.cfg.Name)
	if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
		return err
	}
	if err == nil {
		w.log.Info("page read", "dossier", d.Code, "page", pg.Position, "sha256", pg.SHA256,
			"reused", detail["reused"] == true, "warnings", len(warnings))
	}
	return w.assembleIfDone(ctx, d)
}

// processPage runs the page stages on the stored original and stores the
// result (storage.PageResultKey), returning the result's SHA-256 and the
// pages' warnings. A file of several frames is taken one frame at a time,
// each frame's result stored (storage.PageFrameKey) as soon as it is made:
// memory holds one decoded frame, not the file, and a task cancelled,
// timed out or killed half-way is resumed by its retry from the frames
// stored instead of redoing them.
func (w *Worker) processPage(ctx context.Context, pg catalog.Page, detail map[string]any) (string, []string, error) {
	data, err := w.readOriginal(ctx, pg.OriginalKey, pg.SHA256)
	if err != nil {
		return "", nil, err
	}
	f, err := scan.OpenBytes(pg.SHA256, data, scan.Options{MaxPixels: w.cfg.MaxPixels})
	if err != nil {
		return "", nil, err
	}
	res := &pageResult{Version: pageStageVersion, SHA256: pg.SHA256, Pages: make([]resultPage, f.Pages)}
	todo, err := w.storedFrames(ctx, res)
	if err != nil {
		return "", nil, err
	}
	if reused := f.Pages - len(todo); reused > 0 {
		detail["frames_reused"] = reused
	}
	var times []pipeline.StageTimes
	if len(todo) > 0 {
		eng, err := w.engine(ctx)
		if err != nil {
			return "", nil, err
		}
		err = pipeline.ProcessFile(ctx, f, todo, eng, w.options(""), func(p *pipeline.Processed) error {
			times = append(times, p.Report.Times)
			rp, err := w.storeFrame(ctx, pg.SHA256, p, data, f.Pages > 1)
			res.Pages[p.Report.SourcePage-1] = rp
			return err
		})
		w.engines <- eng
		if err != nil {
			return "", nil, err
		}
	}
	warnings := []string{}
	for _, rp := range res.Pages {
		warnings = append(warnings, rp.Report.Warnings...)
	}
	sum, err := w.storeResult(ctx, res)
	if err != nil {
		return "", nil, err
	}
	w.dropFrames(ctx, pg.SHA256, f.Pages)
	detail["ms"] = times
	return sum, warnings, nil
}

// storeResult stores an original's whole result and returns its SHA-256.
func (w *Worker) storeResult(ctx context.Context, res *pageResult) (string, error) {
	b, sum := encodeResult(res)
	if err := w.cfg.Store.Put(ctx, storage.PageResultKey(res.SHA256, w.digest), bytes.NewReader(b), int64(len(b)), sum); err != nil {
		return "", err
	}
	return sum, nil
}

// engine takes an OCR engine, unless ctx is done first. ctx is asked
// before the select, which picks at random when both are ready.
func (w *Worker) engine(ctx context.Context) (*ocr.Engine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case eng := <-w.engines:
		return eng, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// storedFrames fills res with the frames an earlier attempt stored and
// returns the numbers of those still to do. A single-frame file has none
// stored: its result is its only checkpoint.
func (w *Worker) storedFrames(ctx context.Context, res *pageResult) ([]int, error) {
	if len(res.Pages) == 1 {
		return []int{1}, nil
	}
	var todo []int
	for n := 1; n <= len(res.Pages); n++ {
		rp, err := w.storedFrame(ctx, res.SHA256, n)
		if errors.Is(err, storage.ErrNotFound) {
			todo = append(todo, n)
			continue
		}
		if err != nil {
			return nil, err
		}
		res.Pages[n-1] = *rp
	}
	return todo, nil
}

// storedFrame reads frame n's stored result. One that is not this frame's
// cannot come from a partial write (stores show whole objects only), but
// from damage: it counts as absent, to be made again.
func (w *Worker) storedFrame(ctx context.Context, sum string, n int) (*resultPage, error) {
	fk := storage.PageFrameKey(sum, w.digest, n)
	rc, err := w.cfg.Store.Get(ctx, fk)
	if err != nil {
		return nil, fmt.Errorf("frame %d result %s: %w", n, fk, err)
	}
	defer rc.Close()
	fr, err := decodeResult(rc)
	if err != nil || len(fr.Pages) != 1 || fr.SHA256 != sum || fr.Pages[0].Report.SourcePage != n {
		w.log.Warn("frame result unreadable; made again", "key", fk, "err", err)
		return nil, storage.ErrNotFound
	}
	return &fr.Pages[0], nil
}

// storeFrame stores what the PDF needs of one processed frame of the
// original with SHA-256 sum, beside its result: its image when the PDF
// cannot carry the original's bytes (storage.PageImageKey), and, for a
// file of several frames, the frame's result (storage.PageFrameKey), after
// its image, so that a stored result always has its image. Timings are
// left out: a frame processed twice stores the same bytes.
func (w *Worker) storeFrame(ctx context.Context, sum string, p *pipeline.Processed, original []byte, checkpoint bool) (resultPage, error) {
	n := p.Report.SourcePage
	rp := resultPage{Report: p.Report, PDF: p.PDF}
	rp.Report.Times = pipeline.StageTimes{}
	if img := p.PDF.Image.Data; !bytes.Equal(img, original) {
		rp.ImageKey = storage.PageImageKey(sum, w.digest, n)
		if err := w.cfg.Store.Put(ctx, rp.ImageKey, bytes.NewReader(img), int64(len(img)), sha256Hex(img)); err != nil {
			return rp, fmt.Errorf("store frame %d image: %w", n, err)
		}
	}
	rp.PDF.Image.Data = nil
	if checkpoint {
		b, bsum := encodeResult(&pageResult{Version: pageStageVersion, SHA256: sum, Pages: []resultPage{rp}})
		if err := w.cfg.Store.Put(ctx, storage.PageFrameKey(sum, w.digest, n), bytes.NewReader(b), int64(len(b)), bsum); err != nil {
			return rp, fmt.Errorf("store frame %d result: %w", n, err)
		}
	}
	return rp, nil
}

// dropFrames removes the frame results of a file of n frames once its
// whole result is stored: they were only a place to resume from. Images
// stay; the result names them. A frame left behind (the store failed) is
// harmless: the next run over the same original finds the whole result
// first.
func (w *Worker) dropFrames(ctx context.Context, sum string, n int) {
	for i := 1; n > 1 && i <= n && ctx.Err() == nil; i++ {
		key := storage.PageFrameKey(sum, w.digest, i)
		if err := w.cfg.Store.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			w.log.Warn("remove frame result", "key", key, "err", err)
		}
	}
}

// readOriginal reads an original and checks its bytes against the hash
// the catalog recorded: a worker never processes bytes other than those
// the station declared.
func (w *Worker) readOriginal(ctx context.Context, key, sum string) ([]byte, error) {
	rc, err := w.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read original: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read original %s: %w", key, err)
	}
	if got := sha256Hex(data); got != sum {
		return nil, fmt.Errorf("original %s: %w: got %s", key, storage.ErrHashMismatch, got)
	}
	return data, nil
}

// failPage records why a page could not be processed, and lets the
// dossier go on to the assemble task, which fails it naming the page.
func (w *Worker) failPage(ctx context.Context, d catalog.Dossier, pg catalog.Page, cause error) error {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	err := w.cfg.Catalog.MovePageWith(ctx, d.Code, pg.Position, catalog.PageMove{
		Stage: pipeline.StageNormalize, From: catalog.PageUploaded, To: catalog.PageFailed,
		Error: cause.Error()}, w.cfg.Name)
	if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
		return err
	}
	w.log.Warn("page failed", "dossier", d.Code, "page", pg.Position, "err", cause)
	return w.assembleIfDone(ctx, d)
}

// assembleIfDone queues assembly once no page of d waits. Every worker
// that finishes a page asks after recording its own, so the last one to
// finish always sees all done; if several see it at once, the task ID
// lets one task through.
func (w *Worker) assembleIfDone(ctx context.Context, d catalog.Dossier) error {
	pages, err := w.cfg.Catalog.Pages(ctx, d.Code)
	if err != nil {
		return err
	}
	for _, p := range pages {
		if p.Status == catalog.PageUploaded {
			return nil
		}
	}
	return w.queue.Assemble(ctx, d)
}

func (w *Worker) handleAssemble(ctx context.Context, t *asynq.Task) (err error) {
	var p queue.DossierTask
	d, err := w.taskDossier(ctx, t, &p, func() string { return p.Dossier })
	if err != nil {
		return err
	}
	switch d.Status {
	case catalog.Processing:
	case catalog.Assembled: // recorded, but the sign task may be lost
		return w.queue.Sign(ctx, d)
	default:
		return nil
	}
	// Out of retries (storage down for the whole backoff): the dossier
	// fails, saying why, rather than wait for ever.
	defer func() {
		if err != nil && lastAttempt(ctx) {
			w.failDossier(ctx, d, catalog.Processing, pipeline.StageAssemble, err)
		}
	}()
	pages, err := w.cfg.Catalog.Pages(ctx, d.Code)
	if err != nil {
		return err
	}
	var failed []map[string]any
	var results []string
	for _, pg := range pages {
		switch pg.Status {
		case catalog.PageUploaded:
			return nil // not yet: the last page task queues assembly again
		case catalog.PageFailed:
			failed = append(failed, map[string]any{"page": pg.Position, "error": pg.Error})
		}
		results = append(results, pg.ResultKey)
	}
	if len(failed) > 0 {
		err := w.cfg.Catalog.MoveWith(ctx, d.Code, catalog.DossierMove{From: catalog.Processing, To: catalog.Failed,
			Detail: map[string]any{"stage": pipeline.StageAssemble, "failed_pages": failed}}, w.cfg.Name)
		if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
			return err
		}
		return nil
	}
	digest := assembledDigest(d.Code, submitted(d).Format(time.RFC3339), results)
	key := storage.AssembledKey(d.Code, digest)
	info, err := w.cfg.Store.Stat(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		info, err = w.assemble(ctx, d, pages, digest)
	}
	if err != nil {
		return err
	}
	err = w.cfg.Catalog.MoveWith(ctx, d.Code, catalog.DossierMove{From: catalog.Processing, To: catalog.Assembled,
		AssembledKey: key, Detail: map[string]any{"key": key, "sha256": info.SHA256, "bytes": info.Size}}, w.cfg.Name)
	if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
		return err
	}
	return w.queue.Sign(ctx, d)
}

// submitted is the date d's PDF carries: its submission, to the second,
// so that assembling it again gives the same bytes.
func submitted(d catalog.Dossier) time.Time { return d.SubmittedAt.UTC().Truncate(time.Second) }

// assemble makes the dossier from the stored page results with the
// pipeline's Builder, one page's image in memory at a time: its PDF/A, to
// a temporary file and then storage.AssembledKey(d.Code, digest), and its
// manifest, for the sign stage to complete (storage.AssembledManifestKey).
// The metadata stages run in the Builder's Finish; their result is
// recorded (recordMetadata) before the PDF is stored.
func (w *Worker) assemble(ctx context.Context, d catalog.Dossier, pages []catalog.Page, digest string) (storage.Info, error) {
	tmp, err := os.CreateTemp("", "sohoa-assemble-*.pdf")
	if err != nil {
		return storage.Info{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	opt := w.options(d.Code)
	opt.Register = w.registerFor(d)
	b, err := pipeline.NewBuilder(io.MultiWriter(tmp, h), submitted(d), w.tools, opt)
	if err != nil {
		return storage.Info{}, err
	}
	for _, pg := range pages {
		res, err := w.readResult(ctx, pg.ResultKey)
		if err != nil {
			return storage.Info{}, fmt.Errorf("%s page %d: %w", pipeline.StageAssemble, pg.Position, err)
		}
		for _, rp := range res.Pages {
			var img []byte
			if rp.ImageKey == "" {
				img, err = w.readOriginal(ctx, pg.OriginalKey, pg.SHA256)
			} else {
				img, err = w.readAll(ctx, rp.ImageKey)
			}
			if err != nil {
				return storage.Info{}, fmt.Errorf("%s page %d: %w", pipeline.StageAssemble, pg.Position, err)
			}
			p := &pipeline.Processed{Report: rp.Report, PDF: rp.PDF}
			p.Report.Source = pg.OriginalKey
			p.PDF.Image.Data = img
			if err := b.Add(p); err != nil {
				return storage.Info{}, fmt.Errorf("dossier page %d: %w", pg.Position, err)
			}
		}
	}
	m, err := b.Finish(ctx)
	if err != nil {
		return storage.Info{}, err
	}
	if _, err := w.recordMetadata(ctx, d, m.Metadata, b.Calls(), opt.Register); err != nil {
		return storage.Info{}, err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return storage.Info{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return storage.Info{}, err
	}
	// The manifest goes first: a stored PDF means its manifest is stored
	// too, for the sign stage.
	mb, err := json.Marshal(m)
	if err != nil {
		return storage.Info{}, err
	}
	if err := w.cfg.Store.Put(ctx, storage.AssembledManifestKey(d.Code, digest), bytes.NewReader(mb), int64(len(mb)), sha256Hex(mb)); err != nil {
		return storage.Info{}, err
	}
	key, sum := storage.AssembledKey(d.Code, digest), hex.EncodeToString(h.Sum(nil))
	if err := w.cfg.Store.Put(ctx, key, tmp, size, sum); err != nil {
		return storage.Info{}, err
	}
	return storage.Info{Key: key, Size: size, SHA256: sum}, nil
}

// assembledManifest reads the manifest assembly stored beside d's PDF.
// A dossier assembled by a sohoa that stored only the page reports there
// (assemble-1) is assembled again, from the same page results and with
// the same date, which stores its manifest.
func (w *Worker) assembledManifest(ctx context.Context, d catalog.Dossier) (*pipeline.Manifest, error) {
	code, digest, err := storage.ParseAssembledKey(d.AssembledKey)
	if err != nil || code != d.Code {
		return nil, fmt.Errorf("assembled PDF of dossier %s: %w", d.Code, errors.Join(err, storage.ErrBadKey))
	}
	mkey := storage.AssembledManifestKey(code, digest)
	b, err := w.readAll(ctx, mkey)
	if errors.Is(err, storage.ErrNotFound) {
		pages, perr := w.cfg.Catalog.Pages(ctx, d.Code)
		if perr != nil {
			return nil, perr
		}
		if _, err := w.assemble(ctx, d, pages, digest); err != nil {
			return nil, err
		}
		b, err = w.readAll(ctx, mkey)
	}
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", mkey, err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", mkey, err)
	}
	return &m, nil
}

func (w *Worker) readResult(ctx context.Context, key string) (*pageResult, error) {
	if key == "" {
		return nil, errors.New("page has no recorded result")
	}
	rc, err := w.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	res, err := decodeResult(rc)
	if err != nil {
		return nil, fmt.Errorf("page result %s: %w", key, err)
	}
	return res, nil
}

func (w *Worker) readAll(ctx context.Context, key string) ([]byte, error) {
	rc, err := w.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (w *Worker) handleSign(ctx context.Context, t *asynq.Task) error {
	var p queue.DossierTask
	d, err := w.taskDossier(ctx, t, &p, func() string { return p.Dossier })
	if err != nil {
		return err
	}
	if d.Status != catalog.Assembled {
		return nil
	}
	m, err := w.assembledManifest(ctx, d)
	if err != nil {
		return fmt.Errorf("%s: %w", pipeline.StageSign, err)
	}
	data, err := w.readAll(ctx, d.AssembledKey)
	if err != nil {
		return fmt.Errorf("%s: read assembled PDF: %w", pipeline.StageSign, err)
	}
	signed, sig, err := pipeline.Sign(ctx, w.cfg.Signer, data)
	if err != nil {
		if lastAttempt(ctx) {
			w.failDossier(ctx, d, catalog.Assembled, pipeline.StageSign, err)
		}
		return err
	}
	sum := sha256Hex(signed)
	key := storage.SignedKey(d.Code, sum)
	if err := w.cfg.Store.Put(ctx, key, bytes.NewReader(signed), int64(len(signed)), sum); err != nil {
		return err
	}
	m.SetPDF(key, signed, sig)
	mkey := storage.SignedManifestKey(d.Code, sum)
	if err := w.putManifest(ctx, mkey, m); err != nil {
		return err
	}
	err = w.cfg.Catalog.MoveWith(ctx, d.Code, catalog.DossierMove{From: catalog.Assembled, To: catalog.Signed,
		PDFKey: key, PDFSHA256: sum,
		Detail: map[string]any{"key": key, "sha256": sum, "manifest": mkey, "signer": sig.Signer, "level": sig.Level}}, w.cfg.Name)
	if errors.Is(err, catalog.ErrIllegalMove) {
		// Another worker's signature won; ours is nobody's.
		w.cfg.Store.Delete(ctx, key)
		w.cfg.Store.Delete(ctx, mkey)
		return nil
	}
	if err != nil {
		return err
	}
	w.log.Info("dossier signed", "dossier", d.Code, "pages", len(m.Pages), "pdf", key, "level", sig.Level)
	w.sweepSigned(ctx, d.Code, key, mkey)
	return nil
}

// sweepSigned removes signed PDFs an earlier attempt stored but never
// recorded (it died between the two).
func (w *Worker) sweepSigned(ctx context.Context, code string, keep ...string) {
	keys, err := w.cfg.Store.List(ctx, storage.SignedPrefix(code))
	if err != nil {
		return
	}
	for _, k := range keys {
		if !slices.Contains(keep, k) {
			w.cfg.Store.Delete(ctx, k)
		}
	}
}

func (w *Worker) failDossier(ctx context.Context, d catalog.Dossier, from catalog.Status, stage string, cause error) {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	err := w.cfg.Catalog.MoveWith(ctx, d.Code, catalog.DossierMove{From: from, To: catalog.Failed,
		Detail: map[string]any{"stage": stage, "error": cause.Error()}}, w.cfg.Name)
	if err != nil && !errors.Is(err, catalog.ErrIllegalMove) {
		w.log.Error("record dossier failure", "dossier", d.Code, "err", err)
	}
}

// putManifest stores the dossier's manifest beside its signed PDF: the
// record sohoa ingest writes, as the Builder made it at assembly and the
// sign stage completed it.
func (w *Worker) putManifest(ctx context.Context, key string, m *pipeline.Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return w.cfg.Store.Put(ctx, key, bytes.NewReader(b), int64(len(b)), sha256Hex(b))
}
