package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// sohoaQueues are the asynq queues sohoa's workers take tasks from
// (catalog.QueueDesk, catalog.QueueBulk and queue.QueueFinish in the
// sohoa module).
var sohoaQueues = []string{"desk", "bulk", "finish"}

// pendingKey is where asynq keeps a queue's waiting tasks: a Redis list
// named by base.PendingKey in github.com/hibiken/asynq/internal/base.
func pendingKey(queue string) string { return "asynq:{" + queue + "}:pending" }

// checker collects the problems of one set of manifests.
type checker struct {
	m        *manifests
	problems []string
}

func (c *checker) addf(o *object, format string, args ...any) {
	c.problems = append(c.problems, o.where()+": "+fmt.Sprintf(format, args...))
}

// check returns the documents that did not decode or, when all did, the
// problems check finds; checking references among half the documents
// would only add noise.
func (m *manifests) check() []string {
	if len(m.problems) > 0 {
		return m.problems
	}
	return check(m)
}

// check runs the checks that span documents and those the API server
// would make on admission that decoding alone does not.
func check(m *manifests) []string {
	c := &checker{m: m}
	for _, o := range m.objects {
		c.checkName(o)
		switch v := o.v.(type) {
		case *appsv1.Deployment:
			c.checkDeployment(o, v)
		case *corev1.Service:
			c.checkService(o, v)
		case *policyv1.PodDisruptionBudget:
			c.checkPDB(o, v)
		case *networkingv1.NetworkPolicy:
			c.checkNetworkPolicy(o, v)
		case *scaledObject:
			c.checkScaledObject(o, v)
		case *triggerAuthentication:
			c.checkTriggerAuthentication(o, v)
		case *kustomization:
			c.checkKustomization(o, v)
		}
	}
	return c.problems
}

func (c *checker) checkName(o *object) {
	if o.kind == "Kustomization" {
		return
	}
	if errs := validation.IsDNS1123Subdomain(o.name); len(errs) > 0 {
		c.addf(o, "metadata.name %q: %s", o.name, strings.Join(errs, "; "))
	}
}

// deployments are the set's Deployments.
func (c *checker) deployments() []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, o := range c.m.objects {
		if d, ok := o.v.(*appsv1.Deployment); ok {
			out = append(out, d)
		}
	}
	return out
}

// selected are the Deployments whose pods sel selects.
func (c *checker) selected(sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range c.deployments() {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

// selectsPods checks a label selector of a Service, PodDisruptionBudget or
// NetworkPolicy and returns the Deployments it selects (none is a problem).
func (c *checker) selectsPods(o *object, field string, ls *metav1.LabelSelector) []*appsv1.Deployment {
	if ls == nil {
		c.addf(o, "%s: missing", field)
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		c.addf(o, "%s: %v", field, err)
		return nil
	}
	ds := c.selected(sel)
	if len(ds) == 0 {
		c.addf(o, "%s %s selects the pods of no Deployment", field, sel)
	}
	return ds
}

func (c *checker) find(kind, name string) *object {
	for _, o := range c.m.objects {
		if o.kind == kind && o.name == name {
			return o
		}
	}
	return nil
}

func (c *checker) checkDeployment(o *object, d *appsv1.Deployment) {
	spec := d.Spec.Template.Spec
	if d.Spec.Selector == nil {
		c.addf(o, "spec.selector: missing")
	} else if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil {
		c.addf(o, "spec.selector: %v", err)
	} else if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		c.addf(o, "spec.selector %s does not select the template's labels %v", sel, d.Spec.Template.Labels)
	}
	if len(spec.Containers) == 0 {
		c.addf(o, "no containers")
	}
	// namespace.yaml enforces the "restricted" Pod Security Standard,
	// whose admission would refuse a pod without these.
	podSeccomp := false
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		c.addf(o, "pod securityContext.runAsNonRoot: want true")
	} else {
		podSeccomp = sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
		if v.Secret != nil {
			c.needSecret(o, "volume "+v.Name, v.Secret.SecretName, "")
		}
		if v.ConfigMap != nil && c.find("ConfigMap", v.ConfigMap.Name) == nil {
			c.addf(o, "volume %s: no ConfigMap %q", v.Name, v.ConfigMap.Name)
		}
	}
	for _, ct := range spec.Containers {
		where := "container " + ct.Name
		if ct.Image == "" {
			c.addf(o, "%s: no image", where)
		}
		for _, p := range []struct {
			name string
			p    *corev1.Probe
		}{{"startupProbe", ct.StartupProbe}, {"livenessProbe", ct.LivenessProbe}, {"readinessProbe", ct.ReadinessProbe}} {
			if p.p != nil && p.p.HTTPGet != nil {
				c.needPort(o, where+" "+p.name, ct.Ports, p.p.HTTPGet.Port)
			}
		}
		c.checkResources(o, where, ct.Resources)
		for _, e := range ct.EnvFrom {
			if e.ConfigMapRef != nil && c.find("ConfigMap", e.ConfigMapRef.Name) == nil {
				c.addf(o, "%s envFrom: no ConfigMap %q", where, e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil {
				c.needSecret(o, where+" envFrom", e.SecretRef.Name, "")
			}
		}
		for _, vm := range ct.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				c.addf(o, "%s volumeMount %s: no such volume", where, vm.Name)
			}
		}
		sc := ct.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			c.addf(o, "%s securityContext.allowPrivilegeEscalation: want false", where)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			c.addf(o, "%s securityContext.capabilities.drop: want ALL", where)
		}
		if !podSeccomp && (sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault) {
			c.addf(o, "%s: no RuntimeDefault seccompProfile (pod or container)", where)
		}
	}
}

// checkResources wants CPU and memory requested and memory limited, and
// no request above its limit (the API server refuses that).
func (c *checker) checkResources(o *object, where string, r corev1.ResourceRequirements) {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[name]; !ok {
			c.addf(o, "%s: no %s request", where, name)
		}
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		c.addf(o, "%s: no memory limit", where)
	}
	for name, req := range r.Requests {
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			c.addf(o, "%s: %s request %s above its limit %s", where, name, req.String(), lim.String())
		}
	}
}

// needPort checks that a port given by name or number is one the
// container declares (a number that is not declared is allowed: a
// container may listen on ports it does not list).
func (c *checker) needPort(o *object, where string, ports []corev1.ContainerPort, port intstr.IntOrString) {
	if port.Type == intstr.Int {
		return
	}
	for _, p := range ports {
		if p.Name == port.StrVal {
			return
		}
	}
	c.addf(o, "%s: port %q is not one of the container's named ports", where, port.StrVal)
}

// needSecret checks that the set (secrets.example.yaml included) has the
// Secret, and the key when one is named.
func (c *checker) needSecret(o *object, where, name, key string) {
	so := c.find("Secret", name)
	if so == nil {
		c.addf(o, "%s: no Secret %q", where, name)
		return
	}
	if key == "" {
		return
	}
	s := so.v.(*corev1.Secret)
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	if !inData && !inString {
		c.addf(o, "%s: Secret %q has no key %q", where, name, key)
	}
}

func (c *checker) checkService(o *object, s *corev1.Service) {
	if len(s.Spec.Selector) == 0 {
		c.addf(o, "spec.selector: missing")
		return
	}
	ds := c.selected(labels.SelectorFromSet(s.Spec.Selector))
	if len(ds) == 0 {
		c.addf(o, "spec.selector %v selects the pods of no Deployment", s.Spec.Selector)
	}
	for _, p := range s.Spec.Ports {
		if p.TargetPort.Type != intstr.String {
			continue
		}
		for _, d := range ds {
			var ports []corev1.ContainerPort
			for _, ct := range d.Spec.Template.Spec.Containers {
				ports = append(ports, ct.Ports...)
			}
			c.needPort(o, "port "+p.Name+" targetPort", ports, p.TargetPort)
		}
	}
}

func (c *checker) checkPDB(o *object, p *policyv1.PodDisruptionBudget) {
	if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
		c.addf(o, "want exactly one of minAvailable and maxUnavailable")
	}
	c.selectsPods(o, "spec.selector", p.Spec.Selector)
}

func (c *checker) checkNetworkPolicy(o *object, n *networkingv1.NetworkPolicy) {
	ds := c.selectsPods(o, "spec.podSelector", &n.Spec.PodSelector)
	for _, rule := range n.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port == nil {
				continue
			}
			for _, d := range ds {
				for _, ct := range d.Spec.Template.Spec.Containers {
					c.needPort(o, "ingress port", ct.Ports, *p.Port)
				}
			}
		}
	}
}

func (c *checker) checkScaledObject(o *object, s *scaledObject) {
	ref := s.Spec.ScaleTargetRef
	if ref == nil || ref.Name == "" {
		c.addf(o, "spec.scaleTargetRef.name: missing")
	} else if (ref.Kind == "" || ref.Kind == "Deployment") && c.find("Deployment", ref.Name) == nil {
		c.addf(o, "spec.scaleTargetRef: no Deployment %q", ref.Name)
	}
	lo, hi := int32(0), int32(100) // KEDA's defaults
	if s.Spec.MinReplicaCount != nil {
		lo = *s.Spec.MinReplicaCount
	}
	if s.Spec.MaxReplicaCount != nil {
		hi = *s.Spec.MaxReplicaCount
	}
	if lo > hi {
		c.addf(o, "minReplicaCount %d above maxReplicaCount %d", lo, hi)
	}
	if len(s.Spec.Triggers) == 0 {
		c.addf(o, "spec.triggers: none")
	}
	watched := map[string]bool{}
	for i, t := range s.Spec.Triggers {
		where := fmt.Sprintf("trigger %d (%s)", i, t.Name)
		if a := t.AuthenticationRef; a != nil && (a.Kind == "" || a.Kind == "TriggerAuthentication") &&
			c.find("TriggerAuthentication", a.Name) == nil {
			c.addf(o, "%s authenticationRef: no TriggerAuthentication %q", where, a.Name)
		}
		if t.Type != "redis" {
			continue
		}
		for k := range t.Metadata {
			if !redisListKeys[k] {
				c.addf(o, "%s metadata %q: not a key of KEDA's Redis lists scaler", where, k)
			}
		}
		if t.Metadata["address"] == "" && t.Metadata["addressFromEnv"] == "" && t.Metadata["host"] == "" && t.Metadata["hostFromEnv"] == "" {
			c.addf(o, "%s: no Redis address", where)
		}
		if n, err := strconv.Atoi(t.Metadata["listLength"]); err != nil || n < 1 {
			c.addf(o, "%s listLength %q: want a whole number of tasks ≥ 1", where, t.Metadata["listLength"])
		}
		name := t.Metadata["listName"]
		known := false
		for _, q := range sohoaQueues {
			if name == pendingKey(q) {
				known, watched[q] = true, true
			}
		}
		if !known {
			var want []string
			for _, q := range sohoaQueues {
				want = append(want, pendingKey(q))
			}
			c.addf(o, "%s listName %q: not the pending list of a sohoa queue (%s)", where, name, strings.Join(want, ", "))
		}
	}
	for _, q := range sohoaQueues {
		if len(s.Spec.Triggers) > 0 && !watched[q] {
			c.addf(o, "no trigger watches queue %s (%s)", q, pendingKey(q))
		}
	}
}

func (c *checker) checkTriggerAuthentication(o *object, t *triggerAuthentication) {
	for _, r := range t.Spec.SecretTargetRef {
		c.needSecret(o, "secretTargetRef "+r.Parameter, r.Name, r.Key)
	}
}

// checkKustomization wants every resource it lists to exist and every
// manifest of the folder listed, but for examples (*.example.yaml), which
// are applied by hand once edited.
func (c *checker) checkKustomization(o *object, k *kustomization) {
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(c.m.dir, r)); err != nil {
			c.addf(o, "resources: %s: %v", r, err)
		}
	}
	for _, f := range c.m.files {
		if f == o.file || strings.HasSuffix(f, ".example.yaml") {
			continue
		}
		if !slices.Contains(k.Resources, f) {
			c.addf(o, "resources: %s is not listed", f)
		}
	}
	if k.Namespace != "" {
		if errs := validation.IsDNS1123Label(k.Namespace); len(errs) > 0 {
			c.addf(o, "namespace %q: %s", k.Namespace, strings.Join(errs, "; "))
		}
	}
}
