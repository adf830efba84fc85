package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The document's XMP metadata packet does two jobs. For PDF/A it declares
// the conformance level (pdfaid) and repeats every entry of the
// information dictionary in its XMP equivalent, as ISO 19005-2 requires
// (Title = dc:title, Author = dc:creator, Subject = dc:description,
// Creator = xmp:CreatorTool, Producer = pdf:Producer, CreationDate =
// xmp:CreateDate, ModDate = xmp:ModifyDate). For sohoa it records what the
// dossier was made from, so that the PDF alone answers "which files, and
// are they the ones we hold": the dossier code, the page count and, for
// each page, its original file, the page within it and the file's SHA-256.
// Those properties live in the sohoa namespace, which PDF/A only accepts
// with a machine-readable description of it in the packet itself (an
// extension schema, ISO 19005-2 6.6.2.3), written here too.

// Namespaces of the sohoa properties and of the structure describing one
// page's original. They name versions of the vocabulary: change a
// property's meaning and the URI changes with it.
const (
	NamespaceDossier  = "https://sohoa.vn/ns/dossier/1.0/"
	NamespaceOriginal = "https://sohoa.vn/ns/dossier/1.0/original/"
	NamespacePerson   = "https://sohoa.vn/ns/dossier/1.0/person/"
)

// Summary is what the metadata stages found, carried in the XMP so that
// the signed PDF alone says what it is and whom it concerns: the types of
// the documents in it, the people they name and whether the population
// register confirmed them when the dossier was signed.
type Summary struct {
	DocumentTypes []string
	People        []SummaryPerson
	// Reconciliation is the register check's outcome when the PDF was
	// made ("reconciled", "pending" ...; "" when none was run).
	Reconciliation string
}

// SummaryPerson is one person of the summary, as the documents give them.
type SummaryPerson struct {
	Role, Number, Name, Birth string
	// Register says what the register made of the number ("found",
	// "not_found"; "" when not asked).
	Register string
}

func (s *Summary) validate() error {
	for _, t := range s.DocumentTypes {
		if err := checkMetadataText(t); err != nil {
			return fmt.Errorf("document type %q: %w", t, err)
		}
	}
	for _, p := range s.People {
		for _, v := range []string{p.Role, p.Number, p.Name, p.Birth, p.Register} {
			if err := checkMetadataText(v); err != nil {
				return fmt.Errorf("person %q: %w", v, err)
			}
		}
	}
	return checkMetadataText(s.Reconciliation)
}

// Original identifies the file a page was made from.
type Original struct {
	// Name is the original file's name as received, without directories.
	Name string
	// Page is the page within that file, from 1 (1 for single-image files).
	Page int
	// SHA256 is the hex SHA-256 of the original file's bytes.
	SHA256 string
}

// validate accepts the zero Original (a page not made from a file) or a
// complete one.
func (o Original) validate() error {
	if o == (Original{}) {
		return nil
	}
	if o.Name == "" {
		return errors.New("original has no file name")
	}
	if err := checkMetadataText(o.Name); err != nil {
		return fmt.Errorf("original name %q: %w", o.Name, err)
	}
	if o.Page < 1 {
		return fmt.Errorf("original page %d, want 1 or more", o.Page)
	}
	if len(o.SHA256) != 64 || strings.Trim(strings.ToLower(o.SHA256), "0123456789abcdef") != "" {
		return fmt.Errorf("original SHA-256 %q not 64 hex digits", o.SHA256)
	}
	return nil
}

// checkMetadataText rejects text that the information dictionary and the
// XMP packet could not both carry unchanged: invalid UTF-8, control
// characters (XML forbids most and rewrites CR) and the noncharacters XML
// excludes. Such text comes from a bug, not from a scan, so it is refused
// rather than mended.
func checkMetadataText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	units := 0 // UTF-16 code units, as the information dictionary stores it
	for _, r := range s {
		if r < 0x20 || r >= 0x7F && r < 0xA0 || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("control character %U", r)
		}
		units++
		if r > 0xFFFF {
			units++
		}
	}
	// PDF/A keeps PDF's limit of 32767 bytes per string; the text string
	// is UTF-16 with a two-byte byte order mark at worst.
	if 2+2*units > 32767 {
		return fmt.Errorf("%d characters, more than a PDF string holds", units)
	}
	return nil
}

// xmpDate formats t in the ISO 8601 form XMP uses, to the second and with
// the zone offset written out, like the information dictionary's date.
func xmpDate(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

// xmpPacket is the metadata stream's content for a document with the
// given (already normalised) information and one Original per page.
func xmpPacket(in Info, originals []Original, sum *Summary) []byte {
	x := xmpWriter{}
	x.raw("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	x.open(`x:xmpmeta xmlns:x="adobe:ns:meta/"`)
	x.open(`rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"`)

	x.description(`xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"`)
	x.prop("pdfaid:part", "2")
	x.prop("pdfaid:conformance", "B")
	x.close("rdf:Description")

	x.description(`xmlns:dc="http://purl.org/dc/elements/1.1/"`)
	x.prop("dc:format", "application/pdf")
	if in.Title != "" {
		x.langAlt("dc:title", in.Title)
	}
	if in.Author != "" {
		x.open("dc:creator")
		x.open("rdf:Seq")
		x.prop("rdf:li", in.Author)
		x.close("rdf:Seq")
		x.close("dc:creator")
	}
	if in.Subject != "" {
		x.langAlt("dc:description", in.Subject)
	}
	x.close("rdf:Description")

	if in.Creator != "" || !in.Created.IsZero() {
		x.description(`xmlns:xmp="http://ns.adobe.com/xap/1.0/"`)
		if in.Creator != "" {
			x.prop("xmp:CreatorTool", in.Creator)
		}
		if !in.Created.IsZero() {
			// The document is written once: created, last modified and
			// described at the same instant.
			d := xmpDate(in.Created)
			x.prop("xmp:CreateDate", d)
			x.prop("xmp:ModifyDate", d)
			x.prop("xmp:MetadataDate", d)
		}
		x.close("rdf:Description")
	}

	if in.Producer != "" {
		x.description(`xmlns:pdf="http://ns.adobe.com/pdf/1.3/"`)
		x.prop("pdf:Producer", in.Producer)
		x.close("rdf:Description")
	}

	x.description(`xmlns:sohoa="` + NamespaceDossier + `" xmlns:sohoaOriginal="` + NamespaceOriginal +
		`" xmlns:sohoaPerson="` + NamespacePerson + `"`)
	if in.Title != "" {
		x.prop("sohoa:dossierCode", in.Title)
	}
	x.prop("sohoa:pageCount", strconv.Itoa(len(originals)))
	x.open("sohoa:originals")
	x.open("rdf:Seq")
	for i, o := range originals {
		x.open(`rdf:li rdf:parseType="Resource"`)
		x.prop("sohoaOriginal:dossierPage", strconv.Itoa(i+1))
		if o != (Original{}) {
			x.prop("sohoaOriginal:file", o.Name)
			x.prop("sohoaOriginal:filePage", strconv.Itoa(o.Page))
			x.prop("sohoaOriginal:sha256", strings.ToLower(o.SHA256))
		}
		x.close("rdf:li")
	}
	x.close("rdf:Seq")
	x.close("sohoa:originals")
	if sum != nil {
		x.summary(sum)
	}
	x.close("rdf:Description")

	x.extensionSchema()

	x.close("rdf:RDF")
	x.close("x:xmpmeta")
	x.raw(`<?xpacket end="w"?>`)
	return x.b.Bytes()
}

// summary writes the metadata stages' summary as sohoa properties.
func (x *xmpWriter) summary(s *Summary) {
	if len(s.DocumentTypes) > 0 {
		x.open("sohoa:documentTypes")
		x.open("rdf:Seq")
		for _, t := range s.DocumentTypes {
			x.prop("rdf:li", t)
		}
		x.close("rdf:Seq")
		x.close("sohoa:documentTypes")
	}
	if s.Reconciliation != "" {
		x.prop("sohoa:reconciliation", s.Reconciliation)
	}
	if len(s.People) > 0 {
		x.open("sohoa:people")
		x.open("rdf:Seq")
		for _, p := range s.People {
			x.open(`rdf:li rdf:parseType="Resource"`)
			for _, f := range []struct{ name, v string }{{"role", p.Role}, {"idNumber", p.Number}, {"name", p.Name},
				{"birthDate", p.Birth}, {"register", p.Register}} {
				if f.v != "" {
					x.prop("sohoaPerson:"+f.name, f.v)
				}
			}
			x.close("rdf:li")
		}
		x.close("rdf:Seq")
		x.close("sohoa:people")
	}
}

// extensionSchema declares the sohoa properties and the structure of one
// original, in the form ISO 19005-2 6.6.2.3.3 prescribes: a bag of
// schemas, each with its namespace, prefix, a sequence of properties
// (name, value type, internal or external, description) and a sequence of
// the structured value types they use, with their fields.
func (x *xmpWriter) extensionSchema() {
	x.description(`xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"` +
		` xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"` +
		` xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"` +
		` xmlns:pdfaType="http://www.aiim.org/pdfa/ns/type#"` +
		` xmlns:pdfaField="http://www.aiim.org/pdfa/ns/field#"`)
	x.open("pdfaExtension:schemas")
	x.open("rdf:Bag")
	x.open(`rdf:li rdf:parseType="Resource"`)
	x.prop("pdfaSchema:schema", "sohoa dossier: what a dossier PDF was made from")
	x.prop("pdfaSchema:namespaceURI", NamespaceDossier)
	x.prop("pdfaSchema:prefix", "sohoa")

	x.open("pdfaSchema:property")
	x.open("rdf:Seq")
	for _, p := range []struct{ name, valueType, category, description string }{
		{"dossierCode", "Text", "external", "Code of the public-service dossier"},
		{"pageCount", "Integer", "internal", "Number of pages in the document"},
		{"originals", "Seq Original", "external", "For each page in order, the original file it was made from"},
		{"documentTypes", "Seq Text", "external", "Types of the documents in the dossier, as read from their titles"},
		{"reconciliation", "Text", "external", "Outcome of the population register check when the document was made"},
		{"people", "Seq Person", "external", "People the documents name, as read from them"},
	} {
		x.open(`rdf:li rdf:parseType="Resource"`)
		x.prop("pdfaProperty:name", p.name)
		x.prop("pdfaProperty:valueType", p.valueType)
		x.prop("pdfaProperty:category", p.category)
		x.prop("pdfaProperty:description", p.description)
		x.close("rdf:li")
	}
	x.close("rdf:Seq")
	x.close("pdfaSchema:property")

	x.open("pdfaSchema:valueType")
	x.open("rdf:Seq")
	x.valueType("Original", NamespaceOriginal, "sohoaOriginal", "One page of the document and the original it was made from",
		[]xmpField{
			{"dossierPage", "Integer", "Page of this document, from 1"},
			{"file", "Text", "Name of the original file"},
			{"filePage", "Integer", "Page within the original file, from 1"},
			{"sha256", "Text", "SHA-256 of the original file's bytes, lowercase hex"},
		})
	x.valueType("Person", NamespacePerson, "sohoaPerson", "A person the dossier's documents name",
		[]xmpField{
			{"role", "Text", "Role the document names the person in (applicant, father ...)"},
			{"idNumber", "Text", "Personal identification number, or old identity card number"},
			{"name", "Text", "Full name as read"},
			{"birthDate", "Text", "Date of birth as read, YYYY-MM-DD or a year"},
			{"register", "Text", "What the population register made of the number"},
		})
	x.close("rdf:Seq")
	x.close("pdfaSchema:valueType")

	x.close("rdf:li")
	x.close("rdf:Bag")
	x.close("pdfaExtension:schemas")
	x.close("rdf:Description")
}

// xmpField is one field of a structured value type.
type xmpField struct{ name, valueType, description string }

// valueType declares a structured value type and its fields, one entry of
// an extension schema's pdfaSchema:valueType sequence.
func (x *xmpWriter) valueType(name, ns, prefix, description string, fields []xmpField) {
	x.open(`rdf:li rdf:parseType="Resource"`)
	x.prop("pdfaType:type", name)
	x.prop("pdfaType:namespaceURI", ns)
	x.prop("pdfaType:prefix", prefix)
	x.prop("pdfaType:description", description)
	x.open("pdfaType:field")
	x.open("rdf:Seq")
	for _, f := range fields {
		x.open(`rdf:li rdf:parseType="Resource"`)
		x.prop("pdfaField:name", f.name)
		x.prop("pdfaField:valueType", f.valueType)
		x.prop("pdfaField:description", f.description)
		x.close("rdf:li")
	}
	x.close("rdf:Seq")
	x.close("pdfaType:field")
	x.close("rdf:li")
}

// xmlEscaper escapes element text. Quotes need no escaping there, and
// checkMetadataText has kept out the characters XML cannot carry.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// xmpWriter writes indented XML; element names and attributes are
// constants of this file, only element text comes from callers and is
// escaped.
type xmpWriter struct {
	b     bytes.Buffer
	depth int
}

func (x *xmpWriter) raw(s string) { x.b.WriteString(s) }

func (x *xmpWriter) indent() { x.b.WriteString(strings.Repeat(" ", x.depth)) }

// open writes a start tag; tag is the element name with its attributes.
func (x *xmpWriter) open(tag string) {
	x.indent()
	fmt.Fprintf(&x.b, "<%s>\n", tag)
	x.depth++
}

func (x *xmpWriter) close(name string) {
	x.depth--
	x.indent()
	fmt.Fprintf(&x.b, "</%s>\n", name)
}

func (x *xmpWriter) description(xmlns string) {
	x.open(`rdf:Description rdf:about="" ` + xmlns)
}

// prop writes a simple property: <tag>text</name>, where tag is the
// element name with any attributes.
func (x *xmpWriter) prop(tag, text string) {
	name, _, _ := strings.Cut(tag, " ")
	x.indent()
	fmt.Fprintf(&x.b, "<%s>%s</%s>\n", tag, xmlEscaper.Replace(text), name)
}

// langAlt writes a language alternative with only the default language,
// the form dc:title and dc:description take.
func (x *xmpWriter) langAlt(name, text string) {
	x.open(name)
	x.open("rdf:Alt")
	x.prop(`rdf:li xml:lang="x-default"`, text)
	x.close("rdf:Alt")
	x.close(name)
}
