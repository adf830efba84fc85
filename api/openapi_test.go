package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The parts of an OpenAPI document the tests check.
type (
	apiDoc struct {
		OpenAPI    string                      `json:"openapi"`
		Security   []map[string][]string       `json:"security"`
		Paths      map[string]map[string]apiOp `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type, Scheme string
			} `json:"securitySchemes"`
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"components"`
	}
	apiOp struct {
		OperationID string                     `json:"operationId"`
		Roles       []string                   `json:"x-roles"`
		Security    *[]map[string][]string     `json:"security"`
		Parameters  []apiParam                 `json:"parameters"`
		Responses   map[string]json.RawMessage `json:"responses"`
	}
	apiParam struct {
		Name, In string
		Required bool
	}
)

func readOpenAPI(t *testing.T) apiDoc {
	t.Helper()
	var doc apiDoc
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// docPath is a route's path as OpenAPI writes it: a Go wildcard {key...},
// which takes the rest of the path, is the parameter {key}.
func docPath(route string) string { return strings.ReplaceAll(route, "...}", "}") }

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIMatchesRoutes keeps openapi.json and table() equal: the same
// operations, each with the route's roles (none: public), its path
// parameters, and problem responses for its errors.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := readOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	if bearer := doc.Components.SecuritySchemes["bearer"]; bearer.Type != "http" || bearer.Scheme != "bearer" {
		t.Errorf("security scheme bearer is %+v, want http bearer", bearer)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Errorf("document security %v, want bearer for every operation not marked public", doc.Security)
	}
	for code, r := range doc.Components.Responses {
		if n, _ := strconv.Atoi(code); n >= 400 && r.Content["application/problem+json"] == nil {
			t.Errorf("response %s is not application/problem+json", code)
		}
	}

	documented := map[string]apiOp{}
	for p, item := range doc.Paths {
		for m, op := range item {
			documented[strings.ToUpper(m)+" "+p] = op
		}
	}
	routes := (&Server{}).table()
	inTable := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + docPath(rt.Path)
		if inTable[key] {
			t.Errorf("%s twice in table()", key)
		}
		inTable[key] = true
		op, ok := documented[key]
		if !ok {
			t.Errorf("%s is in table() but not in openapi.json", key)
			continue
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		}
		// nil Roles is a public route: no x-roles and security: [].
		if (rt.Roles == nil) != (op.Roles == nil) || !slices.Equal(rt.Roles, op.Roles) {
			t.Errorf("%s: x-roles %v, table() says %v", key, op.Roles, rt.Roles)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Roles == nil) {
			t.Errorf("%s: public (security: []) is %v, table() roles %v", key, public, rt.Roles)
		}
		if rt.Roles != nil && (op.Responses["401"] == nil || op.Responses["403"] == nil) {
			t.Errorf("%s needs a token but documents no 401 and 403", key)
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", key)
		}
		for code, r := range op.Responses {
			var ref struct {
				Ref string `json:"$ref"`
			}
			json.Unmarshal(r, &ref)
			if n, _ := strconv.Atoi(code); n >= 400 && ref.Ref != "#/components/responses/"+code {
				t.Errorf("%s: response %s is not the shared problem response", key, code)
			}
		}

		inPath := map[string]bool{}
		for _, m := range pathParam.FindAllStringSubmatch(docPath(rt.Path), -1) {
			inPath[m[1]] = true
		}
		declared := map[string]bool{}
		for _, p := range op.Parameters {
			if p.In != "path" {
				continue
			}
			declared[p.Name] = true
			if !inPath[p.Name] {
				t.Errorf("%s declares path parameter %s, which its path lacks", key, p.Name)
			}
			if !p.Required {
				t.Errorf("%s: path parameter %s is not required", key, p.Name)
			}
		}
		for name := range inPath {
			if !declared[name] {
				t.Errorf("%s: path parameter {%s} is not declared", key, name)
			}
		}
	}
	for key := range documented {
		if !inTable[key] {
			t.Errorf("%s is in openapi.json but not in table()", key)
		}
	}
}

// TestOpenAPIRefs: every $ref in the document names something in it.
func TestOpenAPIRefs(t *testing.T) {
	var doc any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := pointer(doc, ref); !ok {
					t.Errorf("$ref %s names nothing", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// pointer resolves a local JSON pointer reference, #/a/b.
func pointer(doc any, ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestOpenAPIServed: GET /openapi.json answers the embedded document.
func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{}).openAPI(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil), nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !json.Valid(rec.Body.Bytes()) || rec.Body.String() != string(OpenAPI()) {
		t.Errorf("served document is not the embedded one")
	}
}
