#!/usr/bin/env bash
# Sets up and runs every check: gofmt, go vet, staticcheck and all tests, against
# the real Tesseract, MinIO and PostgreSQL, and the independent PDF checkers
# (pdftotext, pdffonts, pdfsig, pdfinfo, qpdf, pdfcpu).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/setup.sh --test
export PATH="$PATH:$(go env GOPATH)/bin"
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
# storage/s3 tests start a real MinIO server; they fail (not skip) without it.
command -v minio >/dev/null || GOFLAGS= go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c

# The catalog and service tests need a PostgreSQL server where they may
# create databases (SOHOA_TEST_POSTGRES, default postgres@127.0.0.1:5432 with
# no password); the service tests start their own redis-server and MinIO.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if [[ -z "${SOHOA_TEST_POSTGRES:-}" ]] &&
   ! psql -w -h 127.0.0.1 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  # A fresh Debian cluster asks TCP clients for a password: give the
  # postgres role one for the tests (as the postgres OS user, over the socket).
  pw=sohoa-test-$(id -u)
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo su postgres -c "psql -q -c \"ALTER ROLE postgres PASSWORD '$pw'\"" >/dev/null
  export SOHOA_TEST_POSTGRES="postgres://postgres:$pw@127.0.0.1:5432/postgres?sslmode=disable"
fi

# ./... skips testdata/, so the fixture generator is named on its own.
go vet ./... ./testdata/gen/...
# Every Go file as gofmt writes it (git's files only: not a scratch file).
unformatted=$(git ls-files -z '*.go' 2>/dev/null | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
# The deployment files (Dockerfile, Compose, systemd units, Kubernetes),
# each parsed by its own tool.
deploy/check.sh
CGO_ENABLED=0 GOOS=windows go build -o /dev/null ./cmd/sohoa-station
staticcheck ./... ./testdata/gen/...
go test -count=1 -timeout 40m ./... ./testdata/gen/... "$@"
# Every fuzz target, briefly (their corpora were replayed by go test above).
deploy/fuzz.sh "${SOHOA_FUZZTIME:-10s}"
