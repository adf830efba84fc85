#!/usr/bin/env bash
# One measurement of the API under polling load, on this machine: a fresh
# PostgreSQL database, a redis-server of its own, `sohoa serve` on the local
# store, tokens for an operator and the workflow system, a few dossiers to
# poll; then bench/apiload against it; then all of it removed again.
#
#   bench/apiload/run.sh [apiload flags, e.g. -rate 500 -duration 30s -json]
#
# PostgreSQL is the server $SOHOA_TEST_POSTGRES names (as for the tests),
# else postgres://postgres@127.0.0.1:5432/postgres; this role must be allowed
# to create databases. APILOAD_DOSSIERS sets how many dossiers are polled
# (default 20). The exit status is apiload's: non-zero on any error or a
# rate more than 2 % short.
set -euo pipefail
cd "$(dirname "$0")/../.."

admin=${SOHOA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
dossiers=${APILOAD_DOSSIERS:-20}
office=UBND-APILOAD
work=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-apiload.XXXXXX")
db=sohoa_apiload_$(date +%s)_$$
db_made=""
pids=()

# shellcheck source=bench/lib.sh
source bench/lib.sh
trap cleanup EXIT

echo "== build" >&2
go build -o "$work/sohoa" ./cmd/sohoa
go build -o "$work/apiload" ./bench/apiload

echo "== database $db" >&2
psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >/dev/null
db_made=1
dsn=$(dsn_for "$db")

rport=$(free_port)
echo "== redis-server on 127.0.0.1:$rport" >&2
redis-server --bind 127.0.0.1 --port "$rport" --dir "$work" --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for "redis-server" redis-cli -p "$rport" ping

echo "== tokens" >&2
export SOHOA_POSTGRES_DSN=$dsn
op=$("$work/sohoa" tokens create --name apiload-station --role operator --office "$office" 2>/dev/null)
wf=$("$work/sohoa" tokens create --name apiload-workflow --role workflow 2>/dev/null)

port=$(free_port)
url=http://127.0.0.1:$port
echo "== sohoa serve on $url" >&2
mkdir "$work/store"
SOHOA_STORAGE=local SOHOA_STORAGE_DIR="$work/store" \
  SOHOA_URL_SECRET="$(head -c 32 /dev/urandom | base64)" \
  SOHOA_REDIS_URL="redis://127.0.0.1:$rport/0" SOHOA_LISTEN="127.0.0.1:$port" \
  "$work/sohoa" serve >"$work/serve.log" 2>&1 &
pids+=($!)
if ! wait_for "sohoa serve" curl -fsS "$url/readyz"; then
  cat "$work/serve.log" >&2
  exit 1
fi

echo "== $dossiers dossiers of $office" >&2
codes=()
for _ in $(seq "$dossiers"); do
  code=$(curl -fsS -X POST -H "Authorization: Bearer $op" -H 'Content-Type: application/json' \
    -d '{"procedure":"1.000894"}' "$url/v1/dossiers" | jq -r .code)
  codes+=("$code")
done

# Some dossiers go all the way to ready, through a worker, so that the
# listing the workflow polls is not empty: one scan each (the same one,
# so that after the first the worker reuses its OCR result).
ready=${APILOAD_READY:-5}
echo "== $ready dossiers made ready by a worker" >&2
export SOHOA_DEV_KEYS=$work/keys
"$work/sohoa" keys dev >/dev/null 2>&1
SOHOA_STORAGE=local SOHOA_STORAGE_DIR="$work/store" SOHOA_REDIS_URL="redis://127.0.0.1:$rport/0" \
  "$work/sohoa" worker --concurrency 1 >"$work/worker.log" 2>&1 &
worker_pid=$!
pids+=($worker_pid)
page=testdata/scans/form-300.jpg
sum=$(sha256sum "$page" | cut -d' ' -f1)
size=$(stat -c %s "$page")
auth=(-H "Authorization: Bearer $op" -H 'Content-Type: application/json')
for _ in $(seq "$ready"); do
  code=$(curl -fsS -X POST "${auth[@]}" -d '{"procedure":"1.000894"}' "$url/v1/dossiers" | jq -r .code)
  up=$(curl -fsS -X POST "${auth[@]}" -d "{\"sha256\":\"$sum\",\"size\":$size,\"content_type\":\"image/jpeg\"}" "$url/v1/dossiers/$code/uploads")
  if [[ $(jq -r .exists <<<"$up") != true ]]; then
    curl -fsS -X PUT -H 'Content-Type: image/jpeg' --data-binary "@$page" "$(jq -r .upload.url <<<"$up")" >/dev/null
  fi
  curl -fsS -X POST "${auth[@]}" -d "{\"position\":1,\"sha256\":\"$sum\"}" "$url/v1/dossiers/$code/pages" >/dev/null
  curl -fsS -X POST "${auth[@]}" "$url/v1/dossiers/$code/submit" >/dev/null
done
listed() {
  [[ $(curl -fsS -H "Authorization: Bearer $wf" "$url/v1/dossiers?status=ready&limit=100" | jq '.items | length') -ge $ready ]]
}
for _ in $(seq 600); do listed && break; sleep 0.2; done
if ! listed; then
  echo "run.sh: dossiers not ready after 120 s" >&2
  tail -20 "$work/worker.log" >&2
  exit 1
fi
# The worker is done; stop it so the measurement is of the API alone.
kill "$worker_pid"
wait "$worker_pid" 2>/dev/null || true

echo "== apiload ($(nproc) cores; server, PostgreSQL, Redis and load generator all on this machine)" >&2
status=0
"$work/apiload" -url "$url" -operator-token "$op" -workflow-token "$wf" \
  -codes "$(IFS=,; echo "${codes[*]}")" "$@" || status=$?
if grep -q 'level=ERROR' "$work/serve.log"; then
  echo "== errors the server logged:" >&2
  grep 'level=ERROR' "$work/serve.log" | head -20 >&2
fi
exit $status
