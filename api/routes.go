package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline"
)

// Route is one endpoint and the roles allowed on it; Roles nil means
// public (health, the API document, and URLs that carry their own
// signature).
type Route struct {
	Method, Path string
	Roles        []string
	handle       func(http.ResponseWriter, *http.Request, *catalog.Token)
}

// Who may call a route.
var (
	operator  = []string{catalog.RoleOperator, catalog.RoleAdmin}
	workflow  = []string{catalog.RoleWorkflow, catalog.RoleAdmin}
	auditor   = []string{catalog.RoleAuditor, catalog.RoleAdmin}
	admin     = []string{catalog.RoleAdmin}
	readers   = []string{catalog.RoleOperator, catalog.RoleWorkflow, catalog.RoleAuditor, catalog.RoleAdmin}
	pickupers = []string{catalog.RoleOperator, catalog.RoleWorkflow, catalog.RoleAdmin}
)

// table is the API: every route, once, with who may call it. The role
// matrix test and the OpenAPI test both walk it.
func (s *Server) table() []Route {
	return []Route{
		{"POST", "/v1/dossiers", operator, s.createDossier},
		{"GET", "/v1/dossiers", workflow, s.listReady},
		{"GET", "/v1/dossiers/{code}", readers, s.getDossier},
		{"GET", "/v1/dossiers/{code}/progress", readers, s.progress},
		{"POST", "/v1/dossiers/{code}/uploads", operator, s.requestUpload},
		{"POST", "/v1/dossiers/{code}/uploads/multipart/parts", operator, s.multipartParts},
		{"POST", "/v1/dossiers/{code}/uploads/multipart/complete", operator, s.multipartComplete},
		{"POST", "/v1/dossiers/{code}/pages", operator, s.confirmPage},
		{"PUT", "/v1/dossiers/{code}/pages/{position}", operator, s.replacePage},
		{"DELETE", "/v1/dossiers/{code}/pages/{position}", operator, s.deletePage},
		{"POST", "/v1/dossiers/{code}/pages/order", operator, s.reorderPages},
		{"POST", "/v1/dossiers/{code}/submit", operator, s.submit},
		{"GET", "/v1/dossiers/{code}/metadata", workflow, s.metadata},
		{"GET", "/v1/dossiers/{code}/text", workflow, s.text},
		{"GET", "/v1/dossiers/{code}/pdf", pickupers, s.pdfLink},
		{"POST", "/v1/dossiers/{code}/ack", workflow, s.ack},
		{"GET", "/v1/dossiers/{code}/originals", auditor, s.originals},
		{"GET", "/v1/dossiers/{code}/originals/{sha256}", auditor, s.original},
		{"POST", "/v1/dossiers/{code}/verify", auditor, s.verify},
		{"GET", "/v1/dossiers/{code}/trail", auditor, s.trail},
		{"GET", "/metrics", admin, s.serveMetrics},
		{"PUT", UploadPath + "{code}/{sha256}", nil, s.upload},
		{"GET", "/v1/downloads/{code}/pdf", nil, s.download},
		{"GET", "/openapi.json", nil, s.openAPI},
		{"GET", "/healthz", nil, func(w http.ResponseWriter, _ *http.Request, _ *catalog.Token) { w.WriteHeader(http.StatusNoContent) }},
		{"GET", "/readyz", nil, s.ready},
	}
}

// Routes lists the API's endpoints and who may call them.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// wrap checks the client's token and role before the handler runs, and
// counts the request for /metrics.
func (s *Server) wrap(rt Route) http.Handler {
	label := rt.Method + " " + rt.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() { s.metrics.observe(label, sw.status, time.Since(start)) }()
		if rt.Roles == nil {
			rt.handle(sw, r, nil)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="sohoa"`)
			problem(sw, http.StatusUnauthorized, "an API token is required: Authorization: Bearer TOKEN")
			return
		}
		cl, err := s.cfg.Catalog.Authenticate(r.Context(), tok)
		if errors.Is(err, catalog.ErrBadToken) {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="sohoa", error="invalid_token"`)
			problem(sw, http.StatusUnauthorized, err.Error())
			return
		}
		if err != nil {
			s.fail(sw, r, err)
			return
		}
		if !slices.Contains(rt.Roles, cl.Role) {
			problem(sw, http.StatusForbidden, fmt.Sprintf("role %s may not %s %s", cl.Role, rt.Method, rt.Path))
			return
		}
		rt.handle(sw, r, &cl)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// actor names the client in the catalog's events: role and token name.
func actor(cl *catalog.Token) string { return cl.Role + ":" + cl.Name }

// dossierFor fetches the dossier a request names; to an operator, another
// office's dossier does not exist.
func (s *Server) dossierFor(ctx context.Context, cl *catalog.Token, code string) (catalog.Dossier, error) {
	if pipeline.CheckCode(code) != nil {
		// Not a code this service gives out (nor valid UTF-8, maybe):
		// no such dossier, without asking the database.
		return catalog.Dossier{}, fmt.Errorf("dossier %q: %w", code, catalog.ErrNotFound)
	}
	d, err := s.cfg.Catalog.Get(ctx, code)
	// Another office's dossier is answered as an unknown one, word for
	// word: codes are sequential, and a different answer would tell an
	// operator which codes other offices have given out.
	if errors.Is(err, catalog.ErrNotFound) || err == nil && cl.Role == catalog.RoleOperator && d.Office != cl.Office {
		return catalog.Dossier{}, fmt.Errorf("dossier %s: %w", code, catalog.ErrNotFound)
	}
	return d, err
}

// position reads the {position} path segment.
func position(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("position"))
	if err != nil || n < 1 || n > 10000 {
		problem(w, http.StatusBadRequest, "page position: want 1 to 10000")
		return 0, false
	}
	return n, true
}
