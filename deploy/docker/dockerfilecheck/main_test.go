package main

import (
	"os"
	"strings"
	"testing"
)

func TestSohoaDockerfile(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages, problems, err := check(f)
	if err != nil || len(problems) > 0 {
		t.Fatalf("deploy/docker/Dockerfile: %v %s", err, strings.Join(problems, "; "))
	}
	if stages != 2 {
		t.Errorf("%d stages, want 2 (build, runtime)", stages)
	}
}

// Each Dockerfile holds a mistake the check must name.
func TestMistakesFound(t *testing.T) {
	for _, tc := range []struct{ name, dockerfile, want string }{
		{"unknown instruction", "FROM debian:bookworm-slim\nRUNN true\n", "unknown instruction: RUNN"},
		{"maintainer", "FROM debian:bookworm-slim\nMAINTAINER me\n", "MaintainerDeprecated"},
		{"root", "FROM debian:bookworm-slim\nUSER sohoa\nUSER 0\nHEALTHCHECK CMD [\"true\"]\n", "runs as root"},
		{"no user", "FROM debian:bookworm-slim\nHEALTHCHECK CMD [\"true\"]\n", "runs as root"},
		{"no healthcheck", "FROM debian:bookworm-slim\nUSER 10001\n", "no HEALTHCHECK"},
		{"shell-form ENTRYPOINT", "FROM debian:bookworm-slim\nENTRYPOINT sohoa\n", "JSONArgsRecommended: ENTRYPOINT"},
		{"unknown flag", "FROM debian:bookworm-slim\nHEALTHCHECK --intervall=3s CMD true\n", "unknown flag: --intervall"},
		{"casing", "FROM debian:bookworm-slim as base\n", "FromAsCasing"},
		{"shell-form CMD", "FROM debian:bookworm-slim\nCMD sohoa serve\n", "JSONArgsRecommended: CMD"},
		{"empty continuation", "FROM debian:bookworm-slim\nRUN true \\\n\n  && true\n", "Empty continuation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, err := check(strings.NewReader(tc.dockerfile))
			all := strings.Join(problems, "\n")
			if err != nil {
				all += "\n" + err.Error()
			}
			if !strings.Contains(all, tc.want) {
				t.Errorf("want %q, got:\n%s", tc.want, all)
			}
		})
	}
}
