package api

import (
	_ "embed"
	"net/http"

	"github.com/sohoa/sohoa/catalog"
)

// openapiDoc describes every route in table(); a test keeps the two equal.
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the API's OpenAPI 3.1 document.
func OpenAPI() []byte { return openapiDoc }

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ *catalog.Token) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiDoc)
}
