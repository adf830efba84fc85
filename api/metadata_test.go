package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/pipeline/extract"
	"github.com/sohoa/sohoa/pipeline/reconcile"
	"github.com/sohoa/sohoa/storage"
)

// putJSON stores v as JSON under the key keyOf gives its SHA-256.
func (e *env) putJSON(t *testing.T, keyOf func(sum string) string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	key := keyOf(sha(b))
	if err := e.st.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), sha(b)); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestCurrentMetadata: the metadata endpoint answers the dossier's
// current metadata document, not the one its manifest was signed with,
// and where its reconciliation stands; the ready listing finds a dossier
// by a number its documents give, and refuses one that cannot be a
// number.
func TestCurrentMetadata(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wf := e.tokens[catalog.RoleWorkflow]
	pdf := []byte("%PDF-1.7 signed")
	e.signedDossier(t, pdf)

	const number = "001085012345"
	docs := []pipeline.Document{{FirstPage: 1, LastPage: 1, Metadata: extract.Metadata{DocumentType: "to_khai_cu_tru",
		People: []extract.Person{{Role: extract.RoleRegistered, ID: &extract.Field{Raw: number, Value: number, Page: 1},
			Name: &extract.Field{Raw: "Nguyễn Văn An", Value: "Nguyễn Văn An", Page: 1}}}}}}
	signedWith := &pipeline.Metadata{Documents: docs, Reconciliation: &reconcile.Result{Status: reconcile.Pending,
		Checked: time.Now().Add(-time.Hour).UTC(), Error: "register unavailable"}}
	m := pipeline.Manifest{Code: e.code, Created: time.Now().UTC(), Pages: []pipeline.PageReport{{Page: 1}}, Metadata: signedWith}
	m.SetPDF(storage.SignedKey(e.code, sha(pdf)), pdf, nil)
	e.putJSON(t, func(string) string { return storage.SignedManifestKey(e.code, sha(pdf)) }, m)
	citizens := []catalog.Citizen{{Number: number, Role: extract.RoleRegistered}}
	pendingKey := e.putJSON(t, func(sum string) string { return storage.MetadataKey(e.code, sum) }, signedWith)
	retryAt := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	if err := e.cat.SetMetadata(ctx, e.code, catalog.Metadata{Key: pendingKey, Status: catalog.ReconcilePending,
		After: retryAt, Citizens: citizens}, "worker"); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		Code     string `json:"code"`
		Metadata struct {
			Documents      []json.RawMessage `json:"documents"`
			Reconciliation struct {
				Status string `json:"status"`
				People []struct {
					Number  string `json:"number"`
					Outcome string `json:"outcome"`
				} `json:"people"`
			} `json:"reconciliation"`
		} `json:"metadata"`
		Status  string     `json:"reconciliation_status"`
		Tries   int        `json:"reconciliation_tries"`
		RetryAt *time.Time `json:"reconciliation_retry_at"`
		Pages   []json.RawMessage
	}
	get := func() answer {
		t.Helper()
		res := e.do(t, "GET", "/v1/dossiers/"+e.code+"/metadata", wf, nil, "")
		if res.status != http.StatusOK {
			t.Fatalf("metadata: %d %s", res.status, res.body)
		}
		var a answer
		if err := json.Unmarshal(res.body, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := get()
	if a.Status != catalog.ReconcilePending || a.Tries != 1 || a.RetryAt == nil || !a.RetryAt.Equal(retryAt) ||
		a.Metadata.Reconciliation.Status != reconcile.Pending || len(a.Metadata.Documents) != 1 || len(a.Pages) != 1 {
		t.Errorf("pending: %+v", a)
	}

	// The register answers after signing: a newer document.
	now := *signedWith
	now.Reconciliation = &reconcile.Result{Status: reconcile.Reconciled, Checked: time.Now().UTC(),
		People: []reconcile.Person{{Document: 0, Role: extract.RoleRegistered, Number: number, Outcome: reconcile.Found}}}
	doneKey := e.putJSON(t, func(sum string) string { return storage.MetadataKey(e.code, sum) }, &now)
	if err := e.cat.SetMetadata(ctx, e.code, catalog.Metadata{Key: doneKey, Status: catalog.ReconcileDone,
		Citizens: citizens}, "worker"); err != nil {
		t.Fatal(err)
	}
	a = get()
	if a.Status != catalog.ReconcileDone || a.RetryAt != nil || a.Metadata.Reconciliation.Status != reconcile.Reconciled ||
		len(a.Metadata.Reconciliation.People) != 1 || a.Metadata.Reconciliation.People[0].Outcome != reconcile.Found {
		t.Errorf("reconciled after signing: %+v", a)
	}

	list := func(query string) []string {
		t.Helper()
		res := e.do(t, "GET", "/v1/dossiers?status=ready"+query, wf, nil, "")
		if res.status != http.StatusOK {
			t.Fatalf("listing %s: %d %s", query, res.status, res.body)
		}
		var l struct {
			Items []struct{ Code string } `json:"items"`
		}
		json.Unmarshal(res.body, &l)
		var codes []string
		for _, it := range l.Items {
			codes = append(codes, it.Code)
		}
		return codes
	}
	if got := list("&citizen_id=" + number); len(got) != 1 || got[0] != e.code {
		t.Errorf("listing by the number the documents give: %v", got)
	}
	for _, other := range []string{"079162000777", "012345678"} {
		if got := list("&citizen_id=" + other); len(got) != 0 {
			t.Errorf("listing by %s, which the dossier does not name: %v", other, got)
		}
	}
	if got := list(""); len(got) != 1 {
		t.Errorf("listing unfiltered: %v", got)
	}
	for _, bad := range []string{"", "12345", "0010850123456", "999085012345", "001985012345x", "000000000"} {
		res := e.do(t, "GET", "/v1/dossiers?status=ready&citizen_id="+bad, wf, nil, "")
		wantProblem(t, res, http.StatusUnprocessableEntity, "citizen_id")
	}
}
