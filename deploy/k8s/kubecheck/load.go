package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	strictjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// object is one decoded document of a manifest file.
type object struct {
	file       string // base name
	doc        int    // 1-based position in the file
	apiVersion string
	kind       string
	name       string
	v          any // *appsv1.Deployment, *scaledObject, ...
}

func (o *object) String() string {
	return fmt.Sprintf("%s %s/%s", o.apiVersion, o.kind, o.name)
}

// where names the document in a problem.
func (o *object) where() string {
	return fmt.Sprintf("%s doc %d (%s/%s)", o.file, o.doc, o.kind, o.name)
}

// manifests is what load read from a folder.
type manifests struct {
	dir      string
	files    []string // base names of the .yaml files, sorted
	objects  []*object
	problems []string // documents that did not decode
}

// kinds maps apiVersion and kind to the type a document decodes into:
// the kinds sohoa's manifests use. Any other kind is a problem, so a new
// one is added here, where it is also checked.
var kinds = map[string]func() any{
	"v1/Namespace":                                  func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                                  func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                                     func() any { return &corev1.Secret{} },
	"v1/Service":                                    func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                            func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":                 func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":            func() any { return &networkingv1.NetworkPolicy{} },
	"autoscaling/v2/HorizontalPodAutoscaler":        func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"keda.sh/v1alpha1/ScaledObject":                 func() any { return &scaledObject{} },
	"keda.sh/v1alpha1/TriggerAuthentication":        func() any { return &triggerAuthentication{} },
	"kustomize.config.k8s.io/v1beta1/Kustomization": func() any { return &kustomization{} },
}

// load decodes every document of every .yaml file in dir. A document
// that does not decode is recorded as a problem and left out.
func load(dir string) (*manifests, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .yaml files in %s", dir)
	}
	sort.Strings(paths)
	m := &manifests{dir: dir}
	for _, p := range paths {
		m.files = append(m.files, filepath.Base(p))
		if err := m.loadFile(p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *manifests) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := k8syaml.NewYAMLReader(bufio.NewReader(f))
	file := filepath.Base(path)
	n := 0 // documents with content; a file may start or end with "---"
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		o, err := decode(b)
		if err == nil && o == nil { // only comments
			continue
		}
		n++
		if err != nil {
			m.problems = append(m.problems, fmt.Sprintf("%s doc %d: %v", file, n, err))
			continue
		}
		o.file, o.doc = file, n
		m.objects = append(m.objects, o)
	}
}

// decode reads one YAML document strictly: duplicate keys are refused
// when turning it into JSON, unknown and duplicate fields when decoding
// the JSON into the kind's type.
func decode(doc []byte) (*object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return nil, fmt.Errorf("not an object: %w", err)
	}
	newT, ok := kinds[meta.APIVersion+"/"+meta.Kind]
	if !ok {
		return nil, fmt.Errorf("%s %s: a kind kubecheck does not know (add it to kinds)", meta.APIVersion, meta.Kind)
	}
	v := newT()
	strict, err := strictjson.UnmarshalStrict(js, v, strictjson.DisallowDuplicateFields, strictjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s/%s: %w", meta.Kind, meta.Metadata.Name, errors.Join(strict...))
	}
	return &object{apiVersion: meta.APIVersion, kind: meta.Kind, name: meta.Metadata.Name, v: v}, nil
}
