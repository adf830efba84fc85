package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/catalog"
)

// bodyRoutes are the routes that read a JSON body, each as a request the
// fuzzer fills in: {code} is the env's dossier.
var bodyRoutes = []struct {
	method, path, role string
}{
	{"POST", "/v1/dossiers", catalog.RoleOperator},
	{"POST", "/v1/dossiers", catalog.RoleAdmin}, // may name any office
	{"POST", "/v1/dossiers/{code}/uploads", catalog.RoleOperator},
	{"POST", "/v1/dossiers/{code}/uploads/multipart/parts", catalog.RoleOperator},
	{"POST", "/v1/dossiers/{code}/uploads/multipart/complete", catalog.RoleOperator},
	{"POST", "/v1/dossiers/{code}/pages", catalog.RoleOperator},
	{"PUT", "/v1/dossiers/{code}/pages/1", catalog.RoleOperator},
	{"POST", "/v1/dossiers/{code}/pages/order", catalog.RoleOperator},
}

// FuzzJSONBodies sends any body to every route that reads JSON, through
// the real server (catalog on PostgreSQL, local store, queue on Redis):
// whatever the body, the answer is never a 5xx (a value the database
// refuses, a panic) and is a status the OpenAPI document lists for the
// route (env.do checks it), and every refusal is a problem document that
// says what was wrong.
func FuzzJSONBodies(f *testing.F) {
	for i, b := range []string{
		`{"procedure": "1.000894"}`,
		`{"procedure": "1.000894", "office": "UBND-XA-03", "queue": "bulk", "citizen_id": "001085012345", "receipt_no": "Biên nhận số 7"}`,
		`{"procedure": "1.000\u0000894"}`,
		`{"procedure": "1.000894", "receipt_no": "BN-\u202e7"}`,
		`{"sha256": "` + strings.Repeat("ab", 32) + `", "size": 1000, "content_type": "image/jpeg"}`,
		`{"sha256": "` + strings.Repeat("AB", 32) + `", "size": 9223372036854775807, "content_type": "application/pdf", "multipart": true}`,
		`{"key": "staging/x/y", "upload_id": "abc"}`,
		`{"position": 1, "sha256": "` + strings.Repeat("0", 64) + `"}`,
		`{"position": 1e3, "sha256": "x"}`,
		`{"sha256": "` + strings.Repeat("f", 64) + `"}`,
		`{"order": [2, 1, 3]}`,
		`{"order": [1, 1, -1, 1000000000000]}`,
		`{"procedure": "x"} {"procedure": "y"}`,
		`{"unknown": 1}`, `[]`, `null`, ``, `{`, `"\ud800"`,
	} {
		f.Add(uint8(i), []byte(b))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := bodyRoutes[int(route)%len(bodyRoutes)]
		path := strings.ReplaceAll(rt.path, "{code}", e.code)
		res := e.do(t, rt.method, path, e.tokens[rt.role], body, "application/json")
		if res.status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", rt.method, path, body, res.status, res.body)
		}
		if res.status < 400 {
			return
		}
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if ct := res.header.Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(res.body, &p) != nil ||
			p.Status != res.status || p.Detail == "" {
			t.Fatalf("%s %s with %q: %d answered as %q: %s, want a problem document", rt.method, path, body, res.status, ct, res.body)
		}
		if res.status == http.StatusInternalServerError {
			t.Fatalf("%s %s with %q: internal error", rt.method, path, body)
		}
	})
}
