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

cleanup() {
  # Only the processes this script started, by PID.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $db_made ]]; then
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || echo "run.sh: could not drop database $db" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# dsn_for prints the admin DSN naming database $1 instead, for the URL and
# the keyword/value form alike.
dsn_for() {
  case $admin in
  postgres://* | postgresql://*)
    local base=${admin%%\?*} query=""
    [[ $admin == *\?* ]] && query="?${admin#*\?}"
    local scheme=${base%%://*} rest=${base#*://}
    echo "$scheme://${rest%%/*}/$1$query"
    ;;
  *) echo "$admin dbname=$1" ;;
  esac
}

# free_port prints a loopback port nothing listens on now.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "run.sh: no free port found" >&2
  return 1
}

# wait_for runs its arguments until they succeed, for at most 30 s.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: $what not ready after 30 s" >&2
  return 1
}

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

echo "== apiload ($(nproc) cores; server, PostgreSQL, Redis and load generator all on this machine)" >&2
status=0
"$work/apiload" -url "$url" -operator-token "$op" -workflow-token "$wf" \
  -codes "$(IFS=,; echo "${codes[*]}")" "$@" || status=$?
if grep -q 'level=ERROR' "$work/serve.log"; then
  echo "== errors the server logged:" >&2
  grep 'level=ERROR' "$work/serve.log" | head -20 >&2
fi
exit $status
