package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestUploadQuotaRace: reservations made at once by many stations of one
// office cannot together pass its quota; renewing one does not count it
// twice; released and expired ones free their share.
func TestUploadQuotaRace(t *testing.T) {
	c, _ := openTest(t)
	ctx := context.Background()
	const code = "HS-QUOTA"
	newDossier(t, c, code)
	const quota, size = 3500, 1000
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.ReserveUpload(ctx, code, "UBND-XA-01", hashOf(fmt.Sprint(i)), size, quota, time.Hour)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrQuota):
			t.Fatal(err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d of 8 concurrent 1000-byte reservations under a 3500-byte quota succeeded, want 3", ok)
	}
	if n, err := c.UploadBytes(ctx, "UBND-XA-01", time.Hour); err != nil || n != 3*size {
		t.Fatalf("UploadBytes = %d, %v; want %d", n, err, 3*size)
	}
	var held string
	for i, err := range errs {
		if err == nil {
			held = hashOf(fmt.Sprint(i))
		}
	}
	if err := c.ReserveUpload(ctx, code, "UBND-XA-01", held, size, quota, time.Hour); err != nil {
		t.Errorf("renewing a reservation: %v", err)
	}
	if err := c.ReleaseUpload(ctx, code, held); err != nil {
		t.Fatal(err)
	}
	if err := c.ReserveUpload(ctx, code, "UBND-XA-01", hashOf("new"), size, quota, time.Hour); err != nil {
		t.Errorf("after a release: %v", err)
	}
	if n, err := c.ExpireUploads(ctx, time.Now().Add(time.Second)); err != nil || n != 3 {
		t.Errorf("ExpireUploads = %d, %v; want 3", n, err)
	}
	if err := c.ReserveUpload(ctx, code, "UBND-XA-02", hashOf("x"), size, quota, time.Hour); err != nil {
		t.Errorf("another office: %v", err)
	}
	if err := c.ReserveUpload(ctx, "HS-NONE", "UBND-XA-01", hashOf("y"), size, quota, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown dossier: %v, want ErrNotFound", err)
	}
}
