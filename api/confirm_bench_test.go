package api_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
)

// imagePDF returns a one-page PDF holding a w×h grey image stored raw:
// a scanner's image-only PDF of about w·h bytes, which the confirm must
// read and probe.
func imagePDF(w, h int) []byte {
	pix := make([]byte, w*h)
	rand.Read(pix)
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", w*72/300, h*72/300), nil)
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>", w, h, len(pix)), pix)
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im0 Do Q", w*72/300, h*72/300)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// BenchmarkConfirmMemory measures what confirming one large scanner PDF
// adds to the server's heap at its peak, as a multiple of the file's size
// (issue 9 found about 3 ×): go test -run '^$' -bench ConfirmMemory ./api
func BenchmarkConfirmMemory(b *testing.B) {
	e := newEnv(b)
	op := e.tokens[catalog.RoleOperator]
	var worst float64
	for i := 0; i < b.N; i++ {
		pdf := imagePDF(7000, 9000) // 63 MB
		code := e.create(b, op)
		e.put(b, e.askUpload(b, code, op, pdf, "application/pdf"), pdf)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		res := e.confirm(b, code, op, 1, pdf)
		close(stop)
		<-done
		if res.status != http.StatusOK {
			b.Fatalf("confirm: %d %s", res.status, res.body)
		}
		worst = max(worst, float64(peak.Load()-min(base, peak.Load()))/float64(len(pdf)))
	}
	b.ReportMetric(worst, "heap-peak/file-size")
}
