# Shell helpers of the bench scripts that start their own services
# (bench/apiload/run.sh, bench/load/run.sh). Sourced, not run: the script
# sets admin (PostgreSQL's admin DSN), db and db_made (the database it made,
# once made), work (its folder) and pids (what it started, in order), then
# sources this and sets `trap cleanup EXIT`.

# cleanup stops only the processes the script started, by PID, newest
# first (workers and serve before what they use), drops its database and
# removes its folder.
cleanup() {
  local i p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $db_made ]]; then
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || echo "run.sh: could not drop database $db" >&2
  fi
  rm -rf "$work"
}

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

# wait_for runs its arguments (after $1, what they wait for) until they
# succeed, for at most $WAIT s (60).
wait_for() {
  local what=$1
  shift
  for _ in $(seq $((${WAIT:-60} * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: $what not ready after ${WAIT:-60} s" >&2
  return 1
}
