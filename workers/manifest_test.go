package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/local"
)

// TestManifestEitherWay: pages processed once, then made into a dossier
// the way sohoa ingest makes it (pipeline.Ingest's Builder, timed, its PDF
// signed in place) and the way the workers do (results stored as the page
// task stores them, then the assemble and sign tasks on the real catalog),
// give the same PDF before signing and the same manifest but for the
// fields pipeline.Manifest names as differing between the two.
func TestManifestEitherWay(t *testing.T) {
	ctx := context.Background()
	const code = "UBND-XA-01-250101-0042"
	// A PNG (its image stored beside the result), a JPEG (embedded as
	// scanned, read back from the original) and a scanner PDF of two pages.
	files := []string{"receipt-150.png", "blank-300.jpg", "scanner-2p.pdf"}

	dsn := testenv.PostgresDB(t)
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	st, err := local.Open(t.TempDir(), local.Options{Retention: storage.RetentionYears(1)})
	if err != nil {
		t.Fatal(err)
	}
	keyPath, err := sign.DevKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.Load(keyPath, sign.DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	rd := testenv.StartRedis(t)
	w, err := New(Config{Store: st, Catalog: cat, Redis: asynq.RedisClientOpt{Addr: rd.Addr}, Signer: signer,
		Name: "test worker", Concurrency: 1, Lang: pipeline.DefaultLang, OCRDPI: pipeline.DefaultOCRDPI,
		MaxPixels: scan.DefaultMaxPixels, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// The dossier as a station leaves it: originals stored, pages
	// recorded, submitted.
	if _, err := cat.CreateDossier(ctx, catalog.Dossier{Code: code, Procedure: "1.000894", Office: "UBND-XA-01"}, "test"); err != nil {
		t.Fatal(err)
	}
	datas := map[string][]byte{}
	for i, name := range files {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "scans", name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256Hex(data)
		okey, _ := storage.OriginalKey(sum)
		if err := st.Put(ctx, okey, bytes.NewReader(data), int64(len(data)), sum); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.AddPage(ctx, code, catalog.Page{Position: i + 1, OriginalKey: okey, SHA256: sum, Size: int64(len(data))}, "test"); err != nil {
			t.Fatal(err)
		}
		datas[name] = data
	}
	for _, mv := range [][2]catalog.Status{{catalog.Uploading, catalog.Submitted}, {catalog.Submitted, catalog.Processing}} {
		if err := cat.Move(ctx, code, mv[0], mv[1], "test", nil); err != nil {
			t.Fatal(err)
		}
	}
	d, err := cat.Get(ctx, code)
	if err != nil {
		t.Fatal(err)
	}

	// Process every page once, with the worker's own engine and options.
	eng := <-w.engines
	var processed []*pipeline.Processed
	for _, name := range files {
		f, err := scan.OpenBytes(name, datas[name], scan.Options{MaxPixels: w.cfg.MaxPixels})
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= f.Pages; n++ {
			p, err := pipeline.Process(f, n, eng, w.options(""))
			if err != nil {
				t.Fatal(err)
			}
			processed = append(processed, p)
		}
	}
	w.engines <- eng

	// The workers' way: each original's result stored as the page task
	// stores it and recorded, then the assemble and sign tasks.
	next := 0
	pages, err := cat.Pages(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages {
		res := &pageResult{Version: pageStageVersion, SHA256: pg.SHA256}
		for next < len(processed) && processed[next].Report.SHA256 == pg.SHA256 {
			rp, err := w.storeFrame(ctx, pg.SHA256, processed[next], datas[processed[next].Report.Source], false)
			if err != nil {
				t.Fatal(err)
			}
			res.Pages = append(res.Pages, rp)
			next++
		}
		if _, err := w.storeResult(ctx, res); err != nil {
			t.Fatal(err)
		}
		err := cat.MovePageWith(ctx, code, pg.Position, catalog.PageMove{Stage: pipeline.StageOCR, From: catalog.PageUploaded,
			To: catalog.PageProcessed, ResultKey: storage.PageResultKey(pg.SHA256, w.digest)}, "test")
		if err != nil {
			t.Fatal(err)
		}
	}
	task, _ := json.Marshal(queue.DossierTask{Dossier: code})
	if err := w.handleAssemble(ctx, asynq.NewTask(queue.TypeAssemble, task)); err != nil {
		t.Fatal(err)
	}
	if err := w.handleSign(ctx, asynq.NewTask(queue.TypeSign, task)); err != nil {
		t.Fatal(err)
	}
	if d, err = cat.Get(ctx, code); err != nil || d.Status != catalog.Signed {
		t.Fatalf("dossier after the sign task: %+v, %v; want signed", d, err)
	}
	assembled, err := w.readAll(ctx, d.AssembledKey)
	if err != nil {
		t.Fatal(err)
	}
	var service pipeline.Manifest
	b, err := w.readAll(ctx, storage.SignedManifestKey(code, d.PDFSHA256))
	if err == nil {
		err = json.Unmarshal(b, &service)
	}
	if err != nil {
		t.Fatal(err)
	}

	// sohoa ingest's way, on the same pages and date.
	opt := w.options(code)
	opt.Jobs = 2
	var pdf bytes.Buffer
	bl, err := pipeline.NewBuilder(&pdf, d.SubmittedAt, w.tools, opt)
	if err != nil {
		t.Fatal(err)
	}
	bl.Timed = true
	for _, p := range processed {
		if err := bl.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	ingest, err := bl.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf.Bytes(), assembled) {
		t.Errorf("assembled PDFs differ: %d bytes by ingest's way, %d by the workers'", pdf.Len(), len(assembled))
	}
	signed, sig, err := pipeline.Sign(ctx, signer, pdf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ingest.SetPDF(code+".pdf", signed, sig)

	// The path-specific fields, each as its way makes it; then set aside.
	if len(ingest.Pages) != 4 || len(service.Pages) != len(ingest.Pages) {
		t.Fatalf("%d pages by ingest's way, %d by the workers'; want 4", len(ingest.Pages), len(service.Pages))
	}
	for i := range ingest.Pages {
		ip, sp := &ingest.Pages[i], &service.Pages[i]
		okey, _ := storage.OriginalKey(ip.SHA256)
		if ip.Source != files[min(i, 2)] || sp.Source != okey {
			t.Errorf("page %d: sources %q and %q; want the file name and the original's key %s", i+1, ip.Source, sp.Source, okey)
		}
		// Normalize (a decode) and Assemble take time on every page; a blank
		// page skips OCR in well under a microsecond, which records 0.
		if ip.Times.Normalize <= 0 || ip.Times.Assemble <= 0 || sp.Times != (pipeline.StageTimes{}) {
			t.Errorf("page %d: timings %+v and %+v; want ingest's only", i+1, ip.Times, sp.Times)
		}
		ip.Source, sp.Source = "", ""
		ip.Times, sp.Times = pipeline.StageTimes{}, pipeline.StageTimes{}
	}
	if ingest.PDF != code+".pdf" || service.PDF != d.PDFKey || service.PDFHash != d.PDFSHA256 || ingest.PDFHash != sha256Hex(signed) {
		t.Errorf("PDFs %s (%s) and %s (%s); want the file name and the key the catalog records, each with its hash",
			ingest.PDF, ingest.PDFHash, service.PDF, service.PDFHash)
	}
	if ingest.Options.Jobs != 2 || service.Options.Jobs != 0 {
		t.Errorf("jobs %d and %d; want ingest's 2 and none", ingest.Options.Jobs, service.Options.Jobs)
	}
	for _, m := range []*pipeline.Manifest{ingest, &service} {
		m.PDF, m.PDFBytes, m.PDFHash = "", 0, "" // signatures differ by time and randomness
		m.Signature.MS = 0
		m.Options.Jobs = 0
	}
	want, _ := json.MarshalIndent(ingest, "", "  ")
	got, _ := json.MarshalIndent(&service, "", "  ")
	if !bytes.Equal(got, want) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(wl), len(gl)) {
			if wl[i] != gl[i] {
				t.Fatalf("manifests differ at line %d:\ningest:  %s\nworkers: %s", i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("manifests differ in length: %d and %d lines", len(wl), len(gl))
	}
	if service.Created.IsZero() || !service.Created.Equal(d.SubmittedAt.UTC().Truncate(time.Second)) {
		t.Errorf("created %v, want the submission %v", service.Created, d.SubmittedAt)
	}

	// A dossier assembled by a sohoa that kept no manifest beside the PDF
	// (assemble-1) is assembled again for the sign stage: the same PDF,
	// and the manifest the workers' way made.
	_, digest, err := storage.ParseAssembledKey(d.AssembledKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, storage.AssembledManifestKey(code, digest)); err != nil {
		t.Fatal(err)
	}
	again, err := w.assembledManifest(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := w.readAll(ctx, d.AssembledKey); err != nil || !bytes.Equal(b, assembled) {
		t.Errorf("PDF assembled again: %d bytes, %v; want the %d assembled before", len(b), err, len(assembled))
	}
	for i := range again.Pages {
		again.Pages[i].Source = ""
	}
	again.Signature = service.Signature
	if b, _ := json.MarshalIndent(again, "", "  "); !bytes.Equal(b, got) {
		t.Errorf("manifest assembled again differs from the first")
	}
}
