package pdf

// PDF/A-2b checks. There is no PDF/A validator on the machine (veraPDF is
// not packaged for Debian), so the rules that apply to what this writer
// emits are checked one by one with independent readers: poppler's
// pdfinfo for the information dictionary and the XMP packet as stored,
// encoding/xml for the packet's content, qpdf's JSON dump for the object
// structure, Ghostscript (through lcms) for the ICC profile.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// XMP namespaces the checks look properties up by.
const (
	nsRDF       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsPDFAID    = "http://www.aiim.org/pdfa/ns/id/"
	nsDC        = "http://purl.org/dc/elements/1.1/"
	nsXMP       = "http://ns.adobe.com/xap/1.0/"
	nsPDF       = "http://ns.adobe.com/pdf/1.3/"
	nsExtension = "http://www.aiim.org/pdfa/ns/extension/"
	nsSchema    = "http://www.aiim.org/pdfa/ns/schema#"
	nsProperty  = "http://www.aiim.org/pdfa/ns/property#"
	nsType      = "http://www.aiim.org/pdfa/ns/type#"
	nsField     = "http://www.aiim.org/pdfa/ns/field#"
)

// withOriginals gives every page but the last an original, as the
// pipeline does for pages from files; the last page shows that a page
// without one still gets its entry.
func withOriginals(pages []Page) []Page {
	out := make([]Page, len(pages))
	copy(out, pages)
	for i := range out[:len(out)-1] {
		out[i].Original = Original{
			Name:   fmt.Sprintf("Giấy khai sinh & CCCD <%d>.pdf", i),
			Page:   i + 2,
			SHA256: strings.Repeat(fmt.Sprintf("%X", 10+i), 64), // upper case: written lower
		}
	}
	return out
}

func TestPDFA(t *testing.T) {
	s := newSample(t)
	tests := []struct {
		name  string
		info  Info
		pages []Page
	}{
		{"full info", sampleInfo, withOriginals(s.pages)},
		{"pipeline info", Info{Title: "HS-000.12.34-240605-0001", Creator: "sohoa 1.0", Producer: "sohoa 1.0",
			Created: time.Date(2024, 6, 5, 7, 30, 0, 0, time.UTC)}, withOriginals(s.pages[1:])},
		// Sub-second and a half-hour zone west of UTC: both forms must
		// still name the same second.
		{"odd date", Info{Title: " HS-1 ", Created: time.Date(2024, 12, 31, 23, 59, 59, 999e6, time.FixedZone("NST", -(3*3600+30*60)))},
			s.pages[:1]},
		{"no info", Info{}, s.pages[2:]},
		// Compacted page images: CCITT G4 and grey JPEG.
		{"compact images", sampleInfo, withOriginals(compactPages(t))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := writeDoc(t, tc.info, tc.pages)
			path := saveTemp(t, "dossier.pdf", b)
			checkValid(t, path)
			checkPDFABytes(t, b)
			checkPDFAObjects(t, path)
			info := pdfInfo(t, path)
			x := checkXMPPacket(t, tool(t, "pdfinfo", "-meta", path))
			checkInfoMatchesXMP(t, info, x)
			checkExtensionSchemas(t, x)
			checkDossierXMP(t, x, info, tc.pages)
		})
	}
}

// TestPDFADates pins the dates themselves, not only their agreement.
func TestPDFADates(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages[2:]))
	info := pdfInfo(t, path)
	x := parseXMP(t, tool(t, "pdfinfo", "-meta", path))
	for _, want := range []struct{ got, want string }{
		{info["CreationDate"], "D:20240605143000+07'00'"},
		{info["ModDate"], "D:20240605143000+07'00'"},
		{x.text(nsXMP, "CreateDate"), "2024-06-05T14:30:00+07:00"},
		{x.text(nsXMP, "ModifyDate"), "2024-06-05T14:30:00+07:00"},
		{x.text(nsXMP, "MetadataDate"), "2024-06-05T14:30:00+07:00"},
	} {
		if want.got != want.want {
			t.Errorf("date %q, want %q", want.got, want.want)
		}
	}

	path = saveTemp(t, "nodate.pdf", writeDoc(t, Info{Title: "HS-1"}, s.pages[2:]))
	info = pdfInfo(t, path)
	x = parseXMP(t, tool(t, "pdfinfo", "-meta", path))
	for _, k := range []string{"CreationDate", "ModDate"} {
		if v, ok := info[k]; ok {
			t.Errorf("no Created, yet %s %q", k, v)
		}
	}
	for _, k := range []string{"CreateDate", "ModifyDate", "MetadataDate"} {
		if len(x.all(nsXMP, k)) != 0 {
			t.Errorf("no Created, yet xmp:%s", k)
		}
	}
}

func TestDeviceCMYKRefused(t *testing.T) {
	s := newSample(t)
	p := s.pages[2]
	p.Image = Image{Width: 2, Height: 2, BitsPerComponent: 8, ColorSpace: "DeviceCMYK", Data: make([]byte, 16)}
	w, err := NewWriter(&bytes.Buffer{}, Info{})
	if err != nil {
		t.Fatal(err)
	}
	err = w.AddPage(p)
	if !errors.Is(err, ErrDeviceCMYK) || !strings.Contains(err.Error(), "convert the scan to RGB") {
		t.Fatalf("AddPage of a DeviceCMYK image: %v, want ErrDeviceCMYK", err)
	}
	// The refusal leaves the writer usable: the caller converts and goes on.
	if err := w.AddPage(s.pages[2]); err != nil {
		t.Fatalf("AddPage after a refused page: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataRejects(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	pages := []struct {
		name string
		orig Original
		want string
	}{
		{"no name", Original{Page: 1, SHA256: hash}, "no file name"},
		{"page 0", Original{Name: "a.pdf", SHA256: hash}, "original page 0"},
		{"short hash", Original{Name: "a.pdf", Page: 1, SHA256: hash[:63]}, "SHA-256"},
		{"not hex", Original{Name: "a.pdf", Page: 1, SHA256: strings.Repeat("g", 64)}, "SHA-256"},
		{"control", Original{Name: "a\r.pdf", Page: 1, SHA256: hash}, "control character"},
		{"not utf-8", Original{Name: "a\xff.pdf", Page: 1, SHA256: hash}, "UTF-8"},
	}
	s := newSample(t)
	for _, tc := range pages {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(&bytes.Buffer{}, Info{})
			if err != nil {
				t.Fatal(err)
			}
			p := s.pages[2]
			p.Original = tc.orig
			if err := w.AddPage(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AddPage: %v, want an error about %q", err, tc.want)
			}
		})
	}

	infos := []struct {
		name string
		info Info
		want string
	}{
		{"title control", Info{Title: "HS\n1"}, "info title: control character"},
		{"creator C1", Info{Creator: "x\u0085y"}, "info creator: control character"},
		{"noncharacter", Info{Subject: "\uFFFE"}, "info subject"},
		{"long", Info{Author: strings.Repeat("ệ", 16384)}, "info author"},
		{"year", Info{Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "year"},
	}
	for _, tc := range infos {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewWriter(&bytes.Buffer{}, tc.info); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewWriter: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// pdfInfo is pdfinfo's view of the information dictionary, dates raw.
func pdfInfo(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(tool(t, "pdfinfo", "-rawdates", path), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	if m["Custom Metadata"] != "no" || m["JavaScript"] != "no" || m["Encrypted"] != "no" || m["PDF version"] != "1.7" {
		t.Errorf("pdfinfo: custom metadata %q, JavaScript %q, encrypted %q, version %q; want no, no, no, 1.7",
			m["Custom Metadata"], m["JavaScript"], m["Encrypted"], m["PDF version"])
	}
	return m
}

// checkPDFABytes checks the file-structure rules that are about bytes
// (ISO 19005-2 6.1.2, 6.1.3, 6.1.7): the header and its binary comment,
// the end-of-line markers around stream data, and nothing after %%EOF but
// one end-of-line. qpdf --check has already compared every /Length with
// the data.
func checkPDFABytes(t *testing.T, b []byte) {
	t.Helper()
	header, rest, _ := bytes.Cut(b, []byte("\n"))
	if string(header) != "%PDF-1.7" {
		t.Errorf("header %q, want %%PDF-1.7", header)
	}
	comment, _, _ := bytes.Cut(rest, []byte("\n"))
	if len(comment) < 5 || comment[0] != '%' {
		t.Errorf("second line %q is not a comment", comment)
	} else {
		for _, c := range comment[1:5] {
			if c < 128 {
				t.Errorf("binary comment %q has a byte below 128", comment)
			}
		}
	}
	starts := regexp.MustCompile(`>>[\r\n ]*stream(\r\n|\n)`).FindAllIndex(b, -1)
	ends := regexp.MustCompile(`(\r\n|\n|\r)endstream\b`).FindAllIndex(b, -1)
	if n := bytes.Count(b, []byte("endstream")); len(starts) != n || len(ends) != n {
		t.Errorf("%d endstream keywords, %d stream keywords followed by EOL, %d endstream preceded by EOL",
			n, len(starts), len(ends))
	}
	if !bytes.HasSuffix(b, []byte("%%EOF\n")) && !bytes.HasSuffix(b, []byte("%%EOF")) {
		t.Errorf("file ends %q, want %%%%EOF and at most one EOL", b[max(0, len(b)-10):])
	}
}

// qpdfObjects is qpdf's JSON dump of a file: each object as "obj:N 0 R"
// and the trailer, values in qpdf's JSON encoding (names "/X", strings
// "u:..." or "b:hex", references "N 0 R").
type qpdfObjects map[string]struct {
	Value  any `json:"value"`
	Stream *struct {
		Dict map[string]any `json:"dict"`
	} `json:"stream"`
}

// dict returns the dictionary of object ref (a stream's dictionary for a
// stream), or nil.
func (q qpdfObjects) dict(ref any) map[string]any {
	if d, ok := ref.(map[string]any); ok {
		return d
	}
	s, _ := ref.(string)
	o, ok := q["obj:"+s]
	if !ok {
		return nil
	}
	if o.Stream != nil {
		return o.Stream.Dict
	}
	d, _ := o.Value.(map[string]any)
	return d
}

func (q qpdfObjects) isStream(ref any) bool {
	s, _ := ref.(string)
	o, ok := q["obj:"+s]
	return ok && o.Stream != nil
}

// checkPDFAObjects checks the object-level rules of ISO 19005-2 that this
// writer's output touches, on qpdf's parse of the file: trailer, catalog,
// output intent, metadata stream, information dictionary, fonts, images,
// pages, and keys and names that PDF/A forbids anywhere.
func checkPDFAObjects(t *testing.T, path string) {
	t.Helper()
	var dump struct {
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal([]byte(tool(t, "qpdf", "--json=2", "--json-key=qpdf", path)), &dump); err != nil || len(dump.QPDF) != 2 {
		t.Fatalf("qpdf --json: %v", err)
	}
	var q qpdfObjects
	if err := json.Unmarshal(dump.QPDF[1], &q); err != nil {
		t.Fatal(err)
	}
	trailer, _ := q["trailer"].Value.(map[string]any)

	// 6.1.3: an /ID, no encryption.
	if id, _ := trailer["/ID"].([]any); len(id) != 2 || !regexp.MustCompile(`^b:[0-9a-f]{32}$`).MatchString(fmt.Sprint(id[0])) {
		t.Errorf("trailer /ID %v, want two 16-byte strings", trailer["/ID"])
	}
	if _, ok := trailer["/Encrypt"]; ok {
		t.Error("trailer has /Encrypt")
	}

	// 6.6.2.1, 6.2.3: the catalog holds the metadata stream and exactly
	// one PDF/A output intent with an RGB profile, and nothing a
	// conforming reader would have to act on.
	catalog := q.dict(trailer["/Root"])
	for k := range catalog {
		switch k {
		case "/Type", "/Pages", "/Metadata", "/OutputIntents":
		default:
			t.Errorf("catalog has %s", k)
		}
	}
	if md := q.dict(catalog["/Metadata"]); !q.isStream(catalog["/Metadata"]) || md["/Type"] != "/Metadata" || md["/Subtype"] != "/XML" || md["/Filter"] != nil {
		t.Errorf("catalog /Metadata %v: want an unfiltered /Type /Metadata /Subtype /XML stream", md)
	}
	intents, _ := catalog["/OutputIntents"].([]any)
	if len(intents) != 1 {
		t.Fatalf("catalog /OutputIntents %v, want one", catalog["/OutputIntents"])
	}
	oi := q.dict(intents[0])
	if oi["/Type"] != "/OutputIntent" || oi["/S"] != "/GTS_PDFA1" || oi["/OutputConditionIdentifier"] != "u:sRGB IEC61966-2.1" {
		t.Errorf("output intent %v", oi)
	}
	if !q.isStream(oi["/DestOutputProfile"]) || q.dict(oi["/DestOutputProfile"])["/N"] != 3.0 {
		t.Errorf("output intent profile %v: want an ICC stream with /N 3", oi["/DestOutputProfile"])
	} else {
		ref := strings.Fields(oi["/DestOutputProfile"].(string))[0]
		icc := tool(t, "qpdf", "--show-object="+ref, "--filtered-stream-data", path)
		if len(icc) < 128 || icc[16:20] != "RGB " || icc[36:40] != "acsp" {
			t.Errorf("output intent profile: not an RGB ICC profile (%d bytes)", len(icc))
		}
	}

	// 6.6.2.3: the information dictionary has the standard keys only.
	for k := range q.dict(trailer["/Info"]) {
		switch k {
		case "/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer", "/CreationDate", "/ModDate", "/Trapped":
		default:
			t.Errorf("information dictionary has %s", k)
		}
	}

	for name, o := range q {
		if name == "trailer" {
			continue
		}
		var d map[string]any
		if o.Stream != nil {
			d = o.Stream.Dict
		} else {
			d, _ = o.Value.(map[string]any)
		}
		checkForbidden(t, name, o.Value)
		checkForbidden(t, name, d)
		if d == nil {
			continue
		}
		switch {
		case d["/Type"] == "/Page":
			// 6.1.13: page size within the implementation limits.
			box, _ := d["/MediaBox"].([]any)
			if len(box) != 4 {
				t.Errorf("%s: /MediaBox %v", name, d["/MediaBox"])
				break
			}
			for i := range 2 {
				if size := box[i+2].(float64) - box[i].(float64); size < 3 || size > 14400 {
					t.Errorf("%s: page size %v outside 3..14400", name, size)
				}
			}
		case d["/Subtype"] == "/Image" && d["/ImageMask"] == true:
			// A stencil mask (a layered page's print) has no colour
			// space: the colour it is painted with is the page's.
			if d["/ColorSpace"] != nil {
				t.Errorf("%s: stencil mask with a colour space %v", name, d["/ColorSpace"])
			}
		case d["/Subtype"] == "/Image":
			// 6.2.4.3: device colour only as the output intent allows.
			if cs := d["/ColorSpace"]; cs != "/DeviceGray" && cs != "/DeviceRGB" {
				t.Errorf("%s: image colour space %v", name, cs)
			}
		case d["/Subtype"] == "/Type0":
			if d["/ToUnicode"] == nil {
				t.Errorf("%s: Type0 font without /ToUnicode", name)
			}
		case d["/Subtype"] == "/CIDFontType2":
			// 6.2.11.3.2, 6.2.11.4: CIDToGIDMap and an embedded program;
			// the widths (/DW, no /W) are the program's (font_test.go).
			if !q.isStream(d["/CIDToGIDMap"]) && d["/CIDToGIDMap"] != "/Identity" {
				t.Errorf("%s: /CIDToGIDMap %v", name, d["/CIDToGIDMap"])
			}
			if d["/DW"] != float64(glyphlessAdvance) || d["/W"] != nil {
				t.Errorf("%s: /DW %v /W %v, want /DW %d alone", name, d["/DW"], d["/W"], glyphlessAdvance)
			}
			if fd := q.dict(d["/FontDescriptor"]); !q.isStream(fd["/FontFile2"]) {
				t.Errorf("%s: font program not embedded", name)
			}
		}
	}
}

// checkForbidden walks a value for what ISO 19005-2 forbids in any
// object: actions and JavaScript (6.5, 6.6.1), transparency groups and
// soft masks (level B allows them, but this writer never needs them and
// they would need a blending colour space), annotations, external
// streams (6.1.7.1), LZW (6.1.7.2), alternate images and OPI (6.2.8),
// PostScript (6.2.9), interpolation (6.2.8), CMYK.
func checkForbidden(t *testing.T, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			switch k {
			case "/JS", "/JavaScript", "/AA", "/OpenAction", "/Group", "/SMask", "/Annots", "/F", "/FFilter",
				"/FDecodeParms", "/Alternates", "/OPI", "/PS", "/Encrypt":
				t.Errorf("%s: forbidden key %s", where, k)
			case "/Interpolate":
				if e == true {
					t.Errorf("%s: /Interpolate true", where)
				}
			}
			checkForbidden(t, where, e)
		}
	case []any:
		for _, e := range v {
			checkForbidden(t, where, e)
		}
	case string:
		switch v {
		case "/LZWDecode", "/JavaScript", "/DeviceCMYK", "/Transparency", "/PS":
			t.Errorf("%s: forbidden name %s", where, v)
		}
	}
}

// xmlNode is a parsed XML element with namespaces resolved.
type xmlNode struct {
	name     xml.Name
	attr     []xml.Attr
	text     string
	children []*xmlNode
}

func parseXML(data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	root := &xmlNode{}
	stack := []*xmlNode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tok.Name, attr: tok.Attr}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(root.children) != 1 {
		return nil, fmt.Errorf("%d root elements", len(root.children))
	}
	return root.children[0], nil
}

func (n *xmlNode) is(space, local string) bool { return n.name.Space == space && n.name.Local == local }

// child returns the only child named space:local, or nil.
func (n *xmlNode) child(space, local string) *xmlNode {
	var found *xmlNode
	for _, c := range n.children {
		if c.is(space, local) {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}

func (n *xmlNode) attrValue(space, local string) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// items returns the rdf:li of the one container (Alt, Bag or Seq) that is
// the value of property n.
func (n *xmlNode) items(container string) []*xmlNode {
	c := n.child(nsRDF, container)
	if c == nil || len(n.children) != 1 {
		return nil
	}
	return c.children
}

// xmp is a parsed packet: raw as stored, and its rdf:Description
// elements.
type xmp struct {
	raw   string
	descs []*xmlNode
	root  *xmlNode
}

// props returns the properties of all descriptions: XMP allows them to
// be spread over several.
func (x *xmp) props() []*xmlNode {
	var out []*xmlNode
	for _, d := range x.descs {
		out = append(out, d.children...)
	}
	return out
}

func (x *xmp) all(space, local string) []*xmlNode {
	var out []*xmlNode
	for _, p := range x.props() {
		if p.is(space, local) {
			out = append(out, p)
		}
	}
	return out
}

// text returns the value of simple property space:local, "" if absent.
func (x *xmp) text(space, local string) string {
	if all := x.all(space, local); len(all) == 1 {
		return all[0].text
	}
	return ""
}

func parseXMP(t *testing.T, raw string) *xmp {
	t.Helper()
	root, err := parseXML([]byte(raw))
	if err != nil {
		t.Fatalf("XMP packet does not parse as XML: %v\n%s", err, raw)
	}
	if !root.is("adobe:ns:meta/", "xmpmeta") {
		t.Fatalf("XMP root element %v", root.name)
	}
	rdf := root.child(nsRDF, "RDF")
	if rdf == nil {
		t.Fatal("XMP has no rdf:RDF")
	}
	x := &xmp{raw: raw, root: root}
	for _, c := range rdf.children {
		if !c.is(nsRDF, "Description") {
			t.Errorf("rdf:RDF holds %v", c.name)
			continue
		}
		if about, ok := c.attrValue(nsRDF, "about"); !ok || about != "" {
			t.Errorf("rdf:Description rdf:about=%q, want empty", about)
		}
		x.descs = append(x.descs, c)
	}
	return x
}

// checkXMPPacket checks the packet as stored (ISO 19005-2 6.6.2.1: an XMP
// packet, UTF-8, no bytes or encoding attribute) and identifies it as
// PDF/A-2b (6.6.4).
func checkXMPPacket(t *testing.T, raw string) *xmp {
	t.Helper()
	head := "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
	if !strings.HasPrefix(raw, head) {
		t.Errorf("packet starts %q, want %q", raw[:min(len(raw), 60)], head)
	}
	if !strings.HasSuffix(strings.TrimSpace(raw), `<?xpacket end="w"?>`) {
		t.Errorf("packet does not end with a writable xpacket trailer")
	}
	x := parseXMP(t, raw)
	if part, conf := x.text(nsPDFAID, "part"), x.text(nsPDFAID, "conformance"); part != "2" || conf != "B" {
		t.Errorf("pdfaid:part %q conformance %q, want 2 B", part, conf)
	}
	if !strings.Contains(raw, `xmlns:pdfaid="`+nsPDFAID+`"`) {
		t.Error("PDF/A identification schema not under its required prefix pdfaid")
	}
	return x
}

// checkInfoMatchesXMP checks ISO 19005-2 6.6.3: every entry of the
// information dictionary has its XMP equivalent with the same value, and
// the XMP has none the dictionary lacks.
func checkInfoMatchesXMP(t *testing.T, info map[string]string, x *xmp) {
	t.Helper()
	langDefault := func(space, local string) (string, bool) {
		p := x.all(space, local)
		if len(p) == 0 {
			return "", false
		}
		li := p[0].items("Alt")
		if len(p) != 1 || len(li) != 1 {
			t.Errorf("%s %s: want one language alternative", space, local)
			return "", true
		}
		if lang, _ := li[0].attrValue(nsXML, "lang"); lang != "x-default" {
			t.Errorf("%s %s: xml:lang %q, want x-default", space, local, lang)
		}
		return li[0].text, true
	}
	simple := func(space, local string) (string, bool) {
		p := x.all(space, local)
		if len(p) > 1 {
			t.Errorf("%s %s given %d times", space, local, len(p))
		}
		if len(p) == 0 {
			return "", false
		}
		return p[0].text, true
	}
	for _, m := range []struct {
		key string
		xmp func() (string, bool)
	}{
		{"Title", func() (string, bool) { return langDefault(nsDC, "title") }},
		{"Subject", func() (string, bool) { return langDefault(nsDC, "description") }},
		{"Author", func() (string, bool) {
			p := x.all(nsDC, "creator")
			if len(p) == 0 {
				return "", false
			}
			li := p[0].items("Seq")
			if len(p) != 1 || len(li) != 1 {
				t.Errorf("dc:creator: want a sequence of one")
				return "", true
			}
			return li[0].text, true
		}},
		{"Creator", func() (string, bool) { return simple(nsXMP, "CreatorTool") }},
		{"Producer", func() (string, bool) { return simple(nsPDF, "Producer") }},
		{"Keywords", func() (string, bool) { return simple(nsPDF, "Keywords") }},
	} {
		want, inInfo := info[m.key]
		got, inXMP := m.xmp()
		if inInfo != inXMP || got != want {
			t.Errorf("Info %s %q (present %v), XMP %q (present %v)", m.key, want, inInfo, got, inXMP)
		}
	}
	for _, m := range []struct{ key, xmp string }{{"CreationDate", "CreateDate"}, {"ModDate", "ModifyDate"}} {
		pdfD, inInfo := info[m.key]
		xmpD, inXMP := simple(nsXMP, m.xmp)
		if inInfo != inXMP {
			t.Errorf("Info %s present %v, xmp:%s present %v", m.key, inInfo, m.xmp, inXMP)
			continue
		}
		if !inInfo {
			continue
		}
		a, err := parsePDFDate(pdfD)
		if err != nil {
			t.Errorf("Info %s: %v", m.key, err)
			continue
		}
		b, err := time.Parse(time.RFC3339, xmpD)
		if err != nil {
			t.Errorf("xmp:%s: %v", m.xmp, err)
			continue
		}
		if !a.Equal(b) {
			t.Errorf("Info %s %s is %v, xmp:%s %s is %v", m.key, pdfD, a, m.xmp, xmpD, b)
		}
	}
	if len(x.all(nsXMP, "ModifyDate")) != len(x.all(nsXMP, "MetadataDate")) {
		t.Error("xmp:MetadataDate not given with xmp:ModifyDate")
	}
}

var pdfDateRE = regexp.MustCompile(`^D:(\d{14})(Z|[+-]\d\d'\d\d'?)?$`)

// parsePDFDate reads a PDF date (ISO 32000-1 7.9.4) as far as this writer
// and test need: all fields and an optional zone.
func parsePDFDate(s string) (time.Time, error) {
	m := pdfDateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("%q not a full PDF date", s)
	}
	loc := time.UTC
	if z := m[2]; z != "" && z != "Z" {
		h, _ := strconv.Atoi(z[1:3])
		mi, _ := strconv.Atoi(z[4:6])
		off := h*3600 + mi*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	return time.ParseInLocation("20060102150405", m[1], loc)
}

// Namespaces PDF/A predefines (ISO 19005-2 6.6.2.3.2 refers to the XMP
// specification's schemas); the checks here only need the ones used.
var predefinedXMP = map[string]bool{nsPDFAID: true, nsDC: true, nsXMP: true, nsPDF: true, nsExtension: true}

// Value types the XMP specification defines and PDF/A accepts without a
// pdfaType definition, as far as these checks need them.
var basicValueTypes = map[string]*regexp.Regexp{
	"Text":    regexp.MustCompile(`(?s)^.*$`),
	"Integer": regexp.MustCompile(`^[+-]?\d+$`),
	"URI":     regexp.MustCompile(`^\S+$`),
}

// checkExtensionSchemas is a validator for ISO 19005-2 6.6.2.3.3: every
// property outside the predefined schemas is declared in a
// pdfaExtension:schemas bag with the required fields, under the prefix it
// is written with, and its value matches its declared type, down to the
// fields of structured types.
func checkExtensionSchemas(t *testing.T, x *xmp) {
	t.Helper()
	type valueType struct {
		ns     string
		fields map[string]string
	}
	declared := map[string]map[string]string{} // namespace -> property -> value type
	types := map[string]valueType{}

	schemas := x.all(nsExtension, "schemas")
	if len(schemas) > 1 {
		t.Fatalf("%d pdfaExtension:schemas properties", len(schemas))
	}
	var bag []*xmlNode
	if len(schemas) == 1 {
		if bag = schemas[0].items("Bag"); bag == nil {
			t.Fatal("pdfaExtension:schemas is not a bag")
		}
	}
	need := func(n *xmlNode, space string, names ...string) map[string]string {
		vals := map[string]string{}
		for _, c := range n.children {
			if c.name.Space != space {
				t.Errorf("%s holds %v from another namespace", n.name.Local, c.name)
			}
			vals[c.name.Local] = c.text
		}
		for _, name := range names {
			if strings.TrimSpace(vals[name]) == "" && n.child(space, name) == nil {
				t.Errorf("%s lacks %s", space, name)
			}
		}
		if pt, _ := n.attrValue(nsRDF, "parseType"); pt != "Resource" && n.child(nsRDF, "Description") == nil {
			t.Errorf("%s entry is not a structure", space)
		}
		return vals
	}
	for _, s := range bag {
		v := need(s, nsSchema, "schema", "namespaceURI", "prefix")
		ns := v["namespaceURI"]
		if !strings.Contains(x.raw, fmt.Sprintf(`xmlns:%s="%s"`, v["prefix"], ns)) {
			t.Errorf("schema %s not written under its prefix %q", ns, v["prefix"])
		}
		declared[ns] = map[string]string{}
		if p := s.child(nsSchema, "property"); p != nil {
			props := p.items("Seq")
			if props == nil {
				t.Errorf("schema %s: pdfaSchema:property is not a Seq", ns)
			}
			for _, li := range props {
				pv := need(li, nsProperty, "name", "valueType", "category", "description")
				if c := pv["category"]; c != "internal" && c != "external" {
					t.Errorf("property %s: category %q", pv["name"], c)
				}
				declared[ns][pv["name"]] = pv["valueType"]
			}
		}
		if vt := s.child(nsSchema, "valueType"); vt != nil {
			lis := vt.items("Seq")
			if lis == nil {
				t.Errorf("schema %s: pdfaSchema:valueType is not a Seq", ns)
			}
			for _, li := range lis {
				tv := need(li, nsType, "type", "namespaceURI", "prefix", "description", "field")
				if !strings.Contains(x.raw, fmt.Sprintf(`xmlns:%s="%s"`, tv["prefix"], tv["namespaceURI"])) {
					t.Errorf("type %s not written under its prefix %q", tv["type"], tv["prefix"])
				}
				typ := valueType{ns: tv["namespaceURI"], fields: map[string]string{}}
				fields := li.child(nsType, "field").items("Seq")
				if fields == nil {
					t.Errorf("type %s: pdfaType:field is not a Seq", tv["type"])
				}
				for _, f := range fields {
					fv := need(f, nsField, "name", "valueType", "description")
					typ.fields[fv["name"]] = fv["valueType"]
				}
				types[tv["type"]] = typ
			}
		}
	}

	// matches reports whether property or field n has value type vt.
	var matches func(n *xmlNode, vt string) error
	matches = func(n *xmlNode, vt string) error {
		for _, array := range []string{"Seq", "Bag", "Alt"} {
			if elem, ok := strings.CutPrefix(vt, array+" "); ok {
				items := n.items(array)
				if items == nil {
					return fmt.Errorf("%v is not a %s", n.name.Local, array)
				}
				for _, li := range items {
					if err := matches(li, elem); err != nil {
						return err
					}
				}
				return nil
			}
		}
		if re, ok := basicValueTypes[vt]; ok {
			if len(n.children) != 0 || !re.MatchString(n.text) {
				return fmt.Errorf("%v: %q is not a %s", n.name.Local, n.text, vt)
			}
			return nil
		}
		typ, ok := types[vt]
		if !ok {
			return fmt.Errorf("%v: value type %q neither basic nor defined", n.name.Local, vt)
		}
		if pt, _ := n.attrValue(nsRDF, "parseType"); pt != "Resource" {
			return fmt.Errorf("%v: %s value is not a structure", n.name.Local, vt)
		}
		for _, c := range n.children {
			fvt, ok := typ.fields[c.name.Local]
			if c.name.Space != typ.ns || !ok {
				return fmt.Errorf("%s structure has undeclared field %v", vt, c.name)
			}
			if err := matches(c, fvt); err != nil {
				return err
			}
		}
		return nil
	}

	used := 0
	for _, p := range x.props() {
		if predefinedXMP[p.name.Space] {
			continue
		}
		used++
		vt, ok := declared[p.name.Space][p.name.Local]
		if !ok {
			t.Errorf("property %v is not declared in an extension schema", p.name)
			continue
		}
		if err := matches(p, vt); err != nil {
			t.Error(err)
		}
	}
	if used == 0 {
		t.Error("no extension properties found to check")
	}
}

// checkDossierXMP checks the sohoa properties against what was written.
func checkDossierXMP(t *testing.T, x *xmp, info map[string]string, pages []Page) {
	t.Helper()
	if code, ok := info["Title"]; ok {
		if got := x.text(NamespaceDossier, "dossierCode"); got != code {
			t.Errorf("sohoa:dossierCode %q, want the title %q", got, code)
		}
	} else if len(x.all(NamespaceDossier, "dossierCode")) != 0 {
		t.Error("sohoa:dossierCode without a title")
	}
	if got := x.text(NamespaceDossier, "pageCount"); got != info["Pages"] || got != strconv.Itoa(len(pages)) {
		t.Errorf("sohoa:pageCount %q, pdfinfo says %q pages, %d written", got, info["Pages"], len(pages))
	}
	origs := x.all(NamespaceDossier, "originals")
	if len(origs) != 1 {
		t.Fatalf("%d sohoa:originals", len(origs))
	}
	lis := origs[0].items("Seq")
	if len(lis) != len(pages) {
		t.Fatalf("sohoa:originals has %d entries for %d pages", len(lis), len(pages))
	}
	for i, li := range lis {
		o := pages[i].Original
		want := map[string]string{"dossierPage": strconv.Itoa(i + 1)}
		if o != (Original{}) {
			want["file"] = o.Name
			want["filePage"] = strconv.Itoa(o.Page)
			want["sha256"] = strings.ToLower(o.SHA256)
		}
		got := map[string]string{}
		for _, c := range li.children {
			if c.name.Space != NamespaceOriginal {
				t.Errorf("page %d: field %v outside %s", i+1, c.name, NamespaceOriginal)
			}
			got[c.name.Local] = c.text
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("page %d original %v, want %v", i+1, got, want)
		}
	}
}

// TestSRGBProfile reads the ICC profile back field by field (ICC.1:2001-04,
// version 2.1): header, tag table, tag types, and that the numbers are
// sRGB's.
func TestSRGBProfile(t *testing.T) {
	p := srgbProfile
	t.Logf("sRGB profile: %d bytes (%d compressed)", len(p), len(srgbProfileFlate))
	u32 := func(off int) uint32 { return binary.BigEndian.Uint32(p[off:]) }
	xyz := func(off int) [3]float64 {
		var v [3]float64
		for i := range v {
			v[i] = float64(int32(u32(off+4*i))) / 65536
		}
		return v
	}
	near := func(a, b [3]float64, tol float64) bool {
		for i := range a {
			if math.Abs(a[i]-b[i]) > tol {
				return false
			}
		}
		return true
	}
	if len(p) < 132 || int(u32(0)) != len(p) || len(p)%4 != 0 {
		t.Fatalf("profile of %d bytes, header says %d", len(p), u32(0))
	}
	for _, h := range []struct {
		off  int
		want string
	}{
		{4, "\x00\x00\x00\x00"}, {8, "\x02\x10\x00\x00"}, {12, "mntr"}, {16, "RGB "}, {20, "XYZ "},
		{36, "acsp"}, {64, "\x00\x00\x00\x00"},
	} {
		if got := string(p[h.off : h.off+4]); got != h.want {
			t.Errorf("header at %d: %q, want %q", h.off, got, h.want)
		}
	}
	if y, m, d := binary.BigEndian.Uint16(p[24:]), binary.BigEndian.Uint16(p[26:]), binary.BigEndian.Uint16(p[28:]); y < 1900 || m < 1 || m > 12 || d < 1 || d > 31 {
		t.Errorf("header date %d-%d-%d", y, m, d)
	}
	if got := xyz(68); !near(got, [3]float64{0.9642, 1, 0.8249}, 1e-4) {
		t.Errorf("PCS illuminant %v, want D50", got)
	}
	if !bytes.Equal(p[100:128], make([]byte, 28)) {
		t.Error("reserved header bytes not zero")
	}

	n := int(u32(128))
	tagsEnd := 132 + 12*n
	tags := map[string][]byte{}
	for i := range n {
		rec := 132 + 12*i
		sig, off, size := string(p[rec:rec+4]), int(u32(rec+4)), int(u32(rec+8))
		if off%4 != 0 || off < tagsEnd || off+size > len(p) || size < 12 {
			t.Errorf("tag %q at %d, %d bytes: outside the data area or unaligned", sig, off, size)
			continue
		}
		tags[sig] = p[off : off+size]
	}
	typeOf := map[string]string{"desc": "desc", "cprt": "text", "wtpt": "XYZ ", "rXYZ": "XYZ ", "gXYZ": "XYZ ",
		"bXYZ": "XYZ ", "rTRC": "curv", "gTRC": "curv", "bTRC": "curv"}
	for sig, typ := range typeOf {
		data, ok := tags[sig]
		if !ok {
			t.Errorf("required tag %q missing", sig)
			continue
		}
		if string(data[:4]) != typ || !bytes.Equal(data[4:8], []byte{0, 0, 0, 0}) {
			t.Errorf("tag %q has type %q, want %q and reserved zero", sig, data[:4], typ)
		}
		if typ == "XYZ " && len(data) != 20 {
			t.Errorf("tag %q: %d bytes, want 20", sig, len(data))
		}
	}
	if len(tags) != len(typeOf) {
		t.Errorf("%d tags, want %d", len(tags), len(typeOf))
	}
	if t.Failed() {
		t.FailNow()
	}

	desc := tags["desc"]
	if n := int(binary.BigEndian.Uint32(desc[8:])); 12+n > len(desc) || string(desc[12:12+n]) != srgbName+"\x00" {
		t.Errorf("description %q, want %q", desc[12:min(len(desc), 12+n)], srgbName)
	} else if len(desc) != 12+n+8+3+67 {
		t.Errorf("textDescriptionType of %d bytes, want %d", len(desc), 12+n+8+3+67)
	}
	if cprt := tags["cprt"]; cprt[len(cprt)-1] != 0 {
		t.Error("copyright text not NUL-terminated")
	}

	tagXYZ := func(sig string) [3]float64 {
		d := tags[sig]
		var v [3]float64
		for i := range v {
			v[i] = float64(int32(binary.BigEndian.Uint32(d[8+4*i:]))) / 65536
		}
		return v
	}
	r, g, b := tagXYZ("rXYZ"), tagXYZ("gXYZ"), tagXYZ("bXYZ")
	// The primaries at full intensity add up to the PCS white, D50.
	if sum := [3]float64{r[0] + g[0] + b[0], r[1] + g[1] + b[1], r[2] + g[2] + b[2]}; !near(sum, [3]float64{0.9642, 1, 0.8249}, 1e-3) {
		t.Errorf("colorants add up to %v, want D50", sum)
	}
	if w := tagXYZ("wtpt"); !near(w, [3]float64{0.9505, 1, 1.0891}, 1e-3) {
		t.Errorf("media white point %v, want D65", w)
	}

	curve := tags["rTRC"]
	if !bytes.Equal(curve, tags["gTRC"]) || !bytes.Equal(curve, tags["bTRC"]) {
		t.Error("channel curves differ")
	}
	count := int(binary.BigEndian.Uint32(curve[8:]))
	if count < 2 || len(curve) != 12+2*count {
		t.Fatalf("curve of %d points in %d bytes", count, len(curve))
	}
	prev := -1
	for i := range count {
		v := int(binary.BigEndian.Uint16(curve[12+2*i:]))
		if v < prev {
			t.Fatalf("curve falls at point %d", i)
		}
		prev = v
		// IEC 61966-2.1, computed independently of the profile code.
		x := float64(i) / float64(count-1)
		want := x / 12.92
		if x > 0.04045 {
			want = math.Pow((x+0.055)/1.055, 2.4)
		}
		if math.Abs(float64(v)/65535-want) > 1e-4 {
			t.Fatalf("curve point %d: %v, sRGB gives %v", i, float64(v)/65535, want)
		}
	}
	if first, last := binary.BigEndian.Uint16(curve[12:]), binary.BigEndian.Uint16(curve[len(curve)-2:]); first != 0 || last != 65535 {
		t.Errorf("curve runs from %d to %d, want 0 to 65535", first, last)
	}
}

// TestSRGBProfileGhostscript has Ghostscript, through its colour
// management (lcms2), read our profile as the meaning of DeviceRGB and
// render the sample's RGB page: sRGB to sRGB must change nothing. A
// profile with a wrong curve renders visibly differently, which shows
// Ghostscript really used the profile given (it falls back silently on
// one it cannot read, so that control matters).
func TestSRGBProfileGhostscript(t *testing.T) {
	s := newSample(t)
	dir := t.TempDir()
	pdfPath := saveTemp(t, "rgb.pdf", writeDoc(t, Info{}, s.pages[:1]))
	ours := filepath.Join(dir, "srgb.icc")
	linear := filepath.Join(dir, "linear.icc")
	if err := os.WriteFile(ours, srgbProfile, 0o644); err != nil {
		t.Fatal(err)
	}
	lin := bytes.Clone(srgbProfile)
	curve := bytes.Index(lin, []byte("curv\x00\x00\x00\x00"))
	count := int(binary.BigEndian.Uint32(lin[curve+8:]))
	for i := range count {
		binary.BigEndian.PutUint16(lin[curve+12+2*i:], uint16(i*65535/(count-1)))
	}
	if err := os.WriteFile(linear, lin, 0o644); err != nil {
		t.Fatal(err)
	}

	render := func(name string, args ...string) []uint8 {
		out := filepath.Join(dir, name+".png")
		args = append([]string{"-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-r18", "-o", out}, args...)
		tool(t, "gs", append(args, pdfPath)...)
		img, err := png.Decode(bytes.NewReader(readFile(t, out)))
		if err != nil {
			t.Fatal(err)
		}
		var px []uint8
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				px = append(px, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
		return px
	}
	maxDiff := func(a, b []uint8) int {
		if len(a) != len(b) {
			t.Fatalf("renderings of %d and %d samples", len(a), len(b))
		}
		d := 0
		for i := range a {
			d = max(d, int(math.Abs(float64(a[i])-float64(b[i]))))
		}
		return d
	}
	base := render("default")
	if d := maxDiff(base, render("ours", "-sDefaultRGBProfile="+ours)); d > 3 {
		t.Errorf("rendered through our profile, colours move by up to %d/255; want sRGB to sRGB to be the identity", d)
	}
	if d := maxDiff(base, render("linear", "-sDefaultRGBProfile="+linear)); d < 20 {
		t.Errorf("a linear-curve profile moves colours by only %d/255: Ghostscript seems to ignore the profile given", d)
	}
}

// TestPDFASummary: the metadata stages' summary is in the XMP, every
// property and field of it declared in the extension schema PDF/A needs,
// and the rest of the packet as without it.
func TestPDFASummary(t *testing.T) {
	s := newSample(t)
	pages := withOriginals(s.pages)
	var out bytes.Buffer
	w, err := NewWriter(&out, sampleInfo)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if err := w.AddPage(p); err != nil {
			t.Fatal(err)
		}
	}
	sum := Summary{DocumentTypes: []string{"birth_registration", "household_registration"}, Reconciliation: "pending",
		People: []SummaryPerson{{Role: "registered", Name: "Đặng Thị Ngọc Ánh", Birth: "2025-01-05"},
			{Role: "mother", Number: "027301004567", Name: "Đặng <Thị> & Ánh", Birth: "2001", Register: "found"}}}
	if err := w.SetSummary(sum); err != nil {
		t.Fatal(err)
	}
	if err := w.SetSummary(Summary{DocumentTypes: []string{"bad\x01"}}); err == nil {
		t.Error("a control character was taken into the summary")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := saveTemp(t, "summary.pdf", out.Bytes())
	checkValid(t, path)
	info := pdfInfo(t, path)
	x := checkXMPPacket(t, tool(t, "pdfinfo", "-meta", path))
	checkInfoMatchesXMP(t, info, x)
	checkExtensionSchemas(t, x)
	checkDossierXMP(t, x, info, pages)
	for _, want := range []string{"<rdf:li>household_registration</rdf:li>", "<sohoa:reconciliation>pending</sohoa:reconciliation>",
		"<sohoaPerson:idNumber>027301004567</sohoaPerson:idNumber>", "<sohoaPerson:name>Đặng &lt;Thị&gt; &amp; Ánh</sohoaPerson:name>",
		"<sohoaPerson:register>found</sohoaPerson:register>"} {
		if !strings.Contains(x.raw, want) {
			t.Errorf("XMP lacks %s", want)
		}
	}
}
