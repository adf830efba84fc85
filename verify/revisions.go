package verify

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A dossier may carry sequential signatures (the operator who digitized
// it, then the center), each an incremental update over the one before.
// A signature that does not cover the whole file is acceptable only when
// everything appended after it is another signature or validation data:
// a signature's or document time-stamp's dictionary, its field and
// appearance, a document security store (DSS) with its VRI dictionaries
// and the new streams they list, and the catalog and first page
// rewritten to list them, nothing else changed, under the same catalog.
// Any other object in a later update
// (new page content, a changed catalog entry, a replaced image) is a
// change the earlier signer did not sign, and is reported.

var (
	reDSSEntry    = regexp.MustCompile(`/DSS\s+\d+\s+\d+\s+R`)
	reTrailerRoot = regexp.MustCompile(`trailer\s*<<[^>]*?/Root\s+(\d+\s+\d+)\s+R`)
	reObjStart    = regexp.MustCompile(`(?m)^(\d+) (\d+) obj\b`)
	reFormEntry   = regexp.MustCompile(`/AcroForm\s*<<[^<>]*>>`)
	reAnnotsList  = regexp.MustCompile(`/Annots\s*\[[^\]]*\]`)
	reAPNormal    = regexp.MustCompile(`/AP\s*<<\s*/N\s+(\d+)\s+(\d+)\s+R\s*>>`)
	reFieldName   = regexp.MustCompile(`/T\s*\(([^()]*)\)`)
)

// revisionChanges is what the updates between two seals did.
type revisionChanges struct {
	changes, bad []string
	// validationData: a DSS was written.
	validationData bool
}

// changesBetween lists what pdf[from:to], the updates appended after one
// signature's revision, changed, and the changes that are not part of a
// later signature or of validation data.
func changesBetween(pdf []byte, from, to int) revisionChanges {
	var changes, bad []string
	validation := false
	region := pdf[from:to]
	type object struct {
		num, gen int
		body     []byte
	}
	var objs []object
	for _, m := range reObjStart.FindAllSubmatchIndex(region, -1) {
		num, _ := strconv.Atoi(string(region[m[2]:m[3]]))
		gen, _ := strconv.Atoi(string(region[m[4]:m[5]]))
		body := region[m[1]:]
		// A stream's data may hold any bytes: its endobj is the one
		// after endstream.
		at := 0
		if i := bytes.Index(body, []byte("endstream")); i >= 0 && bytes.Contains(body[:i], []byte("stream")) {
			if j := bytes.Index(body, []byte("endobj")); j > i || j < 0 {
				at = i
			}
		}
		if j := bytes.Index(body[at:], []byte("endobj")); j >= 0 {
			body = body[:at+j]
		}
		objs = append(objs, object{num, gen, body})
	}
	isNew := func(num, gen int) bool { return lastVersion(pdf[:from], num, gen) == nil }
	byNum := map[int]object{}
	for _, o := range objs {
		byNum[o.num] = o
	}
	isStream := func(b []byte) bool { return bytes.Contains(b, []byte("endstream")) }

	// Validation data is only what a rewritten catalog's /DSS leads to:
	// the DSS dictionary, the VRI dictionaries it lists and the streams
	// either lists, each a new object, so that no page, annotation or
	// earlier object passes for one.
	dss, vri, data := map[int]bool{}, map[int]bool{}, map[int]bool{}
	catalog := -1
	if roots := reTrailerRoot.FindAllSubmatch(pdf[:from], -1); len(roots) > 0 {
		fmt.Sscanf(string(roots[len(roots)-1][1]), "%d", &catalog)
	}
	listedBy := func(body []byte) []object {
		var out []object
		for _, m := range reRefNum.FindAllSubmatch(body, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			if o, ok := byNum[n]; ok && isNew(o.num, o.gen) {
				out = append(out, o)
			}
		}
		return out
	}
	for _, o := range objs {
		if o.num != catalog {
			continue
		}
		if m := reDSSRef.FindSubmatch(o.body); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			if d, ok := byNum[n]; ok && isNew(d.num, d.gen) && !isStream(d.body) {
				dss[n] = true
			}
		}
	}
	for n := range dss {
		for _, o := range listedBy(byNum[n].body) {
			if isStream(o.body) {
				data[o.num] = true
			} else if !dss[o.num] {
				vri[o.num] = true
			}
		}
	}
	for n := range vri {
		for _, o := range listedBy(byNum[n].body) {
			if isStream(o.body) {
				data[o.num] = true
			}
		}
	}
	fields := map[int]bool{} // signature fields written here
	for _, o := range objs {
		if bytes.Contains(o.body, []byte("/Subtype /Widget")) && bytes.Contains(o.body, []byte("/FT /Sig")) && !dss[o.num] && !vri[o.num] && !data[o.num] {
			fields[o.num] = true
		}
	}
	appearances := map[int]bool{}
	streams := 0
	for _, o := range objs {
		if bytes.Contains(o.body, []byte("/Subtype /Widget")) && bytes.Contains(o.body, []byte("/FT /Sig")) {
			if m := reAPNormal.FindSubmatch(o.body); m != nil {
				n, _ := strconv.Atoi(string(m[1]))
				appearances[n] = true
			}
		}
	}
	for _, o := range objs {
		switch {
		case dss[o.num]:
			validation = true
			changes = append(changes, fmt.Sprintf("document security store %d", o.num))
		case vri[o.num]:
			changes = append(changes, fmt.Sprintf("validation data of a signature (VRI) %d", o.num))
		case data[o.num]:
			streams++
		case bytes.Contains(o.body, []byte("/Type /Sig")) && bytes.Contains(o.body, []byte("/ByteRange")):
			changes = append(changes, fmt.Sprintf("signature dictionary %d", o.num))
		case bytes.Contains(o.body, []byte("/Type /DocTimeStamp")) && bytes.Contains(o.body, []byte("/ByteRange")):
			changes = append(changes, fmt.Sprintf("document time-stamp dictionary %d", o.num))
		case fields[o.num]:
			name := ""
			if m := reFieldName.FindSubmatch(o.body); m != nil {
				name = " " + string(m[1])
			}
			changes = append(changes, fmt.Sprintf("signature field%s (%d)", name, o.num))
		case appearances[o.num] && bytes.Contains(o.body, []byte("/Subtype /Form")):
			changes = append(changes, fmt.Sprintf("signature appearance %d", o.num))
		default:
			prev := lastVersion(pdf[:from], o.num, o.gen)
			if prev == nil {
				bad = append(bad, fmt.Sprintf("object %d was added and is not part of a signature", o.num))
				continue
			}
			if !bytes.Equal(sansSignatureEntries(prev), sansSignatureEntries(o.body)) {
				bad = append(bad, fmt.Sprintf("object %d was changed", o.num))
				continue
			}
			// What the form and annotation lists gained must be
			// signature fields written here.
			if added := addedRefs(prev, o.body, fields); len(added) > 0 {
				bad = append(bad, fmt.Sprintf("object %d lists %s among its fields or annotations, not a signature field", o.num, strings.Join(added, ", ")))
				continue
			}
			what := "signature fields and annotations"
			if !bytes.Equal(reDSSEntry.Find(prev), reDSSEntry.Find(o.body)) {
				what = "document security store entry"
				if !bytes.Equal(flat(reDSSEntry.ReplaceAll(prev, nil)), flat(reDSSEntry.ReplaceAll(o.body, nil))) {
					what = "signature fields and annotations, document security store entry"
				}
			}
			changes = append(changes, fmt.Sprintf("object %d: %s", o.num, what))
		}
	}
	if streams > 0 {
		changes = append(changes, fmt.Sprintf("%d validation data streams (certificates, OCSP responses, CRLs)", streams))
	}
	// A trailer that points to another catalog swaps the whole document.
	if roots := reTrailerRoot.FindAllSubmatch(pdf[:from], -1); len(roots) > 0 {
		root := string(roots[len(roots)-1][1])
		for _, m := range reTrailerRoot.FindAllSubmatch(region, -1) {
			if string(m[1]) != root {
				bad = append(bad, fmt.Sprintf("the trailer points to another catalog (%s R instead of %s R)", m[1], root))
			}
		}
	}
	return revisionChanges{changes: changes, bad: bad, validationData: validation}
}

var (
	reRefNum = regexp.MustCompile(`(\d+)\s+\d+\s+R\b`)
	reDSSRef = regexp.MustCompile(`/DSS\s+(\d+)\s+\d+\s+R`)
)

// addedRefs lists the references the /AcroForm and /Annots entries of
// after hold and those of before do not, other than fields.
func addedRefs(before, after []byte, fields map[int]bool) []string {
	had := map[string]bool{}
	for _, re := range []*regexp.Regexp{reFormEntry, reAnnotsList} {
		for _, m := range reRefNum.FindAll(re.Find(before), -1) {
			had[string(flat(m))] = true
		}
	}
	var out []string
	for _, re := range []*regexp.Regexp{reFormEntry, reAnnotsList} {
		for _, m := range reRefNum.FindAllSubmatch(re.Find(after), -1) {
			n, _ := strconv.Atoi(string(m[1]))
			if !had[string(flat(m[0]))] && !fields[n] {
				out = append(out, string(flat(m[0])))
			}
		}
	}
	return out
}

// lastVersion is the body of object num gen as last written in pdf.
func lastVersion(pdf []byte, num, gen int) []byte {
	head := []byte(fmt.Sprintf("\n%d %d obj", num, gen))
	i := bytes.LastIndex(pdf, head)
	if i < 0 {
		return nil
	}
	body := pdf[i+len(head):]
	if j := bytes.Index(body, []byte("endobj")); j >= 0 {
		body = body[:j]
	}
	return body
}

// sansSignatureEntries is a catalog or page dictionary without the entries
// a signature rewrites, with whitespace runs made one space.
func sansSignatureEntries(body []byte) []byte {
	body = reFormEntry.ReplaceAll(body, nil)
	body = reAnnotsList.ReplaceAll(body, nil)
	body = reDSSEntry.ReplaceAll(body, nil)
	return flat(body)
}

// flat is b with whitespace runs made one space.
func flat(b []byte) []byte {
	return bytes.Join(bytes.Fields(b), []byte(" "))
}
