package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// problemsWith copies deploy/k8s's manifests into a temporary folder,
// replaces old by new in file (once; the test fails if old is not there),
// and returns what kubecheck finds.
func problemsWith(t *testing.T, file, old, new string) []string {
	t.Helper()
	dir := t.TempDir()
	paths, err := filepath.Glob("../*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in ..: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) == file {
			s := string(b)
			if !strings.Contains(s, old) {
				t.Fatalf("%s has no %q to change", file, old)
			}
			b = []byte(strings.Replace(s, old, new, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.check()
}

func TestManifestsPass(t *testing.T) {
	if p := problemsWith(t, "", "", ""); len(p) > 0 {
		t.Errorf("deploy/k8s: %d problems:\n%s", len(p), strings.Join(p, "\n"))
	}
}

// Each change is a mistake kubecheck must name.
func TestMistakesFound(t *testing.T) {
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"unknown field", "worker.yaml", "terminationGracePeriodSeconds: 90", "terminationGracePeriod: 90", `unknown field "spec.template.spec.terminationGracePeriod"`},
		{"wrong type", "serve.yaml", "replicas: 2", "replicas: two", "replicas"},
		{"bad quantity", "worker.yaml", "memory: 1Gi", "memory: 1GB", "quantities must match"},
		{"duplicate key", "config.yaml", "SOHOA_STORAGE: s3", "SOHOA_STORAGE: s3\n  SOHOA_STORAGE: local", "already set in map"},
		{"unknown kind", "networkpolicy.yaml", "kind: NetworkPolicy", "kind: NetworkPolicie", "a kind kubecheck does not know"},
		{"selector misses its template", "serve.yaml", "      app.kubernetes.io/component: serve\n  strategy:", "      app.kubernetes.io/component: api\n  strategy:", "does not select the template's labels"},
		{"service selects nothing", "serve.yaml", "  selector:\n    app.kubernetes.io/name: sohoa\n    app.kubernetes.io/component: serve\n  ports:", "  selector:\n    app.kubernetes.io/name: sohoa\n    app.kubernetes.io/component: server\n  ports:", "selects the pods of no Deployment"},
		{"probe on an unnamed port", "serve.yaml", "path: /readyz\n              port: http", "path: /readyz\n              port: metrics", `port "metrics" is not one of the container's named ports`},
		{"missing ConfigMap", "worker.yaml", "configMapRef:\n                name: sohoa", "configMapRef:\n                name: sohoa-config", `no ConfigMap "sohoa-config"`},
		{"no memory limit", "serve.yaml", "limits:\n              memory: 2Gi", "limits:\n              cpu: \"1\"", "no memory limit"},
		{"request above limit", "worker.yaml", "cpu: \"2\"\n              memory: 1Gi", "cpu: \"4\"\n              memory: 1Gi", "cpu request 4 above its limit 2"},
		{"PDB selects nothing", "worker.yaml", "maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: sohoa", "maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: sohoa-x", "selects the pods of no Deployment"},
		{"scale target missing", "worker.yaml", "scaleTargetRef:\n    name: sohoa-worker", "scaleTargetRef:\n    name: sohoa-workers", `no Deployment "sohoa-workers"`},
		{"unknown ScaledObject field", "worker.yaml", "pollingInterval: 15", "pollInterval: 15", `unknown field "spec.pollInterval"`},
		{"misspelt scaler key", "worker.yaml", `listLength: "4"`, `listLenght: "4"`, `metadata "listLenght": not a key`},
		{"asynq key without braces", "worker.yaml", `listName: "asynq:{desk}:pending"`, `listName: "asynq:desk:pending"`, "not the pending list of a sohoa queue"},
		{"queue not watched", "worker.yaml", `listName: "asynq:{bulk}:pending"`, `listName: "asynq:{desk}:pending"`, "no trigger watches queue bulk"},
		{"secret key missing", "secrets.example.yaml", "  REDIS_PASSWORD: CHANGE-ME\n", "", `Secret "sohoa" has no key "REDIS_PASSWORD"`},
		{"manifest not in kustomization", "kustomization.yaml", "  - networkpolicy.yaml\n", "", "networkpolicy.yaml is not listed"},
		{"capabilities kept", "serve.yaml", `drop: ["ALL"]`, `drop: ["NET_RAW"]`, "capabilities.drop: want ALL"},
		{"no seccomp", "worker.yaml", "        seccompProfile:\n          type: RuntimeDefault\n", "", "no RuntimeDefault seccompProfile"},
		{"bad name", "config.yaml", "name: sohoa", "name: Sohoa_Config", "metadata.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problemsWith(t, tc.file, tc.old, tc.new)
			all := strings.Join(p, "\n")
			if !strings.Contains(all, tc.want) {
				t.Errorf("want a problem with %q, got:\n%s", tc.want, all)
			}
		})
	}
}
