#!/usr/bin/env bash
# The service under a day's load, on this machine: a fresh PostgreSQL
# database, a redis-server, MinIO (the originals bucket with object lock,
# made by sohoa), `sohoa serve` on MinIO and LOAD_WORKERS `sohoa worker`
# processes of one OCR task each; then bench/load pushes the dossiers as
# stations do (declare, presigned PUT to MinIO, confirm, submit) while
# bench/apiload sends 500 requests/s of status polls and ready listings,
# waits until every dossier is signed, and reports (markdown on stdout).
# Everything it started is stopped and removed at the end.
#
#   bench/load/run.sh [load flags: -dossiers 1000 -arrival 0 -api-rate 500 -json FILE ...]
#   bench/load/run.sh --check-dashboard   # only check deploy/grafana/sohoa.json
#
# PostgreSQL is the server $SOHOA_TEST_POSTGRES names (as for the tests),
# else postgres://postgres@127.0.0.1:5432/postgres; this role must be
# allowed to create databases. MinIO is the `minio` binary on PATH or in
# $(go env GOPATH)/bin (internal/testenv says how to install it).
#
# The pages: LOAD_PAGES, a folder of .jpg/.png scans; else the 200-dpi
# JPEGs among LOAD_POOL (30) pages testdata/gen makes with seed LOAD_SEED
# (1414), generated into the run's folder. Each dossier takes the next 5
# of them in turn, each made unique by a comment (same pixels, new
# SHA-256), since sohoa keys everything it keeps of a page by its hash.
#
# LOAD_WORKERS (2) workers, LOAD_STATIONS (4) stations, each with its own
# operator token. LOAD_WORKER_NICE (0) runs the workers at that niceness,
# which leaves the API the CPU first. The exit status is load's: 1 when a dossier is lost or
# doubled, or the API load failed or fell short.
set -euo pipefail
cd "$(dirname "$0")/../.."

# check_dashboard checks that the Grafana dashboard parses and that every
# sohoa_ metric it queries is one `sohoa serve` writes (api/metrics.go).
check_dashboard() {
  local dash=deploy/grafana/sohoa.json bad=0 m
  jq -e '.panels | length > 0' "$dash" >/dev/null || { echo "$dash: not a dashboard JSON model" >&2; return 1; }
  jq -e '[.templating.list[] | select(.type == "datasource")] | length == 1' "$dash" >/dev/null ||
    { echo "$dash: no datasource variable" >&2; return 1; }
  for m in $(jq -r '.. | objects | .expr? // empty' "$dash" | grep -o 'sohoa_[a-z_]*' | sort -u); do
    # As written there: a name followed by its labels or its value.
    if ! grep -qE "(^|[^a-z_])$m[{ ]" api/metrics.go; then
      echo "$dash: queries $m, which api/metrics.go does not write" >&2
      bad=1
    fi
  done
  [[ $bad == 0 ]] && echo "$dash: parses; every metric it queries is written by api/metrics.go" >&2
  return $bad
}
if [[ ${1:-} == --check-dashboard ]]; then
  check_dashboard
  exit
fi

admin=${SOHOA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
workers=${LOAD_WORKERS:-2}
nstations=${LOAD_STATIONS:-4}
office=UBND-LOAD
work=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-load.XXXXXX")
db=sohoa_load_$(date +%s)_$$
db_made=""
pids=()

# shellcheck source=bench/lib.sh
source bench/lib.sh
trap cleanup EXIT

minio_bin=$(command -v minio || echo "$(go env GOPATH)/bin/minio")
[[ -x $minio_bin ]] || { echo "run.sh: no minio binary on PATH or in $(go env GOPATH)/bin" >&2; exit 1; }
[[ -f deploy/grafana/sohoa.json ]] && check_dashboard

echo "== build" >&2
go build -o "$work/sohoa" ./cmd/sohoa
go build -o "$work/load" ./bench/load
go build -o "$work/apiload" ./bench/apiload

if [[ -n ${LOAD_PAGES:-} ]]; then
  pool=$LOAD_PAGES
else
  echo "== pages: the 200-dpi JPEGs of ${LOAD_POOL:-30} generated with seed ${LOAD_SEED:-1414}" >&2
  go run ./testdata/gen -out "$work/gen" -n "${LOAD_POOL:-30}" -seed "${LOAD_SEED:-1414}" 2>/dev/null
  pool=$work/pool
  mkdir "$pool"
  for f in $(jq -r '.[] | select(.dpi == 200 and (.file | endswith(".jpg"))) | .file' "$work/gen/catalog.json" | sort -u); do
    cp "$work/gen/$f" "$pool/"
  done
fi

echo "== database $db" >&2
psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >/dev/null
db_made=1
export SOHOA_POSTGRES_DSN
SOHOA_POSTGRES_DSN=$(dsn_for "$db")

rport=$(free_port)
echo "== redis-server on 127.0.0.1:$rport" >&2
redis-server --bind 127.0.0.1 --port "$rport" --dir "$work" --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for "redis-server" redis-cli -p "$rport" ping

mport=$(free_port)
echo "== MinIO on 127.0.0.1:$mport" >&2
mkdir -p "$work/minio/data"
export SOHOA_S3_ENDPOINT=127.0.0.1:$mport SOHOA_S3_ACCESS_KEY=sohoa-load SOHOA_S3_SECRET_KEY
SOHOA_S3_SECRET_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
MINIO_ROOT_USER=$SOHOA_S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$SOHOA_S3_SECRET_KEY MINIO_BROWSER=off \
  MINIO_CONFIG_DIR="$work/minio/config" \
  "$minio_bin" server "$work/minio/data" --address "$SOHOA_S3_ENDPOINT" --quiet >"$work/minio.log" 2>&1 &
pids+=($!)
wait_for "MinIO" curl -fsS "http://$SOHOA_S3_ENDPOINT/minio/health/ready"

export SOHOA_STORAGE=s3 SOHOA_ORIGINALS_BUCKET=load-originals SOHOA_DERIVED_BUCKET=load-derived
export SOHOA_REDIS_URL=redis://127.0.0.1:$rport/0 SOHOA_DEV_KEYS=$work/keys
export SOHOA_URL_SECRET
SOHOA_URL_SECRET=$(head -c 32 /dev/urandom | base64)

echo "== tokens" >&2
station_tokens=""
for i in $(seq "$nstations"); do
  t=$("$work/sohoa" tokens create --name "load-station-$i" --role operator --office "$office" 2>/dev/null)
  station_tokens+=${station_tokens:+,}$t
done
wf=$("$work/sohoa" tokens create --name load-workflow --role workflow 2>/dev/null)
adm=$("$work/sohoa" tokens create --name load-admin --role admin 2>/dev/null)
"$work/sohoa" keys dev >/dev/null 2>&1

port=$(free_port)
url=http://127.0.0.1:$port
echo "== sohoa serve on $url (MinIO)" >&2
# Every client of this run comes from 127.0.0.1: one address, as behind a
# NAT, so the per-address connection cap is raised as README says to there.
# MinIO may answer its health check before its object layer takes
# requests; serve, which makes the buckets at start, is then tried again.
for try in 1 2 3; do
  SOHOA_LISTEN=127.0.0.1:$port SOHOA_MAX_CONNS_PER_IP=1024 "$work/sohoa" serve >>"$work/serve.log" 2>&1 &
  serve_pid=$!
  if WAIT=30 wait_for "sohoa serve" curl -fsS "$url/readyz"; then break; fi
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  if [[ $try == 3 ]]; then
    tail -20 "$work/serve.log" >&2
    exit 1
  fi
done
pids+=($serve_pid)

worker_pids="" worker_names=""
for i in $(seq "$workers"); do
  name=load-worker-$i
  nice -n "${LOAD_WORKER_NICE:-0}" "$work/sohoa" worker --concurrency 1 --name "$name" >"$work/$name.log" 2>&1 &
  pids+=($!)
  worker_pids+=${worker_pids:+,}$!
  worker_names+=${worker_names:+,}$name
  if ! wait_for "$name" grep -q "worker started" "$work/$name.log"; then
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
done

echo "== load ($(nproc) cores; PostgreSQL, Redis, MinIO, serve, $workers workers, stations and API load all on this machine)" >&2
status=0
"$work/load" -url "$url" -station-tokens "$station_tokens" -workflow-token "$wf" -admin-token "$adm" \
  -pages "$pool" -apiload "$work/apiload" -worker-pids "$worker_pids" -worker-names "$worker_names" \
  -minio-dir "$work/minio/data" -work "$work" "$@" || status=$?
for log in "$work"/serve.log "$work"/load-worker-*.log; do
  if grep -q 'level=ERROR\|"level":"ERROR"' "$log"; then
    echo "== errors in $(basename "$log"):" >&2
    grep 'level=ERROR\|"level":"ERROR"' "$log" | head -10 >&2
  fi
done
exit $status
