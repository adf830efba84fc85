package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxXMP bounds the decoded metadata stream.
const maxXMP = 16 << 20

// readContext reads the document with pdfcpu for what the raw bytes do
// not show: the DSS, the XMP packet and the fonts.
func readContext(pdf []byte) (*model.Context, error) {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	return api.ReadContext(bytes.NewReader(pdf), conf)
}

// checkStructure checks the XMP packet (PDF/A identification, originals)
// and the fonts.
func checkStructure(ctx *model.Context, opt Options, r *Report) {
	xmp, err := metadata(ctx)
	if err != nil {
		r.problem("the XMP metadata could not be read: %v", err)
	} else {
		checkXMP(xmp, opt, r)
	}
	checkFonts(ctx, r)
}

func metadata(ctx *model.Context) ([]byte, error) {
	cat, err := ctx.XRefTable.Catalog()
	if err != nil {
		return nil, err
	}
	ref := cat.IndirectRefEntry("Metadata")
	if ref == nil {
		return nil, fmt.Errorf("the catalog has no /Metadata")
	}
	sd, _, err := ctx.XRefTable.DereferenceStreamDict(*ref)
	if err != nil || sd == nil {
		return nil, fmt.Errorf("the /Metadata stream is missing or broken: %v", err)
	}
	if err := sd.DecodeWithLimit(maxXMP); err != nil {
		return nil, err
	}
	return sd.Content, nil
}

// xmpDoc picks out what we check from the packet (the vocabulary
// pipeline/pdf writes, namespaces as in pdf.NamespaceDossier), in any of the
// rdf:Description layouts writers use for simple properties.
type xmpDoc struct {
	Descriptions []struct {
		Part        string `xml:"http://www.aiim.org/pdfa/ns/id/ part"`
		Conformance string `xml:"http://www.aiim.org/pdfa/ns/id/ conformance"`
		PartAttr    string `xml:"http://www.aiim.org/pdfa/ns/id/ part,attr"`
		ConfAttr    string `xml:"http://www.aiim.org/pdfa/ns/id/ conformance,attr"`
		DossierCode string `xml:"https://sohoa.vn/ns/dossier/1.0/ dossierCode"`
		Originals   struct {
			Seq struct {
				Li []struct {
					DossierPage string `xml:"https://sohoa.vn/ns/dossier/1.0/original/ dossierPage"`
					File        string `xml:"https://sohoa.vn/ns/dossier/1.0/original/ file"`
					FilePage    string `xml:"https://sohoa.vn/ns/dossier/1.0/original/ filePage"`
					SHA256      string `xml:"https://sohoa.vn/ns/dossier/1.0/original/ sha256"`
				} `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# li"`
			} `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# Seq"`
		} `xml:"https://sohoa.vn/ns/dossier/1.0/ originals"`
	} `xml:"RDF>Description"`
}

func checkXMP(packet []byte, opt Options, r *Report) {
	var x xmpDoc
	if err := xml.Unmarshal(packet, &x); err != nil {
		r.problem("the XMP metadata is not well-formed XML: %v", err)
		return
	}
	var origs []Original
	recorded := false
	for _, d := range x.Descriptions {
		r.PDFAPart = firstOf(r.PDFAPart, d.Part, d.PartAttr)
		r.PDFALevel = firstOf(r.PDFALevel, d.Conformance, d.ConfAttr)
		r.DossierCode = firstOf(r.DossierCode, d.DossierCode)
		for _, o := range d.Originals.Seq.Li {
			recorded = true
			page, _ := strconv.Atoi(strings.TrimSpace(o.DossierPage))
			fp, _ := strconv.Atoi(strings.TrimSpace(o.FilePage))
			origs = append(origs, Original{DossierPage: page, File: strings.TrimSpace(o.File), FilePage: fp,
				SHA256: strings.ToLower(strings.TrimSpace(o.SHA256))})
		}
	}
	r.PDFA = r.PDFAPart == "2" && strings.EqualFold(r.PDFALevel, "B")
	if !r.PDFA {
		r.problem("the metadata does not declare PDF/A-2b (part %q, conformance %q)", r.PDFAPart, r.PDFALevel)
	}
	if !recorded {
		if opt.Originals != "" {
			r.problem("the metadata records no originals to compare with %s", opt.Originals)
		}
		return
	}
	sort.SliceStable(origs, func(i, j int) bool { return origs[i].DossierPage < origs[j].DossierPage })
	hashes := map[string]string{} // file name → hex SHA-256, or "" when missing
	for i := range origs {
		o := &origs[i]
		switch {
		case o.File == "":
			o.Status = "not recorded"
			if opt.Originals != "" {
				r.problem("page %d: the dossier records no original to check", o.DossierPage)
			}
			continue
		case opt.Originals == "":
			o.Status = "not checked"
			continue
		}
		if filepath.Base(o.File) != o.File || o.File == "." || o.File == ".." {
			o.Status = "missing"
			r.problem("page %d: the recorded original %q is not a plain file name", o.DossierPage, o.File)
			continue
		}
		h, seen := hashes[o.File]
		if !seen {
			h = hashFile(filepath.Join(opt.Originals, o.File))
			hashes[o.File] = h
		}
		switch {
		case h == "":
			o.Status = "missing"
			r.problem("page %d: original %s is missing from %s", o.DossierPage, o.File, opt.Originals)
		case h != o.SHA256:
			o.Status = "mismatch"
			r.problem("page %d: original %s in %s is not the file the dossier was made from (SHA-256 differs)",
				o.DossierPage, o.File, opt.Originals)
		default:
			o.Status = "ok"
		}
	}
	r.Originals = origs
}

// hashFile returns the hex SHA-256 of the file, or "" if it cannot be read.
func hashFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// checkFonts requires a font program for every font that draws glyphs
// from one: every font descriptor must embed FontFile, FontFile2 or
// FontFile3, and every simple or CID font must have a descriptor (Type0
// fonts delegate to their descendants, Type3 fonts are their own glyphs).
func checkFonts(ctx *model.Context, r *Report) {
	r.FontsEmbedded = true
	nums := make([]int, 0, len(ctx.XRefTable.Table))
	for n := range ctx.XRefTable.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		e := ctx.XRefTable.Table[n]
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		d, ok := e.Object.(types.Dict)
		if !ok {
			continue
		}
		typ := d.Type()
		if typ == nil {
			continue
		}
		switch *typ {
		case "Font":
			st := d.Subtype()
			if st != nil && (*st == "Type0" || *st == "Type3") {
				continue
			}
			if d.IndirectRefEntry("FontDescriptor") == nil {
				r.FontsEmbedded = false
				r.problem("font object %d (%s) is not embedded", n, fontName(d))
			}
		case "FontDescriptor":
			if d["FontFile"] == nil && d["FontFile2"] == nil && d["FontFile3"] == nil {
				r.FontsEmbedded = false
				r.problem("font %s (object %d) is not embedded", fontName(d), n)
			}
		}
	}
}

func fontName(d types.Dict) string {
	for _, k := range []string{"BaseFont", "FontName"} {
		if v := d.NameEntry(k); v != nil {
			return *v
		}
	}
	return "without a name"
}
