// Command fieldbench measures metadata extraction on synthetic forms read
// through the real pipeline: testdata/gen/forms makes the forms (nine
// document types, the scan set's hard faults, 200 and 300 dpi, every
// quarter turn) from a fixed seed, each page goes through
// pipeline.Process (Tesseract included) and extract.Extract, and the
// fields are scored against the forms' truth. It prints per-field
// precision and recall against the targets of issue 11; how many misread
// values differ from the truth only in tone marks; the same scores on the
// forms' printed text as a perfect reading would give it, which measures
// extraction alone; and with -v what was missed on each form. With -words,
// it reads the forms' words from a file -json wrote instead of scanning
// and reading them again: a change to extraction is then measured on the
// very words the earlier run read, whatever the pipeline reads today.
//
//	go run ./bench/fieldbench [-n 63] [-seed 20251101] [-jobs N] [-v] [-json out.json]
//	go run ./bench/fieldbench -words out.json [-v]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/extract/extracttest"
	"github.com/sohoa/sohoa/testdata/gen/forms"
)

func main() {
	if err := ocr.SingleThreaded(); err != nil {
		log.Fatal(err)
	}
	n := flag.Int("n", forms.Count, "forms to generate (the first n of the set)")
	seed := flag.Uint64("seed", forms.Seed, "seed of the set")
	jobs := flag.Int("jobs", runtime.NumCPU(), "pages read at once")
	verbose := flag.Bool("v", false, "list what was missed on each form")
	out := flag.String("json", "", "write each form's truth, words read and extraction to this file")
	words := flag.String("words", "", "extract from the words in this file, written by -json, instead of reading forms")
	flag.Parse()
	log.SetFlags(0)
	if *words != "" {
		if err := rescore(*words, *verbose); err != nil {
			log.Fatal(err)
		}
		return
	}

	start := time.Now()
	fs, err := forms.Generate(*n, *seed)
	if err != nil {
		log.Fatal(err)
	}
	generated := time.Since(start)
	start = time.Now()
	rs, err := extracttest.Read(fs, *jobs, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	var read, extracted time.Duration
	for _, r := range rs {
		read += r.ReadTime
		extracted += r.ExtractTime
		if r.Err != nil {
			log.Printf("%s: %v", r.Form.Name, r.Err)
		}
		if *verbose {
			for _, m := range extracttest.Misses(r) {
				fmt.Printf("%s [%s, turned %d°, %d dpi]: %s\n", r.Form.Name, r.Form.Truth.Class, r.Form.Truth.Turn, r.Form.Truth.DPI, m)
			}
		}
	}
	types := map[string]bool{}
	for _, f := range fs {
		types[f.Truth.DocumentType] = true
	}
	fmt.Printf("%d forms of %d document types (seed %d), generated in %.1f s, read in %.1f s wall (%.2f s a page in the pipeline, %.1f ms a page in extraction)\n\n",
		len(fs), len(types), *seed, generated.Seconds(), time.Since(start).Seconds(),
		read.Seconds()/float64(max(1, len(rs))), float64(extracted.Microseconds())/1000/float64(max(1, len(rs))))
	fmt.Println("Read through the pipeline:")
	fmt.Println()
	extracttest.Score(rs).Table(os.Stdout)
	fmt.Println()
	fmt.Println("Values found in their place but misread, and how many differ from the truth only in a lost dot below (nặng) or only in marks:")
	fmt.Println()
	fmt.Println("| field | misread | dot below only | other marks only |\n|---|---|---|---|")
	misreads := extracttest.Misreads(rs)
	for _, f := range extracttest.Scored {
		if m, ok := misreads[f]; ok {
			fmt.Printf("| %s | %d | %d | %d |\n", f, m.Wrong, m.DotBelow, m.Marks)
		}
	}
	fmt.Println()
	fmt.Println("The same forms' printed text, read without error (extraction alone):")
	fmt.Println()
	extracttest.Score(extracttest.ReadText(fs, time.Now())).Table(os.Stdout)
	if *out != "" {
		type entry struct {
			Name  string      `json:"name"`
			Truth forms.Truth `json:"truth"`
			Got   any         `json:"extracted"`
			Error string      `json:"error,omitempty"`
			Words any         `json:"words"`
		}
		var es []entry
		for _, r := range rs {
			e := entry{Name: r.Form.Name, Truth: r.Form.Truth, Got: r.Meta, Words: r.Report.WordBoxes}
			if r.Err != nil {
				e.Error = r.Err.Error()
			}
			es = append(es, e)
		}
		js, err := json.MarshalIndent(es, "", "  ")
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*out, js, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// rescore extracts again from the words a -json run stored and prints
// the scores against the stored truth.
func rescore(file string, verbose bool) error {
	js, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var es []struct {
		Name  string             `json:"name"`
		Truth forms.Truth        `json:"truth"`
		Words []pipeline.WordBox `json:"words"`
	}
	if err := json.Unmarshal(js, &es); err != nil {
		return fmt.Errorf("read words of %s: %w", file, err)
	}
	var rs []extracttest.Result
	for _, e := range es {
		r := extracttest.Result{Form: forms.Form{Name: e.Name, Truth: e.Truth}}
		r.Meta = extract.Extract([]extract.Page{extracttest.Words(1, e.Words)}, time.Now())
		rs = append(rs, r)
		if verbose {
			for _, m := range extracttest.Misses(r) {
				fmt.Printf("%s [%s, turned %d°, %d dpi]: %s\n", e.Name, e.Truth.Class, e.Truth.Turn, e.Truth.DPI, m)
			}
		}
	}
	fmt.Printf("%d forms' words from %s, extracted again:\n\n", len(rs), file)
	extracttest.Score(rs).Table(os.Stdout)
	return nil
}
