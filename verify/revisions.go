package verify

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// A dossier may carry sequential signatures (the operator who digitized
// it, then the center), each an incremental update over the one before.
// A signature that does not cover the whole file is acceptable only when
// everything appended after it is another signature: its dictionary, its
// field and appearance, and the catalog and first page rewritten to list
// the field and nothing else changed. Any other object in a later update
// (new page content, a changed catalog entry, a replaced image) is a
// change the earlier signer did not sign, and is reported.

var (
	reObjStart   = regexp.MustCompile(`(?m)^(\d+) (\d+) obj\b`)
	reFormEntry  = regexp.MustCompile(`/AcroForm\s*<<[^<>]*>>`)
	reAnnotsList = regexp.MustCompile(`/Annots\s*\[[^\]]*\]`)
	reAPNormal   = regexp.MustCompile(`/AP\s*<<\s*/N\s+(\d+)\s+(\d+)\s+R\s*>>`)
	reFieldName  = regexp.MustCompile(`/T\s*\(([^()]*)\)`)
)

// changesBetween lists what pdf[from:to], the updates appended after one
// signature's revision, changed, and the changes that are not part of a
// later signature.
func changesBetween(pdf []byte, from, to int) (changes, bad []string) {
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
		// A stream's data may hold any bytes: its end is endstream.
		cut := body
		if i := bytes.Index(body, []byte("endstream")); i >= 0 && bytes.Contains(body[:min(len(body), i)], []byte("stream")) {
			if j := bytes.Index(body, []byte("endobj")); j > i || j < 0 {
				cut = body[:i]
			}
		}
		if j := bytes.Index(cut, []byte("endobj")); j >= 0 {
			body = body[:j]
		}
		objs = append(objs, object{num, gen, body})
	}
	appearances := map[int]bool{}
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
		case bytes.Contains(o.body, []byte("/Type /Sig")) && bytes.Contains(o.body, []byte("/ByteRange")):
			changes = append(changes, fmt.Sprintf("signature dictionary %d", o.num))
		case bytes.Contains(o.body, []byte("/Subtype /Widget")) && bytes.Contains(o.body, []byte("/FT /Sig")):
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
			changes = append(changes, fmt.Sprintf("object %d: signature fields and annotations", o.num))
		}
	}
	return changes, bad
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
	return bytes.Join(bytes.Fields(body), []byte(" "))
}
