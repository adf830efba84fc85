// Command dockerfilecheck parses a Dockerfile with BuildKit's own
// Dockerfile frontend (the parser and instruction decoder `docker build`
// runs) and applies BuildKit's build checks, the rules `docker build
// --check` reports that are decided while parsing (FromAsCasing,
// StageNameCasing, MaintainerDeprecated, ...; the others need the whole
// build graph), and adds what sohoa's image must hold to: CMD and
// ENTRYPOINT in exec form (BuildKit's JSONArgsRecommended, so SIGTERM
// reaches sohoa, which then drains its work), a final stage that ends as
// a user other than root, and a HEALTHCHECK. Any parse error or warning
// fails it. It needs no Docker daemon and no
// network beyond the Go module proxy, where hadolint is not to be had.
//
//	go run . FILE   (deploy/check.sh runs it on deploy/docker/Dockerfile)
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfilecheck FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfilecheck:", err)
		os.Exit(1)
	}
	defer f.Close()
	stages, problems, err := check(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfilecheck: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "dockerfilecheck: %s:%s\n", os.Args[1], p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("dockerfilecheck: %s: %d stages parse, no build-check warnings\n", os.Args[1], stages)
}

// check parses a Dockerfile and returns its number of stages and the
// parser's and build checks' warnings, each as "LINE: RULE: message". An
// error is a Dockerfile BuildKit would refuse to build.
func check(r io.Reader) (stages int, problems []string, err error) {
	res, err := parser.Parse(r)
	if err != nil {
		return 0, nil, err
	}
	for _, w := range res.Warnings {
		n := 0
		if w.Location != nil {
			n = w.Location.Start.Line
		}
		problems = append(problems, fmt.Sprintf("%d: %s", n, w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		problems = append(problems, fmt.Sprintf("%d: %s: %s", line(loc), rule, msg))
	}})
	st, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return 0, nil, err
	}
	if len(st) == 0 {
		return 0, nil, fmt.Errorf("no stages")
	}
	final := st[len(st)-1]
	user, healthcheck := "", false
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.CmdCommand:
			if c.PrependShell {
				problems = append(problems, fmt.Sprintf("%d: JSONArgsRecommended: CMD in shell form: signals go to the shell, not sohoa", line(c.Location())))
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				problems = append(problems, fmt.Sprintf("%d: JSONArgsRecommended: ENTRYPOINT in shell form: signals go to the shell, not sohoa", line(c.Location())))
			}
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			healthcheck = true
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		problems = append(problems, fmt.Sprintf("%d: the final stage runs as root: end it with USER and a non-root user", line(final.Location)))
	}
	if !healthcheck {
		problems = append(problems, fmt.Sprintf("%d: the final stage has no HEALTHCHECK", line(final.Location)))
	}
	return len(st), problems, nil
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}
