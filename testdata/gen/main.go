// Command gen writes the test scans sohoa's pipeline is tested on, made by
// package scanset (testdata/gen/scanset): Vietnamese administrative pages
// typeset in a serif and degraded the way desks degrade them, each with its
// ground truth text.
//
// Run from the module root:
//
//	go run ./testdata/gen                        # regenerate the committed fixtures
//	go run ./testdata/gen -out DIR -n 50 -seed 7 # 50 unseen pages for benchmarks
//	go run ./testdata/gen -out DIR -hard 4       # the hard set, 4 pages per class
//
// The fixtures go to testdata/scans (images and catalog.json) and
// testdata/truth; benchmark and hard pages to DIR (images and catalog.json)
// and DIR/truth. In both, a catalog entry's file is relative to the catalog's
// folder and its truth to the folder above. The fixture set is fixed by its
// seed, so running it again rewrites the same bytes; so is the hard set by
// scanset.HardSeed unless -seed is given. See testdata/README.md for the
// catalog's conventions on skew and rotation.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

func main() {
	out := flag.String("out", "testdata", "where to write: the fixtures go to testdata/scans and testdata/truth, benchmark (-n) and hard (-hard) pages to DIR and DIR/truth")
	n := flag.Int("n", 0, "when above 0, write this many unseen random pages for benchmarks instead of the fixtures")
	hard := flag.Int("hard", 0, "when above 0, write the hard set with this many pages per class instead of the fixtures")
	seed := flag.Uint64("seed", 1, "seed of the benchmark pages (-n), or of the hard set (-hard; default scanset.HardSeed)")
	flag.Parse()
	seedSet := false
	flag.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if *hard > 0 && !seedSet {
		*seed = scanset.HardSeed
	}
	if err := run(*out, *n, *hard, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string, n, hard int, seed uint64) error {
	_, statErr := os.Stat(filepath.Join(root, "gen", "main.go"))
	fixtures := n == 0 && hard == 0
	switch {
	case n < 0 || hard < 0:
		return fmt.Errorf("-n and -hard must not be negative, got %d and %d", n, hard)
	case n > 0 && hard > 0:
		return fmt.Errorf("-n and -hard make different sets; give one")
	case fixtures && statErr != nil:
		return fmt.Errorf("the fixture set goes into the module's testdata/: run from the module root (%w)", statErr)
	case !fixtures && statErr == nil:
		return fmt.Errorf("-n and -hard write generated pages; give -out a directory other than the fixtures' root %s", root)
	}
	face, err := scanset.Typeface()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: typesetting in %s\n", face)
	var files []scanset.File
	switch {
	case hard > 0:
		files, err = scanset.Hard(hard, seed)
	case n > 0:
		files, err = scanset.Bench(n, seed)
	default:
		files, err = scanset.Fixtures()
	}
	if err != nil {
		return err
	}
	if !fixtures {
		return scanset.Write(root, filepath.Join(root, "truth"), files)
	}
	if err := scanset.Write(filepath.Join(root, "scans"), filepath.Join(root, "truth"), files); err != nil {
		return err
	}
	// A JPEG cut off after its first 3 KB: the bad-input case. It lives
	// apart from the scans so that the demo run over testdata/scans makes a
	// whole dossier.
	for _, f := range files {
		if f.Name == "form-300.jpg" {
			bad := filepath.Join(root, "bad")
			if err := os.MkdirAll(bad, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(bad, "truncated.jpg"), f.Data[:3072], 0o644)
		}
	}
	return fmt.Errorf("the fixture set has no form-300.jpg to cut short")
}
