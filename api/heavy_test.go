package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sohoa/sohoa/catalog"
)

// TestHeavyShare: one token cannot hold every slot for page checks and
// verifications (issue 9: one operator held them all); another token
// still gets one, and a released slot is free again.
func TestHeavyShare(t *testing.T) {
	s := &Server{heavy: make(chan struct{}, maxHeavy), heavyBy: map[string]int{}}
	take := func(name string) (func(), int) {
		w := httptest.NewRecorder()
		release, ok := s.acquireHeavy(w, httptest.NewRequest("POST", "/", nil), &catalog.Token{Role: catalog.RoleOperator, Name: name})
		if !ok {
			return nil, w.Code
		}
		return release, 0
	}
	var held []func()
	for i := range heavyShare {
		release, code := take("desk-1")
		if release == nil {
			t.Fatalf("slot %d of the token's share refused: %d", i, code)
		}
		held = append(held, release)
	}
	if release, code := take("desk-1"); release != nil || code != http.StatusTooManyRequests {
		t.Fatalf("a token past its share: got a slot %v, status %d; want 429", release != nil, code)
	}
	other, _ := take("desk-2")
	if other == nil {
		t.Fatal("another token got no slot while the first held its share")
	}
	other()
	held[0]()
	if release, _ := take("desk-1"); release == nil {
		t.Error("a released slot was not free again")
	}
	if len(s.heavy) != heavyShare {
		t.Errorf("%d slots in use, want %d", len(s.heavy), heavyShare)
	}
}
