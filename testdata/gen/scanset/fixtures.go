package scanset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// anHousehold is the family of the colour form: fixed, so that tests can
// look for these names and numbers in the text the pipeline extracts.
func anHousehold() household {
	var loc locality
	for _, l := range localities {
		if l.ward == "phường Suối Hoa" {
			loc = l
		}
	}
	home := address{loc, "Số 24 đường Nguyễn Gia Thiều"}
	bn := provinceByCode("027")
	return household{
		head:   person{name: "LÊ VĂN TUẤN", born: date{21, 5, 1984}, birth: bn, id: "027084011578", home: home},
		spouse: person{name: "NGUYỄN THỊ NGỌC ẨN", female: true, born: date{7, 3, 1986}, birth: bn, id: "027186009213", home: home},
		children: []person{
			{name: "LÊ MINH ĐỨC", born: date{19, 11, 2012}, birth: bn, id: "027212004836", home: home},
			{name: "LÊ NGỌC BẢO ANH", female: true, born: date{2, 6, 2016}, birth: bn, id: "027316005127", home: home},
		},
	}
}

// fixtures is the committed set. File names are a contract with the
// pipeline's tests; so are the dpi, skew, rotation and colour of each page.
func fixtures(seed uint64) []*outputFile {
	// The three household pages share one family, as a real dossier does.
	family := randomHousehold(rand.New(rand.NewPCG(seed, 1<<32)))
	oldHome := randomAddress(rand.New(rand.NewPCG(seed, 1<<32+1)), localities[8])
	an := anHousehold()

	page := func(build func(*rand.Rand) *doc, dpi int, skew float64, rotation int, color bool) *pageJob {
		return &pageJob{build: build, dpi: dpi, spec: scanSpec{skew: skew, rotation: rotation, color: color}}
	}
	showing := func(j *pageJob, back func(*rand.Rand) *doc, strength float64) *pageJob {
		j.back, j.spec.show = back, strength
		return j
	}
	lossless := func(o *outputFile) *outputFile {
		for _, j := range o.pages {
			j.spec.lossless = true
		}
		return o
	}
	birth := func(rng *rand.Rand) *doc {
		h := randomHousehold(rng)
		return birthDeclaration(rng, h, h.newborn(rng, date{14, 2, 2025}), date{20, 2, 2025})
	}
	blank := &pageJob{dpi: 300, spec: scanSpec{show: 0.035, specks: 3}, back: decision}

	return []*outputFile{
		{name: "form-300.jpg", format: "jpg", quality: 75, pages: []*pageJob{
			page(func(*rand.Rand) *doc {
				return residenceCertificate(an, an.spouse, date{18, 3, 2025}, "Thiếu tá Đỗ Mạnh Cường")
			}, 300, 1.0, 0, true)}},
		lossless(&outputFile{name: "notice-skew7-300.png", format: "png", pages: []*pageJob{
			page(notice, 300, 7.0, 0, false)}}),
		{name: "decision-skew-12-200.jpg", format: "jpg", quality: 75, pages: []*pageJob{
			showing(page(decision, 200, -12.0, 0, false), plan, 0.06)}},
		{name: "birth-upside-200.jpg", format: "jpg", quality: 75, pages: []*pageJob{
			showing(page(birth, 200, 2.0, 180, false), notice, 0.07)}},
		lossless(&outputFile{name: "household-3p-300.tif", format: "tif", pages: []*pageJob{
			page(func(rng *rand.Rand) *doc {
				return residenceApplication(rng, family, family.spouse, oldHome, date{10, 3, 2025})
			}, 300, -3.0, 0, false),
			page(func(rng *rand.Rand) *doc {
				return consent(rng, family, family.spouse, date{3, 3, 2025})
			}, 300, 4.5, 0, false),
			page(func(rng *rand.Rand) *doc {
				return landCertificate(rng, family, date{16, 9, 2019}, officer(rng, false))
			}, 300, 0.5, 90, false),
		}}),
		{name: "blank-300.jpg", format: "jpg", quality: 75, pages: []*pageJob{blank}},
		lossless(&outputFile{name: "receipt-150.png", format: "png", pages: []*pageJob{
			page(func(rng *rand.Rand) *doc {
				return receipt(rng, randomPerson(rng, 1970, 1995), date{5, 6, 2025})
			}, 150, 0, 0, false)}}),
		{name: "scanner-2p.pdf", format: "pdf", quality: 70, pages: []*pageJob{
			page(func(rng *rand.Rand) *doc {
				h := randomHousehold(rng)
				return vehicleRegistration(h.head, randomVehicle(rng, h.head.home.loc.prov), date{27, 8, 2024}, "Trung tá Nguyễn Văn Khải")
			}, 300, 2.0, 0, true),
			showing(page(plan, 300, -5.0, 0, false), notice, 0.07),
		}},
	}
}

// bench makes n unseen pages: random texts and kinds, 200 or 300 dpi, skew
// uniform in [-15°, 15°] (lessened only where a line would leave the
// image), one in five upside down, one in ten sideways, JPEG or PNG.
func bench(n int, seed uint64) []*outputFile {
	var outs []*outputFile
	for i := 0; i < n; i++ {
		rng := rand.New(rand.NewPCG(seed, 1<<40|uint64(i)))
		form := rng.IntN(2) == 0
		build := randomParagraph
		if form {
			build = randomForm
		}
		j := &pageJob{build: build, dpi: pick(rng, []int{200, 300}), shrink: true}
		j.spec.skew = math.Round((rng.Float64()*30-15)*100) / 100
		switch u := rng.Float64(); {
		case u < 0.2:
			j.spec.rotation = 180
		case u < 0.3:
			j.spec.rotation = pick(rng, []int{90, 270})
		}
		j.spec.color = form && rng.IntN(2) == 0
		if rng.IntN(10) < 3 {
			j.back, j.spec.show = randomParagraph, 0.05+rng.Float64()*0.05
		}
		o := &outputFile{format: "jpg", quality: 70 + rng.IntN(21), pages: []*pageJob{j}}
		if rng.IntN(2) == 0 {
			o.format = "png"
			j.spec.lossless = true
		}
		o.name = fmt.Sprintf("bench-%04d.%s", i+1, o.format)
		outs = append(outs, o)
	}
	return outs
}
