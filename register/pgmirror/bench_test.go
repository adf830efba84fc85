package pgmirror

import (
	"bufio"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/register"
	"github.com/sohoa/sohoa/register/registertest"
)

// A province's export is millions of rows; 100 000 keeps the benchmark
// short enough to run routinely on a small box. Measure a province-sized
// load with -register.rows=1000000.
var benchRows = flag.Int("register.rows", 100_000, "rows in the file BenchmarkLoad loads")

// benchFile writes a generated export of n rows and returns its path.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "register.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = WriteCSV(w, func(yield func(register.Citizen) bool) {
		for i := range n {
			if !yield(registertest.Generate(i)) {
				return
			}
		}
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	return path
}

func loadFile(b *testing.B, m *Mirror, path string) LoadReport {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rep, err := m.Load(context.Background(), bufio.NewReaderSize(f, 1<<20), LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if rep.Rejected > 0 {
		b.Fatalf("%d rows rejected", rep.Rejected)
	}
	return rep
}

// BenchmarkLoad loads a generated export into an empty mirror (Empty) and
// the same file again over it (Reload, where every row is compared and
// none rewritten). rows/s counts data rows read.
func BenchmarkLoad(b *testing.B) {
	n := *benchRows
	path := benchFile(b, n)
	b.Run("Empty", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			m := open(b)
			b.StartTimer()
			if rep := loadFile(b, m, path); rep.Inserted != int64(n) {
				b.Fatalf("inserted %d of %d", rep.Inserted, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("Reload", func(b *testing.B) {
		m := open(b)
		loadFile(b, m, path)
		b.ResetTimer()
		for range b.N {
			if rep := loadFile(b, m, path); rep.Unchanged != int64(n) {
				b.Fatalf("unchanged %d of %d", rep.Unchanged, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
