package catalog

import (
	"context"
	"errors"
	"testing"
)

// TestPageEdits: before submission pages are reordered (by the positions
// they hold, gaps and all), replaced and deleted; a dossier whose pages
// were all deleted cannot be submitted.
func TestPageEdits(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-EDIT"
	newDossier(t, c, code)
	for _, pos := range []int{2, 5, 9} {
		if _, err := c.AddPage(ctx, code, Page{Position: pos, OriginalKey: "k", SHA256: hashOf(code + string(rune('0'+pos))), Size: 1}, "s"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.ReorderPages(ctx, code, []int{3, 1, 2}, "s"); !errors.Is(err, ErrBadOrder) {
		t.Errorf("order by 1..n when pages sit at 2, 5, 9: err = %v, want ErrBadOrder", err)
	}
	if err := c.ReorderPages(ctx, code, []int{9, 2}, "s"); !errors.Is(err, ErrBadOrder) {
		t.Errorf("order leaving a page out: err = %v, want ErrBadOrder", err)
	}
	if err := c.ReorderPages(ctx, code, []int{9, 2, 5}, "s"); err != nil {
		t.Fatal(err)
	}
	ps, err := c.Pages(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{hashOf(code + "9"), hashOf(code + "2"), hashOf(code + "5")}
	for i, p := range ps {
		if p.Position != i+1 || p.SHA256 != want[i] {
			t.Errorf("after reorder, page %d = %d %s, want %d %s", i, p.Position, p.SHA256[:8], i+1, want[i][:8])
		}
	}
	if err := c.ReplacePage(ctx, code, 2, Page{OriginalKey: "k2", SHA256: hashOf("rescan"), Size: 2}, "s"); err != nil {
		t.Fatal(err)
	}
	if err := c.ReplacePage(ctx, code, 1, Page{OriginalKey: "k3", SHA256: hashOf("rescan"), Size: 2}, "s"); !errors.Is(err, ErrExists) {
		t.Errorf("replacing with a scan another page holds: err = %v, want ErrExists", err)
	}
	for range 3 {
		if err := c.DeletePage(ctx, code, 1, "s"); err != nil {
			t.Fatal(err)
		}
	}
	if ps, _ := c.Pages(ctx, code); len(ps) != 0 {
		t.Errorf("pages after deleting all: %+v", ps)
	}
	if err := c.Move(ctx, code, Uploading, Submitted, "s", nil); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("submit with no pages: err = %v, want ErrIllegalMove", err)
	}
	// A deleted scan may come back as a new page.
	if _, err := c.AddPage(ctx, code, Page{Position: 1, OriginalKey: "k", SHA256: hashOf(code + "2"), Size: 1}, "s"); err != nil {
		t.Errorf("re-adding a deleted scan: %v", err)
	}
	problems, err := c.VerifyTrail(ctx, code)
	if err != nil || len(problems) != 0 {
		t.Errorf("trail after page edits: %v %v", problems, err)
	}
}
