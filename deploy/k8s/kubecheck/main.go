// Command kubecheck checks sohoa's Kubernetes manifests (deploy/k8s) with
// no cluster and no network: every document is decoded strictly into the
// API's own Go types (k8s.io/api), as the API server's strict field
// validation would (an unknown or duplicated field, a wrong type or a bad
// quantity is an error), KEDA's objects into their fields as KEDA's
// v1alpha1 API declares them, and then the manifests are checked against
// each other: selectors that select, ports and probes that name a port the
// container has, references to ConfigMaps, Secrets and scale targets that
// exist, the worker autoscaler watching asynq's pending lists of sohoa's
// queues, and a kustomization that lists every manifest.
//
// A schema validator such as kubeconform needs JSON schemas fetched from
// the network; decoding into the types the schemas are generated from
// needs only the Go module proxy.
//
//	go run . DIR   (deploy/check.sh runs it on deploy/k8s)
package main

import (
	"fmt"
	"os"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	set, err := load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(1)
	}
	for _, o := range set.objects {
		fmt.Printf("kubecheck: %s: %s\n", o.file, o)
	}
	problems := set.check()
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "kubecheck:", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "kubecheck: %d problem(s) in %s\n", len(problems), dir)
		os.Exit(1)
	}
	fmt.Printf("kubecheck: %d objects in %s decoded strictly and consistent\n", len(set.objects), dir)
}
