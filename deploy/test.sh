#!/usr/bin/env bash
# Sets up and runs every check: go vet, staticcheck and all tests, against
# the real Tesseract, MinIO and PostgreSQL, and the independent PDF checkers
# (pdftotext, pdffonts, pdfsig, pdfinfo, qpdf, pdfcpu).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/setup.sh
export PATH="$PATH:$(go env GOPATH)/bin"
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
# storage/s3 tests start a real MinIO server; they fail (not skip) without it.
command -v minio >/dev/null || GOFLAGS= go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c

# catalog tests need a PostgreSQL server (SOHOA_TEST_POSTGRES, default
# postgres@127.0.0.1:5432); start the machine's cluster if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi

# ./... skips testdata/, so the fixture generator is named on its own.
go vet ./... ./testdata/gen
staticcheck ./... ./testdata/gen
go test -count=1 ./... ./testdata/gen "$@"
