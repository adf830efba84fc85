package api_test

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/catalog"
)

// signedRoutes carry their own signature in the URL instead of a token:
// without a valid one they answer 403, whoever asks.
var signedRoutes = map[string]bool{
	"PUT /v1/uploads/{code}/{sha256}": true,
	"GET /v1/downloads/{code}/pdf":    true,
}

// TestRoleMatrix sends every route a request from every role and from
// no one: no token on a protected route is 401, a role the route does
// not list is 403, a role it lists gets past both (whatever the handler
// then makes of the plausible but fake request). Nothing answers 5xx.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	sum := strings.Repeat("ab", 32)
	fill := strings.NewReplacer("{code}", e.code, "{position}", "1", "{sha256}", sum, "{key...}", "dossiers/x/y.pdf")
	bodies := map[string]any{
		"POST /v1/dossiers":                                   map[string]any{"procedure": "1.000894"},
		"POST /v1/dossiers/{code}/uploads":                    map[string]any{"sha256": sum, "size": 1000, "content_type": "image/jpeg"},
		"POST /v1/dossiers/{code}/uploads/multipart/parts":    map[string]any{"key": "uploads/" + sum + "/1000/n", "upload_id": "u"},
		"POST /v1/dossiers/{code}/uploads/multipart/complete": map[string]any{"key": "uploads/" + sum + "/1000/n", "upload_id": "u"},
		"POST /v1/dossiers/{code}/pages":                      map[string]any{"position": 1, "sha256": sum},
		"PUT /v1/dossiers/{code}/pages/{position}":            map[string]any{"sha256": sum},
		"POST /v1/dossiers/{code}/pages/order":                map[string]any{"order": []int{1}},
		"PUT /v1/uploads/{code}/{sha256}":                     []byte("not a scan"),
	}
	roles := []string{catalog.RoleOperator, catalog.RoleWorkflow, catalog.RoleAuditor, catalog.RoleAdmin}
	routes := e.api.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		for _, r := range rt.Roles {
			if !slices.Contains(roles, r) {
				t.Errorf("%s: role %q is none the test has a token for", name, r)
			}
		}
		if signedRoutes[name] && rt.Roles != nil {
			t.Errorf("%s checks its own signature but asks for roles %v", name, rt.Roles)
		}
		path := fill.Replace(rt.Path)
		if strings.Contains(path, "{") {
			t.Fatalf("%s: no test value for a path parameter", name)
		}
		for _, role := range append([]string{""}, roles...) {
			t.Run(name+" as "+cmp.Or(role, "nobody"), func(t *testing.T) {
				ct := ""
				if _, raw := bodies[name].([]byte); raw {
					ct = "image/jpeg"
				}
				res := e.do(t, rt.Method, path, e.tokens[role], bodies[name], ct)
				switch {
				case signedRoutes[name]:
					wantProblem(t, res, http.StatusForbidden, "signature")
				case rt.Roles == nil:
					if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
						t.Errorf("public route answered %d: %s", res.status, res.body)
					}
				case role == "":
					wantProblem(t, res, http.StatusUnauthorized, "token")
					if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("401 without a WWW-Authenticate: Bearer challenge")
					}
				case !slices.Contains(rt.Roles, role):
					wantProblem(t, res, http.StatusForbidden, "role "+role)
				default:
					if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
						t.Errorf("role %s, which the route allows, answered %d: %s", role, res.status, res.body)
					}
				}
				if res.status >= 500 {
					t.Errorf("answered %d: %s", res.status, res.body)
				}
			})
		}
	}
}

// TestOfficeScoping: an operator works on its own office's dossiers only,
// and only operators (and admins) open dossiers. To an operator, another
// office's dossier is answered word for word as a code nobody gave out
// (codes are sequential: a 403 would tell which exist).
func TestOfficeScoping(t *testing.T) {
	e := newEnv(t)
	unknown := office + "-250101-0999"
	for _, c := range []struct {
		name, method, path, token string
		body                      any
	}{
		{"another office's dossier", "GET", "/v1/dossiers/{code}", e.other, nil},
		{"another office's progress", "GET", "/v1/dossiers/{code}/progress", e.other, nil},
		{"upload to another office's dossier", "POST", "/v1/dossiers/{code}/uploads", e.other,
			map[string]any{"sha256": strings.Repeat("ab", 32), "size": 1000, "content_type": "image/jpeg"}},
		{"confirm in another office's dossier", "POST", "/v1/dossiers/{code}/pages", e.other,
			map[string]any{"position": 1, "sha256": strings.Repeat("ab", 32)}},
		{"replace a page of another office's dossier", "PUT", "/v1/dossiers/{code}/pages/1", e.other,
			map[string]any{"sha256": strings.Repeat("ab", 32)}},
		{"delete a page of another office's dossier", "DELETE", "/v1/dossiers/{code}/pages/1", e.other, nil},
		{"reorder another office's dossier", "POST", "/v1/dossiers/{code}/pages/order", e.other, map[string]any{"order": []int{1}}},
		{"another office's multipart upload", "POST", "/v1/dossiers/{code}/uploads/multipart/parts", e.other,
			map[string]any{"key": "uploads/x", "upload_id": "u"}},
		{"complete another office's multipart upload", "POST", "/v1/dossiers/{code}/uploads/multipart/complete", e.other,
			map[string]any{"key": "uploads/x", "upload_id": "u"}},
		{"submit another office's dossier", "POST", "/v1/dossiers/{code}/submit", e.other, nil},
		{"another office's PDF", "GET", "/v1/dossiers/{code}/pdf", e.other, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			theirs := e.do(t, c.method, strings.Replace(c.path, "{code}", e.code, 1), c.token, c.body, "")
			none := e.do(t, c.method, strings.Replace(c.path, "{code}", unknown, 1), c.token, c.body, "")
			wantProblem(t, theirs, http.StatusNotFound, "not found")
			if want := strings.ReplaceAll(string(none.body), unknown, e.code); none.status != theirs.status || string(theirs.body) != want {
				t.Errorf("another office's dossier: %d %s\nunknown code: %d %s\nwant the same answer", theirs.status, theirs.body, none.status, none.body)
			}
		})
	}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		detail                    string
	}{
		{"open a dossier for another office", "POST", "/v1/dossiers", e.tokens[catalog.RoleOperator],
			map[string]any{"procedure": "1.000894", "office": otherOffice}, otherOffice},
		{"auditor opens a dossier", "POST", "/v1/dossiers", e.tokens[catalog.RoleAuditor],
			map[string]any{"procedure": "1.000894"}, "role auditor"},
		{"workflow opens a dossier", "POST", "/v1/dossiers", e.tokens[catalog.RoleWorkflow],
			map[string]any{"procedure": "1.000894"}, "role workflow"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, e.do(t, c.method, c.path, c.token, c.body, ""), http.StatusForbidden, c.detail)
		})
	}
	// The dossier's own operator, and the roles that read any office's.
	for _, tok := range []string{e.tokens[catalog.RoleOperator], e.tokens[catalog.RoleWorkflow], e.tokens[catalog.RoleAuditor], e.tokens[catalog.RoleAdmin]} {
		if res := e.do(t, "GET", "/v1/dossiers/"+e.code, tok, nil, ""); res.status != http.StatusOK {
			t.Errorf("GET own dossier: %d %s", res.status, res.body)
		}
	}
	// An admin opens dossiers for any office, naming it.
	res := e.do(t, "POST", "/v1/dossiers", e.tokens[catalog.RoleAdmin], map[string]any{"procedure": "1.000894", "office": otherOffice}, "")
	if res.status != http.StatusCreated || !strings.Contains(string(res.body), `"office":"`+otherOffice+`"`) {
		t.Errorf("admin creates for %s: %d %s", otherOffice, res.status, res.body)
	}
}
