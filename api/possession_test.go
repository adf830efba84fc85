package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/storage"
)

// TestPossessionProof: a scan one office's dossier holds can be attached
// by another office's station only by showing it has the bytes; knowing
// the SHA-256 (which the workflow and auditors see) is not enough.
func TestPossessionProof(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[catalog.RoleOperator]
	page := scanPNG(t)
	sum := sha(page)
	ask := map[string]any{"sha256": sum, "size": len(page), "content_type": "image/png"}

	res := e.do(t, "POST", "/v1/dossiers/"+e.code+"/uploads", op, ask, "")
	var up struct {
		Exists     bool               `json:"exists"`
		ProofNonce string             `json:"proof_nonce"`
		Upload     *storage.Presigned `json:"upload"`
	}
	json.Unmarshal(res.body, &up)
	if res.status != http.StatusOK || up.Upload == nil {
		t.Fatalf("upload request: %d %s", res.status, res.body)
	}
	if res = e.do(t, "PUT", up.Upload.URL, "", page, "image/png"); res.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	if res = e.do(t, "POST", "/v1/dossiers/"+e.code+"/pages", op, map[string]any{"position": 1, "sha256": sum}, ""); res.status != http.StatusOK {
		t.Fatalf("confirm: %d %s", res.status, res.body)
	}

	// Another office's station.
	res = e.do(t, "POST", "/v1/dossiers", e.other, map[string]any{"procedure": "1.000894"}, "")
	var d struct{ Code string }
	json.Unmarshal(res.body, &d)
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	res = e.do(t, "POST", "/v1/dossiers/"+d.Code+"/uploads", e.other, ask, "")
	up = struct {
		Exists     bool               `json:"exists"`
		ProofNonce string             `json:"proof_nonce"`
		Upload     *storage.Presigned `json:"upload"`
	}{}
	json.Unmarshal(res.body, &up)
	if !up.Exists || len(up.ProofNonce) != 64 {
		t.Fatalf("upload request for a scan held by another office: %s, want exists with a proof_nonce", res.body)
	}
	confirm := func(proof string) result {
		return e.do(t, "POST", "/v1/dossiers/"+d.Code+"/pages", e.other, map[string]any{"position": 1, "sha256": sum, "proof": proof}, "")
	}
	wantProblem(t, confirm(""), http.StatusForbidden, "another office")
	wrong := sha256.Sum256([]byte("guess"))
	wantProblem(t, confirm(hex.EncodeToString(wrong[:])), http.StatusForbidden, "another office")
	nonce, _ := hex.DecodeString(up.ProofNonce)
	proof := sha256.Sum256(append(nonce, page...))
	if res := confirm(hex.EncodeToString(proof[:])); res.status != http.StatusOK {
		t.Errorf("confirm with the proof: %d %s", res.status, res.body)
	}
	// The owning office needs no proof for its own scan in a new dossier.
	res = e.do(t, "POST", "/v1/dossiers", op, map[string]any{"procedure": "1.000894"}, "")
	json.Unmarshal(res.body, &d)
	if res := e.do(t, "POST", "/v1/dossiers/"+d.Code+"/pages", op, map[string]any{"position": 1, "sha256": sum}, ""); res.status != http.StatusOK {
		t.Errorf("same office, new dossier: %d %s", res.status, res.body)
	}
}
