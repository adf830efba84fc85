#!/usr/bin/env bash
# Checks every deployment file with a tool that reads it as its real
# consumer does, with no network but Debian's packages and the Go module
# proxy, and no Docker daemon, cluster or systemd running:
#   deploy/docker/Dockerfile      BuildKit's own Dockerfile parser and build
#                                 checks (deploy/docker/dockerfilecheck);
#                                 hadolint too where it is installed
#   deploy/compose/compose.yaml   `docker compose config` (the v2 plugin) or
#                                 Debian's docker-compose, with example.env;
#                                 and refused without its secrets
#   deploy/systemd/*              systemd-analyze verify and security
#                                 (offline), systemd-sysusers --dry-run
#   deploy/k8s/*.yaml             strict decoding into the Kubernetes API's
#                                 Go types plus cross-checks
#                                 (deploy/k8s/kubecheck)
# The two Go checkers' own tests (each mistake they must catch) run first.
# Exits 1 when any check fails. A tool that cannot be installed here is
# reported SKIP with the reason, never passed over in silence.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=() skipped=()
ok() { echo "deploy/check: ok    $*"; }
fail() { echo "deploy/check: FAIL  $*" >&2; failed+=("$1"); }
skip() { echo "deploy/check: SKIP  $*" >&2; skipped+=("$1"); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# apt_update refreshes apt's package lists (root or sudo needed).
apt_update() {
  local sudo=""
  [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null && sudo="sudo"; } || return 1
  $sudo apt-get update -qq >/dev/null 2>&1
}

# apt_install PKG...: installs Debian packages that are missing, as
# deploy/setup.sh does; returns non-zero where that is not possible.
apt_install() {
  command -v apt-get >/dev/null || return 1
  local sudo=""
  [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null && sudo="sudo"; } || return 1
  echo "deploy/check: installing $*" >&2
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# --- the checkers' own tests and vet: a checker that cannot fail checks nothing
for mod in deploy/docker/dockerfilecheck deploy/k8s/kubecheck; do
  if out=$(cd "$mod" && go vet ./... 2>&1 && go test -count=1 ./... 2>&1); then
    ok "$mod: go vet, go test ($(tail -1 <<<"$out"))"
  else
    fail "$mod" "go vet / go test:"$'\n'"$out"
  fi
done

# --- Dockerfile
if out=$(cd deploy/docker/dockerfilecheck && go run . ../Dockerfile 2>&1); then
  ok "$out"
else
  fail "Dockerfile" "$out"
fi
# The packages the image installs must exist in the Debian release it is
# built on; this machine's apt can tell when it runs that release.
pkgs=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' deploy/docker/Dockerfile | grep -o 'apt-get install [^&]*' |
  sed 's/apt-get install//' | tr -s ' \t' '\n' | grep -v '^-' | grep . | tr '\n' ' ')
release=$(sed -n 's/^ARG DEBIAN=//p' deploy/docker/Dockerfile)
here=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [[ $here != "$release" ]]; then
  skip "image-packages" "the Dockerfile's packages are for Debian $release, this machine runs ${here:-no Debian}: not resolved"
elif ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null && ! apt_update; then
  skip "image-packages" "apt has no package lists and apt-get update could not run: not resolved"
elif out=$(apt-get install -s --no-install-recommends $pkgs 2>&1); then
  ok "apt-get install -s: the Dockerfile's $(wc -w <<<"$pkgs") packages resolve on Debian $release"
else
  fail "image-packages" "apt-get install -s $pkgs:"$'\n'"$out"
fi
if command -v hadolint >/dev/null; then
  if out=$(hadolint deploy/docker/Dockerfile 2>&1); then
    ok "hadolint deploy/docker/Dockerfile"
  else
    fail "hadolint" "$out"
  fi
else
  skip "hadolint" "hadolint: not installed, and neither Debian bookworm nor the Go module proxy has it (BuildKit's checks above ran instead)"
fi

# --- Compose
compose=()
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null || apt_install docker-compose; then
  compose=(docker-compose)
fi
if ((${#compose[@]})); then
  dir=deploy/compose
  # A clean environment, so that neither a .env beside the file nor the
  # caller's variables fill in what example.env leaves out.
  run_compose() { env -i PATH="$PATH" HOME="$HOME" "${compose[@]}" --project-directory "$dir" -f "$dir/compose.yaml" "$@"; }
  version=$("${compose[@]}" version 2>/dev/null | sed -n 1p)
  if out=$(run_compose --env-file "$dir/example.env" config -q 2>&1) && [[ -z $out ]]; then
    ok "${compose[*]} config: deploy/compose/compose.yaml with example.env ($version)"
  else
    fail "compose" "${compose[*]} config:"$'\n'"$out"
  fi
  # Without its passwords the file must be refused (the ${VAR:?} guards),
  # not started with empty ones.
  : >"$tmp/empty.env"
  if out=$(run_compose --env-file "$tmp/empty.env" config -q 2>&1); then
    fail "compose-secrets" "compose.yaml accepted an empty .env: a password has lost its \${VAR:?} guard"
  elif grep -q 'set .* in .env' <<<"$out"; then
    ok "compose.yaml refuses to start without its secrets: $(grep -o 'set [A-Z_]* in .env' <<<"$out" | sed -n 1p)"
  else
    fail "compose-secrets" "compose.yaml with an empty .env failed for another reason:"$'\n'"$out"
  fi
  # No password or secret written into the file itself.
  if inline=$(grep -nE '^\s*[A-Z_]*(PASSWORD|SECRET)[A-Z_]*:\s*[^$ ]' "$dir/compose.yaml"); then
    fail "compose-inline" "passwords written into compose.yaml:"$'\n'"$inline"
  else
    ok "compose.yaml: every password and secret comes from .env"
  fi
else
  skip "compose" "neither 'docker compose' nor docker-compose is installed, and apt-get could not install docker-compose"
fi

# --- systemd
if command -v systemd-analyze >/dev/null || apt_install systemd; then
  # verify loads units as PID 1 would, from an alternate root that holds
  # the system's units and a stand-in for /usr/local/bin/sohoa (it checks
  # that ExecStart's binary exists). It reports unknown keys and bad values
  # on stderr yet exits 0, so any output is a failure.
  root="$tmp/root"
  mkdir -p "$root/etc/systemd/system" "$root/usr/local/bin" "$root/usr/lib/systemd"
  cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null || cp -r /lib/systemd/system "$root/usr/lib/systemd/"
  printf '#!/bin/sh\n' >"$root/usr/local/bin/sohoa" && chmod +x "$root/usr/local/bin/sohoa"
  units=()
  for u in deploy/systemd/*.service; do
    cp "$u" "$root/etc/systemd/system/" && units+=("$(basename "$u")")
  done
  if out=$(systemd-analyze verify --man=no --root="$root" "${units[@]}" 2>&1) && [[ -z $out ]]; then
    ok "systemd-analyze verify: ${units[*]} ($(systemd-analyze --version | sed -n 1p))"
  else
    fail "systemd-verify" "systemd-analyze verify:"$'\n'"$out"
  fi
  # The hardening profile holds: exposure at most 2.0 of 10 (--threshold
  # counts tenths; 1.2 when written, and systemd calls under 2 "OK").
  for u in "${units[@]}"; do
    if out=$(cd "$root/etc/systemd/system" && systemd-analyze security --offline=yes --root="$root" --threshold=20 --man=no "$u" 2>&1); then
      ok "systemd-analyze security: $u: $(grep -o 'exposure level.*' <<<"$out" | sed -n 1p)"
    else
      fail "systemd-security" "$u: $(grep -E 'exposure|✗' <<<"$out")"
    fi
  done
  if out=$(mkdir -p "$tmp/sysroot/etc" && systemd-sysusers --dry-run --root="$tmp/sysroot" "$PWD/deploy/systemd/sohoa.sysusers" 2>&1) &&
     grep -q "Creating user 'sohoa'" <<<"$out"; then
    ok "systemd-sysusers --dry-run: deploy/systemd/sohoa.sysusers creates user sohoa"
  else
    fail "sysusers" "systemd-sysusers:"$'\n'"$out"
  fi
  # EnvironmentFile= syntax: comments, blank lines and NAME=value only.
  if bad=$(grep -nvE '^\s*(#.*)?$|^[A-Za-z_][A-Za-z0-9_]*=' deploy/systemd/sohoa.env.example); then
    fail "envfile" "deploy/systemd/sohoa.env.example: not NAME=value:"$'\n'"$bad"
  else
    ok "deploy/systemd/sohoa.env.example: NAME=value lines"
  fi
else
  skip "systemd" "systemd-analyze is not installed, and apt-get could not install systemd"
fi

# --- settings: sohoa ignores a SOHOA_* variable it does not read, so a
# misspelt one in a deploy file would silently leave its default.
known=$(grep -rhoE '"SOHOA_[A-Z0-9_]+"' --include='*.go' --exclude='*_test.go' cmd api catalog pipeline ocr sign storage workers webhook register 2>/dev/null | tr -d '"' | sort -u)
set_here=$(grep -oE '^\s*(#?|- name: )SOHOA_[A-Z0-9_]+[=:]' deploy/systemd/sohoa.env.example deploy/k8s/*.yaml deploy/compose/compose.yaml deploy/docker/Dockerfile |
  grep -oE 'SOHOA_[A-Z0-9_]+' | sort -u)
if unknown=$(comm -13 <(echo "$known") <(echo "$set_here")) && [[ -z $unknown ]]; then
  ok "the $(wc -l <<<"$set_here") SOHOA_* settings the deploy files set are all read by sohoa"
else
  fail "settings" "SOHOA_* settings no sohoa code reads (misspelt?): $(tr '\n' ' ' <<<"$unknown")"
fi

# --- Kubernetes
if out=$(cd deploy/k8s/kubecheck && go run . .. 2>&1); then
  ok "$(tail -1 <<<"$out")"
else
  fail "kubernetes" "$out"
fi

# --- Grafana dashboard: JSON, and only metrics serve writes
if out=$(bench/load/run.sh --check-dashboard 2>&1); then
  ok "$(tail -1 <<<"$out")"
else
  fail "grafana" "$out"
fi

echo "deploy/check: ${#failed[@]} failed, ${#skipped[@]} skipped${skipped:+ (${skipped[*]})}"
((${#failed[@]} == 0))
