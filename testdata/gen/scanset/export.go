package scanset

import (
	"fmt"
	"math/rand/v2"
)

// Doc is a page laid out by a generator outside this package (the forms
// of testdata/gen/forms) for this package to typeset and scan: the same
// serif, dotted leaders, seals and signatures as the pages made here.
// Its methods add elements in reading order and return the Doc.
type Doc struct{ d *doc }

// NewDoc starts a page set in body type of the given size in points (13
// and 14 are what official documents use; long forms squeeze to 12).
func NewDoc(name string, body float64) *Doc {
	return &Doc{&doc{name: name, kind: "form", body: body}}
}

// Field is one label and its filled-in value on a form's line; Col is where
// it starts, as a fraction of the text width (the first field of a line
// starts at 0).
type Field struct {
	Label, Value string
	Col          float64
}

// SignBlock is a signature block: titles, an italic note, the room for the
// hand signature, the typed name; a seal reading RingText over it when
// Sealed.
type SignBlock struct {
	Titles         []string
	Note, Name     string
	Signed, Sealed bool
	RingText       string
}

// Motto adds the national heading.
func (d *Doc) Motto() *Doc { d.d.motto(); return d }

// Agency adds the issuing body's heading, its last line bold.
func (d *Doc) Agency(lines ...string) *Doc { d.d.agency(lines...); return d }

// Title adds a centred bold line of the given size in points.
func (d *Doc) Title(size float64, text string) *Doc { d.d.center(bold, size, text); return d }

// Center adds a centred regular line.
func (d *Doc) Center(text string) *Doc { d.d.center(regular, 0, text); return d }

// DateLine adds an italic line in the right column, where date lines stand.
func (d *Doc) DateLine(text string) *Doc { d.d.right(italic, text); return d }

// Heading adds a bold line flush left.
func (d *Doc) Heading(text string) *Doc { d.d.left(bold, text); return d }

// Left adds a regular line flush left, wrapped.
func (d *Doc) Left(text string) *Doc { d.d.left(regular, text); return d }

// Para adds a justified paragraph, its first line indented.
func (d *Doc) Para(text string) *Doc { d.d.para(text); return d }

// Field adds a line with one field; a long value goes on over further
// dotted lines. An empty label puts the value alone on a dotted line.
func (d *Doc) Field(label, value string) *Doc { d.d.field(label, value); return d }

// Fields adds one line holding several fields side by side.
func (d *Doc) Fields(fs ...Field) *Doc {
	var row []field
	for _, f := range fs {
		row = append(row, field{label: f.Label, value: f.Value, col: f.Col})
	}
	d.d.fieldRow(row...)
	return d
}

// Space adds vertical space, in millimetres.
func (d *Doc) Space(mm float64) *Doc { d.d.space(mm); return d }

// Sign adds a signature block in the right column.
func (d *Doc) Sign(s SignBlock) *Doc {
	d.d.sign(signBlock{titles: s.Titles, note: s.Note, name: s.Name, signed: s.Signed, sealed: s.Sealed, ringText: s.RingText})
	return d
}

// HardSpec says how HardScan degrades a page: as page Index of Class of
// the hard set (see Hard; some classes vary with the index), turned
// clockwise by Turn degrees, scanned at DPI (0: the class's own).
type HardSpec struct {
	Class      string
	Index      int
	Turn       int
	DPI        int
	Stream     uint64 // numbers the page's random streams: one per page of a set
	ColourHalf bool   // scan in colour half the time where the class does not decide
}

// HardScan typesets d and scans it with the faults of a hard-set page,
// into a single-page file named name plus the format's extension. The same
// seed and spec give the same bytes.
func HardScan(name string, d *Doc, spec HardSpec, seed uint64) (File, error) {
	valid := false
	for _, c := range HardClasses {
		valid = valid || c == spec.Class
	}
	if !valid {
		return File{}, fmt.Errorf("hard scan %s: unknown class %q", name, spec.Class)
	}
	rng := rand.New(rand.NewPCG(seed, 5<<40|spec.Stream<<8))
	o := hardPage(rng, spec.Class, spec.Index, spec.Turn)
	j := o.pages[0]
	j.build = func(*rand.Rand) *doc { return d.d }
	if spec.DPI != 0 {
		j.dpi = spec.DPI
	}
	if spec.ColourHalf && spec.Class != ClassSealSignature && spec.Class != ClassDeskMix && !o.noDPI {
		j.spec.color = rng.IntN(2) == 0
	}
	o.name = name + "." + o.format
	o.quick = true
	o.stream = 6<<40 | spec.Stream<<8
	files, err := generate([]*outputFile{o}, seed)
	if err != nil {
		return File{}, err
	}
	return files[0], nil
}
