package pipeline

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/sohoa/sohoa/pipeline/raster"
)

// This file draws hard test pages in the test itself: Vietnamese prose or a
// landscape table, typeset from a small stock of administrative vietSentences,
// then degraded the way desk scans are (noise, speckle, JPEG, low
// resolution, a red seal and a blue signature over the text, a dark lid
// border, bleed-through) and turned by whole quarter turns. Orientation
// tests need many pages in every turn and class; drawing them here keeps
// those tests independent of the fixture generator's output.

// vietSentences are typical of decisions, notices and forms.
var vietSentences = []string{
	"Căn cứ Luật Tổ chức Chính phủ ngày 18 tháng 02 năm 2025 và các văn bản hướng dẫn thi hành.",
	"Ủy ban nhân dân tỉnh giao Sở Tài chính chủ trì, phối hợp với các cơ quan liên quan tổ chức thực hiện.",
	"Quyết định này có hiệu lực kể từ ngày ký và thay thế các quy định trước đây trái với Quyết định này.",
	"Chánh Văn phòng, Giám đốc các Sở, Thủ trưởng các ban, ngành chịu trách nhiệm thi hành Quyết định này.",
	"Người đề nghị cam đoan những nội dung khai trên là đúng sự thật và chịu trách nhiệm trước pháp luật.",
	"Công dân có quyền tự do cư trú theo quy định của pháp luật và được Nhà nước bảo hộ quyền này.",
	"Hồ sơ gồm đơn đề nghị, bản sao giấy khai sinh, giấy tờ chứng minh chỗ ở hợp pháp và ảnh chân dung.",
	"Thời hạn giải quyết không quá mười lăm ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ theo quy định.",
	"Trường hợp hồ sơ chưa đầy đủ thì cơ quan tiếp nhận hướng dẫn người nộp bổ sung một lần bằng văn bản.",
	"Ngân hàng Nhà nước Việt Nam rà soát, sửa đổi các quy định về phòng, chống rửa tiền và tài trợ khủng bố.",
	"Bộ Công an chủ trì đánh giá rủi ro quốc gia về rửa tiền giai đoạn 2023 đến 2027 và báo cáo Thủ tướng.",
	"Các bộ, ngành, địa phương xây dựng kế hoạch triển khai, bố trí kinh phí và nhân lực để thực hiện nhiệm vụ.",
	"Thửa đất số 125, tờ bản đồ số 17, diện tích 156,4 mét vuông, mục đích sử dụng đất ở tại nông thôn.",
	"Xe ô tô con nhãn hiệu Toyota, màu sơn trắng, số máy và số khung được ghi trong giấy chứng nhận đăng ký.",
	"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan phản ánh kịp thời về Bộ Tư pháp.",
	"Giấy xác nhận này có giá trị trong thời hạn sáu tháng kể từ ngày cấp và được dùng để làm thủ tục hành chính.",
	"Ông Nguyễn Văn Hùng, sinh ngày 12 tháng 5 năm 1978, thường trú tại xã Phú Thọ, huyện Thanh Sơn.",
	"Bà Trần Thị Thu Hương, số định danh cá nhân 001178009213, hiện đang cư trú tại phường Hàng Bông.",
	"Việc tổ chức thực hiện phải bảo đảm công khai, minh bạch, đúng quy định và không gây phiền hà cho dân.",
	"Sở Nội vụ có trách nhiệm hướng dẫn, kiểm tra, đôn đốc việc thực hiện và tổng hợp báo cáo kết quả.",
}

var vietHeadings = []string{
	"QUYẾT ĐỊNH", "THÔNG BÁO", "TỜ KHAI ĐĂNG KÝ CƯ TRÚ", "GIẤY XÁC NHẬN", "KẾ HOẠCH THỰC HIỆN", "ĐƠN ĐỀ NGHỊ",
}

// degradation is one kind of degradation.
type degradation string

const (
	degClean   degradation = "clean"
	degNoise   degradation = "noise"   // sensor noise σ 20 on toned paper
	degSpeckle degradation = "speckle" // dust and toner specks
	degJPEG    degradation = "jpeg40"  // JPEG quality 40
	deg150     degradation = "dpi150"  // 150 dpi, a little noise
	degMarks   degradation = "marks"   // red seal and blue signature over the text
	degBorder  degradation = "border"  // dark lid border, uneven light
	degBleed   degradation = "bleed"   // the other side's text showing through
	degAll     degradation = "all"     // all of them at once, at 200 dpi
)

var degradations = []degradation{degNoise, degSpeckle, degJPEG, deg150, degMarks, degBorder, degBleed, degAll}

// turnedPage is a drawn page: the upright image's clockwise turn and skew
// are known.
type turnedPage struct {
	Gray  *image.Gray
	DPI   float64
	Turns int // clockwise quarter turns applied to the upright page
	Skew  float64
	Table bool
}

type pageSetter struct {
	img   *image.RGBA
	dpi   float64
	faces map[[2]float64]font.Face
	reg   *opentype.Font
	bold  *opentype.Font
}

var testFonts struct{ reg, bold *opentype.Font }

func loadTestFonts(t testing.TB) (reg, bold *opentype.Font) {
	t.Helper()
	if testFonts.reg != nil {
		return testFonts.reg, testFonts.bold
	}
	for _, set := range [][2]string{
		{"/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Bold.ttf"},
		{"/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"},
	} {
		var fs [2]*opentype.Font
		ok := true
		for i, p := range set {
			b, err := os.ReadFile(p)
			if err != nil {
				ok = false
				break
			}
			if fs[i], err = opentype.Parse(b); err != nil {
				t.Fatal(err)
			}
		}
		if ok {
			testFonts.reg, testFonts.bold = fs[0], fs[1]
			return fs[0], fs[1]
		}
	}
	t.Skip("no DejaVu serif font installed (fonts-dejavu-extra): cannot draw test pages")
	return nil, nil
}

func (ts *pageSetter) face(size float64, bold bool) font.Face {
	k := [2]float64{size, 0}
	f := ts.reg
	if bold {
		k[1], f = 1, ts.bold
	}
	if fc, ok := ts.faces[k]; ok {
		return fc
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: ts.dpi, Hinting: font.HintingNone})
	if err != nil {
		panic(err)
	}
	ts.faces[k] = fc
	return fc
}

func (ts *pageSetter) mm(v float64) int { return int(math.Round(v * ts.dpi / 25.4)) }

// wrap breaks text into lines no wider than w pixels.
func drawWrap(f font.Face, text string, w int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(text) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if cur != "" && font.MeasureString(f, try).Ceil() > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func (ts *pageSetter) text(f font.Face, x, baseline int, s string) {
	d := font.Drawer{Dst: ts.img, Src: image.NewUniform(color.RGBA{20, 20, 20, 255}), Face: f,
		Dot: fixed.P(x, baseline)}
	d.DrawString(s)
}

func (ts *pageSetter) rect(r image.Rectangle, c color.RGBA) {
	draw.Draw(ts.img, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// drawProse typesets a portrait page: a heading and justified-looking
// paragraphs of 12-14 pt type.
func drawProse(ts *pageSetter, rng *rand.Rand) {
	b := ts.img.Bounds()
	x0, x1 := ts.mm(30), b.Dx()-ts.mm(20)
	y := ts.mm(25)
	size := 12 + float64(rng.IntN(3))
	hf := ts.face(size+1, true)
	h := vietHeadings[rng.IntN(len(vietHeadings))]
	y += int(hf.Metrics().Ascent.Ceil())
	ts.text(hf, (x0+x1-font.MeasureString(hf, h).Ceil())/2, y, h)
	y += ts.mm(10)
	f := ts.face(size, false)
	lh := int(float64(f.Metrics().Height.Ceil()) * 1.15)
	for y < b.Dy()-ts.mm(30) {
		n := 2 + rng.IntN(3)
		var para []string
		for range n {
			para = append(para, vietSentences[rng.IntN(len(vietSentences))])
		}
		for i, l := range drawWrap(f, strings.Join(para, " "), x1-x0-ts.mm(10)) {
			if y >= b.Dy()-ts.mm(25) {
				return
			}
			indent := 0
			if i == 0 {
				indent = ts.mm(10)
			}
			ts.text(f, x0+indent, y, l)
			y += lh
		}
		y += lh / 3
	}
}

// drawTable typesets a landscape table page like a decision's annex:
// ruled rows of small type in five columns.
func drawTable(ts *pageSetter, rng *rand.Rand) {
	b := ts.img.Bounds()
	x0, x1 := ts.mm(15), b.Dx()-ts.mm(15)
	size := 11 + float64(rng.IntN(2))
	f := ts.face(size, false)
	lh := f.Metrics().Height.Ceil()
	// column shares of the width
	shares := []float64{0.06, 0.36, 0.28, 0.18, 0.12}
	var cols []int
	x := x0
	for _, s := range shares {
		cols = append(cols, x)
		x += int(s * float64(x1-x0))
	}
	cols = append(cols, x1)
	line := color.RGBA{30, 30, 30, 255}
	stroke := max(1, ts.mm(0.25))
	y := ts.mm(20)
	top := y
	ts.rect(image.Rect(x0, y, x1, y+stroke), line)
	row := 1
	for y < b.Dy()-ts.mm(40) {
		cy := y + ts.mm(2)
		bottom := cy
		for c := 0; c+1 < len(cols); c++ {
			var s string
			switch c {
			case 0:
				s = strconv.Itoa(row) + "."
			case 1, 2:
				s = vietSentences[rng.IntN(len(vietSentences))]
			case 3:
				s = []string{"Bộ Tư pháp", "Bộ Công an; Bộ Tài chính", "Ngân hàng Nhà nước Việt Nam", "Các bộ, ngành liên quan", "Ủy ban nhân dân các tỉnh"}[rng.IntN(5)]
			default:
				s = []string{"12/2027", "Quý II/2026", "6/2027", "Hằng năm"}[rng.IntN(4)]
			}
			ly := cy + f.Metrics().Ascent.Ceil()
			for _, l := range drawWrap(f, s, cols[c+1]-cols[c]-ts.mm(3)) {
				ts.text(f, cols[c]+ts.mm(1.5), ly, l)
				ly += lh
			}
			bottom = max(bottom, ly-f.Metrics().Ascent.Ceil())
		}
		y = bottom + ts.mm(2)
		if y > b.Dy()-ts.mm(15) {
			break
		}
		ts.rect(image.Rect(x0, y, x1, y+stroke), line)
		row++
	}
	for _, c := range cols {
		ts.rect(image.Rect(c, top, c+stroke, y+stroke), line)
	}
}

// Page layouts drawTurnedPage can be asked for.
const (
	anyLayout   = iota // prose two times in three, else a table
	proseLayout        // portrait, a heading and paragraphs
	tableLayout        // landscape, a ruled table of small type
)

// drawTurnedPage draws one page of class c in the layout asked for, turned
// clockwise by turns.
func drawTurnedPage(t testing.TB, c degradation, turns int, seed uint64, layout int) *turnedPage {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(len(c))<<8|uint64(turns)))
	reg, bold := loadTestFonts(t)
	dpi := 200.0
	if c == deg150 {
		dpi = 150
	}
	if c == degClean || c == degBleed || c == degMarks {
		dpi = []float64{200, 300}[rng.IntN(2)]
	}
	table := rng.IntN(3) == 0
	if layout != anyLayout {
		table = layout == tableLayout
	}
	w, h := int(210*dpi/25.4), int(297*dpi/25.4)
	if table {
		w, h = h, w
	}
	ts := &pageSetter{img: image.NewRGBA(image.Rect(0, 0, w, h)), dpi: dpi, faces: map[[2]float64]font.Face{}, reg: reg, bold: bold}
	draw.Draw(ts.img, ts.img.Bounds(), image.NewUniform(color.RGBA{255, 255, 255, 255}), image.Point{}, draw.Src)
	if table {
		drawTable(ts, rng)
	} else {
		drawProse(ts, rng)
	}
	img := ts.img
	if c == degMarks || c == degAll {
		drawSeal(img, rng, dpi)
		drawSignature(img, rng, dpi)
	}
	g := lumaOf(img)
	if c == degBleed || c == degAll {
		drawBleed(t, g, rng, dpi, table)
	}
	drawBlur(g)
	skew := math.Round((rng.Float64()*6-3)*100) / 100
	g = raster.Render(g, raster.RotateAbout(skew, float64(w)/2, float64(h)/2).Invert(), w, h)
	tr, tw, th := raster.QuarterTurn(turns, w, h)
	g = raster.Render(g, tr.Invert(), tw, th)
	switch c {
	case degNoise, degAll:
		drawTone(g, rng, 0.85)
		drawNoise(g, rng, 20)
	case deg150:
		drawNoise(g, rng, 8)
	case degSpeckle:
		drawSpeckle(g, rng, dpi)
	case degBorder:
		drawBorder(g, rng, dpi)
		drawTone(g, rng, 0.75)
	case degBleed:
		drawNoise(g, rng, 4)
	}
	if c == degAll {
		drawSpeckle(g, rng, dpi)
		drawBorder(g, rng, dpi)
	}
	if c == degJPEG || c == degAll {
		drawNoise(g, rng, 6)
		g = drawJPEG(t, g, 40)
	}
	return &turnedPage{Gray: g, DPI: dpi, Turns: turns, Skew: skew, Table: table}
}

func lumaOf(img *image.RGBA) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for i := 0; i < len(g.Pix); i++ {
		p := img.Pix[4*i:]
		g.Pix[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return g
}

// inkOver darkens img by colour c with coverage a at (x, y).
func inkOver(img *image.RGBA, x, y int, c color.RGBA, a float64) {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return
	}
	p := img.Pix[img.PixOffset(x, y):]
	for i, v := range []uint8{c.R, c.G, c.B} {
		p[i] = uint8(float64(p[i]) * (1 - a + a*float64(v)/255))
	}
}

// seal stamps a red official seal, rings and a star, over the lower half.
func drawSeal(img *image.RGBA, rng *rand.Rand, dpi float64) {
	b := img.Bounds()
	r := 20 * dpi / 25.4
	cx := float64(b.Dx()) * (0.45 + 0.3*rng.Float64())
	cy := float64(b.Dy()) * (0.45 + 0.35*rng.Float64())
	red := color.RGBA{215, 35, 40, 255}
	ring := 1.2 * dpi / 25.4
	for y := int(cy - r - 2); y <= int(cy+r+2); y++ {
		for x := int(cx - r - 2); x <= int(cx+r+2); x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			a := 0.0
			switch {
			case d <= r && d >= r-ring, d <= 0.7*r && d >= 0.7*r-ring/2:
				a = 0.9
			case d < r-ring && d > 0.7*r && int(math.Atan2(float64(y)-cy, float64(x)-cx)*40)%3 == 0:
				a = 0.8 // lettering round the ring
			case d < 0.25*r:
				a = 0.85
			}
			if a > 0 && rng.Float64() > 0.1 {
				inkOver(img, x, y, red, a)
			}
		}
	}
}

// signature scrawls a blue pen line through the text above the seal.
func drawSignature(img *image.RGBA, rng *rand.Rand, dpi float64) {
	b := img.Bounds()
	blue := color.RGBA{30, 50, 190, 255}
	x := float64(b.Dx()) * (0.4 + 0.3*rng.Float64())
	y := float64(b.Dy()) * (0.5 + 0.3*rng.Float64())
	pen := 0.5 * dpi / 25.4
	for i := 0; i < 4000; i++ {
		s := float64(i) / 4000
		px := x + s*45*dpi/25.4
		py := y + math.Sin(s*25+rng.Float64()*0.2)*6*dpi/25.4*(1-s/2)
		for dy := -pen; dy <= pen; dy++ {
			for dx := -pen; dx <= pen; dx++ {
				inkOver(img, int(px+dx), int(py+dy), blue, 0.9)
			}
		}
	}
}

// bleed shows a mirrored page of other text through the paper.
func drawBleed(t testing.TB, g *image.Gray, rng *rand.Rand, dpi float64, table bool) {
	b := g.Bounds()
	reg, bold := loadTestFonts(t)
	ts := &pageSetter{img: image.NewRGBA(b), dpi: dpi, faces: map[[2]float64]font.Face{}, reg: reg, bold: bold}
	draw.Draw(ts.img, b, image.NewUniform(color.RGBA{255, 255, 255, 255}), image.Point{}, draw.Src)
	if table {
		drawTable(ts, rng)
	} else {
		drawProse(ts, rng)
	}
	back := lumaOf(ts.img)
	w := b.Dx()
	strength := 0.25 + 0.1*rng.Float64()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < w; x++ {
			v := float64(back.Pix[y*back.Stride+w-1-x])
			shade := 1 - strength*(1-v/255)
			i := y*g.Stride + x
			g.Pix[i] = uint8(float64(g.Pix[i]) * shade)
		}
	}
}

func drawBlur(g *image.Gray) {
	b := g.Bounds()
	src := append([]uint8(nil), g.Pix...)
	for y := 1; y < b.Dy()-1; y++ {
		for x := 1; x < b.Dx()-1; x++ {
			i := y*g.Stride + x
			s := 4*int(src[i]) + int(src[i-1]) + int(src[i+1]) + int(src[i-g.Stride]) + int(src[i+g.Stride])
			g.Pix[i] = uint8(s / 8)
		}
	}
}

// tone darkens the paper to a grey of about level·255, lit unevenly.
func drawTone(g *image.Gray, rng *rand.Rand, level float64) {
	b := g.Bounds()
	gx, gy := rng.Float64()-0.5, rng.Float64()-0.5
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			l := level + 0.12*(gx*float64(x)/float64(b.Dx())+gy*float64(y)/float64(b.Dy()))
			i := y*g.Stride + x
			g.Pix[i] = uint8(math.Min(255, float64(g.Pix[i])*l))
		}
	}
}

func drawNoise(g *image.Gray, rng *rand.Rand, sigma float64) {
	for i, v := range g.Pix {
		g.Pix[i] = uint8(math.Max(0, math.Min(255, float64(v)+rng.NormFloat64()*sigma)))
	}
}

// speckle scatters dark dust specks and a few toner blotches.
func drawSpeckle(g *image.Gray, rng *rand.Rand, dpi float64) {
	b := g.Bounds()
	n := int(float64(b.Dx()*b.Dy()) / (dpi * dpi) * 25) // ~25 specks per square inch
	for range n {
		x, y := rng.IntN(b.Dx()), rng.IntN(b.Dy())
		r := 0.5 + rng.Float64()*dpi/100
		for dy := -int(r); dy <= int(r); dy++ {
			for dx := -int(r); dx <= int(r); dx++ {
				if float64(dx*dx+dy*dy) <= r*r && (image.Point{x + dx, y + dy}.In(b)) {
					g.Pix[(y+dy)*g.Stride+x+dx] = uint8(rng.IntN(60))
				}
			}
		}
	}
}

// border darkens two or three edges as an open scanner lid does, with a
// ragged inner edge.
func drawBorder(g *image.Gray, rng *rand.Rand, dpi float64) {
	b := g.Bounds()
	for side := range 4 {
		if side == 3 && rng.IntN(2) == 0 {
			continue
		}
		depth := (3 + rng.Float64()*7) * dpi / 25.4
		n := b.Dx()
		if side%2 == 1 {
			n = b.Dy()
		}
		for i := 0; i < n; i++ {
			d := int(depth * (1 + 0.3*math.Sin(float64(i)/37)))
			for j := 0; j < d; j++ {
				var x, y int
				switch side {
				case 0:
					x, y = i, j
				case 1:
					x, y = b.Dx()-1-j, i
				case 2:
					x, y = i, b.Dy()-1-j
				default:
					x, y = j, i
				}
				g.Pix[y*g.Stride+x] = uint8(15 + rng.IntN(30))
			}
		}
	}
}

func drawJPEG(t testing.TB, g *image.Gray, q int) *image.Gray {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("gray JPEG decoded as %T", img)
	}
	return out
}
