#!/usr/bin/env bash
# A production-shaped Temporal on this machine: the Temporal server (history, matching, frontend and
# worker services) on PostgreSQL, everything on 127.0.0.1, in one folder. docs/OPERATIONS.md walks
# through what each step does and what changes for a managed database or Temporal Cloud.
#
#   scripts/temporal-cluster.sh build             # find or build the server and its SQL tool; prints their paths
#   scripts/temporal-cluster.sh start             # PostgreSQL, schemas, server, namespace; prints host:port
#   scripts/temporal-cluster.sh status            # what runs, on which ports (exit 0 only if all of it runs)
#   scripts/temporal-cluster.sh stop [server|postgres|all]
#
# Options (or their environment variables), for start/stop/status:
#   --dir DIR             TEMPORAL_CLUSTER_DIR       the cluster's folder (default $DNNBENCH_DATA/temporal/cluster, or data/temporal/cluster)
#   --port N|auto         TEMPORAL_CLUSTER_PORT      the frontend's gRPC port (default 7233 if free, else a free one; auto: a free one)
#   --pg-port N|auto      TEMPORAL_CLUSTER_PG_PORT   PostgreSQL's port (default 5432 if free, else a free one; auto: a free one)
#   --namespace NAME      TEMPORAL_CLUSTER_NAMESPACE the namespace to register (default "default")
#   --separate-services   TEMPORAL_CLUSTER_SEPARATE=1  the four services as four processes, as a real deployment runs them
#
# Idempotent: `start` starts only what does not run and reuses the folder, its ports and its data;
# ports chosen on the first start are kept in DIR/cluster.env. All messages go to stderr; `start`
# prints only the frontend's address on stdout.
set -euo pipefail

VERSION=1.29.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DNNBENCH_CACHE:-$HOME/.cache/dnnbench}"
CACHE_BIN="$CACHE/bin"
SERVER_BIN="${TEMPORAL_SERVER_BIN:-$CACHE_BIN/temporal-server-v$VERSION}"
SQL_TOOL="${TEMPORAL_SQL_TOOL_BIN:-$CACHE_BIN/temporal-sql-tool-v$VERSION}"
PG_USER=temporal
PG_PASSWORD=temporal   # loopback only; a managed database gets its own (docs/OPERATIONS.md)
SERVICES=(history matching frontend worker)

say() { echo "temporal-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- options
CMD="${1:-}"; [ $# -gt 0 ] && shift
WHAT=all
DIR="${TEMPORAL_CLUSTER_DIR:-}"
WANT_PORT="${TEMPORAL_CLUSTER_PORT:-}"
WANT_PG_PORT="${TEMPORAL_CLUSTER_PG_PORT:-}"
NAMESPACE="${TEMPORAL_CLUSTER_NAMESPACE:-default}"
SEPARATE="${TEMPORAL_CLUSTER_SEPARATE:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) WANT_PORT="$2"; shift 2 ;;
    --pg-port) WANT_PG_PORT="$2"; shift 2 ;;
    --namespace) NAMESPACE="$2"; shift 2 ;;
    --separate-services) SEPARATE=1; shift ;;
    server|postgres|all) WHAT="$1"; shift ;;
    *) die "unknown argument '$1' (see the top of $0)" ;;
  esac
done
[ -n "$DIR" ] || DIR="${DNNBENCH_DATA:-$ROOT/data}/temporal/cluster"
DIR="$(realpath -m "$DIR")"
PGDATA="$DIR/pg"
LOGS="$DIR/logs"
RUN="$DIR/run"

# ---------------------------------------------------------------- binaries
# The server module's go.mod asks for this Go; `go install` of an older one would fetch a toolchain.
GO_NEEDED=1.25.0
go_is_new_enough() {
  local have; have="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
  [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$GO_NEEDED" "$have" | sort -V | head -1)" = "$GO_NEEDED" ]
}

build_binaries() {
  if [ -x "$SERVER_BIN" ] && [ -x "$SQL_TOOL" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || die "no Temporal server $VERSION at $SERVER_BIN and no Go toolchain to build it: install Go >= $GO_NEEDED, or set TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL_BIN"
  go_is_new_enough || die "go.temporal.io/server v$VERSION needs Go >= $GO_NEEDED; this is $(go env GOVERSION)"
  mkdir -p "$CACHE_BIN"
  local tmp; tmp="$(mktemp -d "$CACHE_BIN/.build-XXXXXX")"
  say "building the Temporal server and SQL tool v$VERSION with go install into $CACHE_BIN (about 3 minutes on 2 cores, once)..."
  GOBIN="$tmp" go install "go.temporal.io/server/cmd/server@v$VERSION" "go.temporal.io/server/cmd/tools/sql@v$VERSION" >&2 \
    || { rm -rf "$tmp"; die "go install of go.temporal.io/server v$VERSION failed (output above)"; }
  mv "$tmp/server" "$CACHE_BIN/temporal-server-v$VERSION"
  mv "$tmp/sql" "$CACHE_BIN/temporal-sql-tool-v$VERSION"
  rmdir "$tmp"
  say "built $("$SERVER_BIN" --version)"
}

# PostgreSQL's server programs: $PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin, else PATH.
find_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  die "no PostgreSQL server found (initdb): install it (Debian: apt-get install postgresql-15) or set PG_BIN to its bin folder"
}

# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, and there is no 'postgres' user to run PostgreSQL as (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------- ports
# Below 32768: the server stores membership ports in a smallint column (cluster_membership), and
# the kernel hands out ephemeral ports above that; random tries keep parallel clusters apart.
free_port() {
  node -e "
    const net = require('net');
    const attempt = (n) => {
      const port = 10000 + Math.floor(Math.random() * 22000);
      const s = net.createServer().once('error', () => n > 0 ? attempt(n - 1) : process.exit(1));
      s.listen(port, '127.0.0.1', () => { console.log(port); s.close(); });
    };
    attempt(200);"
}
port_free() { node -e "const s=require('net').createServer().once('error',()=>process.exit(1)).listen($1,'127.0.0.1',()=>s.close())"; }
preferred_port() { if port_free "$1"; then echo "$1"; else free_port; fi; }

# cluster.env keeps the ports of the first start, so that a restart finds the cluster where it was.
load_ports() {
  if [ -f "$DIR/cluster.env" ]; then . "$DIR/cluster.env"; fi
  # "auto": any free port, on the first start only (tests beside other servers).
  if [ "$WANT_PORT" = auto ]; then WANT_PORT="${FRONTEND_PORT:-$(free_port)}"; fi
  if [ "$WANT_PG_PORT" = auto ]; then WANT_PG_PORT="${PG_PORT:-$(free_port)}"; fi
  if [ -n "$WANT_PORT" ]; then FRONTEND_PORT="$WANT_PORT"; fi
  if [ -n "$WANT_PG_PORT" ]; then PG_PORT="$WANT_PG_PORT"; fi
  : "${FRONTEND_PORT:=$(preferred_port 7233)}"
  : "${PG_PORT:=$(preferred_port 5432)}"
  local v
  for v in FRONTEND_HTTP_PORT FRONTEND_MEMBERSHIP_PORT HISTORY_PORT HISTORY_MEMBERSHIP_PORT \
           MATCHING_PORT MATCHING_MEMBERSHIP_PORT WORKER_PORT WORKER_MEMBERSHIP_PORT; do
    if [ -z "${!v:-}" ]; then printf -v "$v" '%s' "$(free_port)"; fi
  done
  cat > "$DIR/cluster.env" <<EOF
FRONTEND_PORT=$FRONTEND_PORT
FRONTEND_HTTP_PORT=$FRONTEND_HTTP_PORT
FRONTEND_MEMBERSHIP_PORT=$FRONTEND_MEMBERSHIP_PORT
HISTORY_PORT=$HISTORY_PORT
HISTORY_MEMBERSHIP_PORT=$HISTORY_MEMBERSHIP_PORT
MATCHING_PORT=$MATCHING_PORT
MATCHING_MEMBERSHIP_PORT=$MATCHING_MEMBERSHIP_PORT
WORKER_PORT=$WORKER_PORT
WORKER_MEMBERSHIP_PORT=$WORKER_MEMBERSHIP_PORT
PG_PORT=$PG_PORT
EOF
  ADDRESS="127.0.0.1:$FRONTEND_PORT"
}

# ---------------------------------------------------------------- PostgreSQL
pg_running() { [ -f "$PGDATA/postmaster.pid" ] && as_pg "$PG_BIN_DIR/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

start_postgres() {
  PG_BIN_DIR="$(find_pg_bin)"
  mkdir -p "$LOGS"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    if [ "$(id -u)" = 0 ]; then
      as_pg test -x "$DIR" || die "$DIR is not reachable by the postgres user (a parent folder is private to root): choose another --dir, or chmod o+x its parents"
    fi
    say "initialising a PostgreSQL cluster in $PGDATA (superuser $PG_USER)"
    mkdir -p "$PGDATA"
    local pwfile="$DIR/.pgpass-init"
    echo "$PG_PASSWORD" > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres "$PGDATA" "$pwfile"; fi
    chmod 700 "$PGDATA"
    as_pg "$PG_BIN_DIR/initdb" -D "$PGDATA" -U "$PG_USER" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --no-locale >"$LOGS/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; die "initdb failed: $LOGS/initdb.log"; }
    rm -f "$pwfile"
    # Our settings live in a file of their own, rewritten on every start (the port may change).
    echo "include_if_exists = 'dnnbench.conf'" | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
  fi
  cat <<EOF | as_pg tee "$PGDATA/dnnbench.conf" >/dev/null
# Written by scripts/temporal-cluster.sh on each start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
EOF
  if pg_running; then say "PostgreSQL already runs on 127.0.0.1:$PG_PORT"; return; fi
  touch "$LOGS/postgres.log"
  if [ "$(id -u)" = 0 ]; then chown postgres "$LOGS/postgres.log"; fi
  as_pg "$PG_BIN_DIR/pg_ctl" start -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 >/dev/null \
    || die "PostgreSQL did not start: $LOGS/postgres.log"
  say "PostgreSQL $("$PG_BIN_DIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  PG_BIN_DIR="$(find_pg_bin)"
  if ! pg_running; then say "PostgreSQL is not running"; return; fi
  as_pg "$PG_BIN_DIR/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null
  say "PostgreSQL stopped"
}

psql_value() { PGPASSWORD="$PG_PASSWORD" "$PG_BIN_DIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$1" -tAc "$2" 2>/dev/null; }

sql_tool() { "$SQL_TOOL" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" --user "$PG_USER" --password "$PG_PASSWORD" --db "$@"; }

# Temporal's own setup steps for PostgreSQL, the same as infra/temporal/setup-postgres.sh runs in the
# compose file: create the database, set up the versioning tables at 0.0, apply every versioned schema
# file up to the newest. Each step is a no-op on a database that has it already. The schema files are
# the module's schema/postgresql/v12/{temporal,visibility}/versioned, embedded in the tool.
migrate_schemas() {
  local db
  for db in temporal temporal_visibility; do
    {
      sql_tool "$db" create-database &&
      sql_tool "$db" setup-schema -v 0.0 &&
      sql_tool "$db" update-schema --schema-name "postgresql/v12/${db#temporal_}"   # .../temporal, .../visibility
    } >>"$LOGS/schema.log" 2>&1 || die "setting up the $db database failed: $LOGS/schema.log"
    say "schema $db at version $(psql_value "$db" "select curr_version from schema_version")"
  done
}

# ---------------------------------------------------------------- Temporal server
write_server_config() {
  mkdir -p "$DIR/config/dynamicconfig"
  cp "$ROOT/infra/temporal/dynamicconfig/development-sql.yaml" "$DIR/config/dynamicconfig/"
  # From the module's config/development-postgres12.yaml: loopback addresses, our ports, no archival,
  # no pprof or metrics listeners (they would need ports of their own).
  cat > "$DIR/config/cluster.yaml" <<EOF
# Written by scripts/temporal-cluster.sh on each start, from go.temporal.io/server v$VERSION's
# config/development-postgres12.yaml.
log:
  stdout: true
  level: info
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4   # fixed when the database is first used; a production cluster sizes it (512+) up front
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: $PG_USER
        password: $PG_PASSWORD
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: $PG_USER
        password: $PG_PASSWORD
        maxConns: 2
        maxIdleConns: 2
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: { grpcPort: $FRONTEND_PORT, membershipPort: $FRONTEND_MEMBERSHIP_PORT, bindOnIP: 127.0.0.1, httpPort: $FRONTEND_HTTP_PORT }
  history:
    rpc: { grpcPort: $HISTORY_PORT, membershipPort: $HISTORY_MEMBERSHIP_PORT, bindOnIP: 127.0.0.1 }
  matching:
    rpc: { grpcPort: $MATCHING_PORT, membershipPort: $MATCHING_MEMBERSHIP_PORT, bindOnIP: 127.0.0.1 }
  worker:
    rpc: { grpcPort: $WORKER_PORT, membershipPort: $WORKER_MEMBERSHIP_PORT, bindOnIP: 127.0.0.1 }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$FRONTEND_PORT"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$DIR/config/dynamicconfig/development-sql.yaml"
  pollInterval: 10s
EOF
}

# One pid file per process: run/server.pid (all four services), or run/<service>.pid.
pid_alive() { local pid; pid="$(cat "$1" 2>/dev/null)" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q temporal-server "/proc/$pid/cmdline" 2>/dev/null; }
server_pidfiles() { ls "$RUN"/*.pid 2>/dev/null || true; }
server_running() { local f any=1; for f in $(server_pidfiles); do pid_alive "$f" && any=0; done; return $any; }
wanted_pidfiles() { if [ "$SEPARATE" = 1 ]; then for s in "${SERVICES[@]}"; do echo "$RUN/$s.pid"; done; else echo "$RUN/server.pid"; fi; }

launch() {  # launch NAME SERVICE...
  local name="$1"; shift
  local args=() s
  for s in "$@"; do args+=(--service "$s"); done
  # setsid: the server outlives this script and ignores the terminal's Ctrl-C.
  setsid "$SERVER_BIN" --root "$DIR" --config config --env cluster --allow-no-auth start "${args[@]}" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

start_server() {
  mkdir -p "$RUN" "$LOGS"
  # A layout other than the one asked for (one process vs four) is stopped first.
  local f stale=0
  for f in $(server_pidfiles); do
    if pid_alive "$f" && ! wanted_pidfiles | grep -qx "$f"; then stale=1; fi
  done
  if [ $stale = 1 ]; then say "the server runs in another layout; restarting it"; stop_server; fi
  write_server_config
  if [ "$SEPARATE" = 1 ]; then
    for s in "${SERVICES[@]}"; do
      if pid_alive "$RUN/$s.pid"; then continue; fi
      launch "$s" "$s"
      say "started the $s service (pid $(cat "$RUN/$s.pid"), log $LOGS/$s.log)"
      # On a new database every process tries to write the cluster's metadata record and all but
      # one exit on the version conflict: the others start once the first has written it.
      wait_cluster_metadata "$s"
    done
  elif ! pid_alive "$RUN/server.pid"; then
    launch server "${SERVICES[@]}"
    say "started the server: ${SERVICES[*]} in one process (pid $(cat "$RUN/server.pid"), log $LOGS/server.log)"
  else
    say "the server already runs (pid $(cat "$RUN/server.pid"))"
  fi
}

wait_cluster_metadata() {
  local deadline=$((SECONDS + 60))
  until [ "$(psql_value temporal "select count(*) from cluster_metadata_info")" -ge 1 ] 2>/dev/null; do
    pid_alive "$RUN/$1.pid" || die_with_logs "the $1 service exited" "$1"
    [ $SECONDS -lt $deadline ] || die_with_logs "the $1 service wrote no cluster metadata within 60 s" "$1"
    sleep 0.5
  done
}

# Every process of the layout asked for runs; DEAD names the first that does not.
all_alive() { local f; for f in $(wanted_pidfiles); do pid_alive "$f" || { DEAD="$(basename "$f" .pid)"; return 1; }; done; }

stop_server() {
  local f pid pids=()
  for f in $(server_pidfiles); do
    if pid_alive "$f"; then pids+=("$(cat "$f")"); fi
    rm -f "$f"
  done
  [ ${#pids[@]} -gt 0 ] || { say "the Temporal server is not running"; return; }
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && { say "the Temporal server stopped"; return; }
    sleep 0.5
  done
  say "the Temporal server did not stop within 30 s of SIGTERM; killing it"
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

temporal_cli() { "$TEMPORAL" "$@" --address "$ADDRESS" --command-timeout 5s; }

# Ready means: the frontend answers, the namespace exists, a request in the namespace goes through
# (a new namespace reaches every frontend's cache only after its refresh interval), and the history
# service answers through the frontend (a describe of a workflow that does not exist says "not found").
wait_ready() {
  local deadline=$((SECONDS + ${TEMPORAL_CLUSTER_START_TIMEOUT:-180}))
  local step
  for step in health namespace list history; do
    until ready_step "$step"; do
      all_alive || die_with_logs "the $DEAD process exited" "$DEAD"
      [ $SECONDS -lt $deadline ] || die_with_logs "the cluster at $ADDRESS was not ready ($step) within ${TEMPORAL_CLUSTER_START_TIMEOUT:-180} s"
      sleep 1
    done
  done
}

ready_step() {
  case "$1" in
    health) temporal_cli operator cluster health >/dev/null 2>&1 ;;
    namespace)
      temporal_cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 && return 0
      temporal_cli operator namespace create --namespace "$NAMESPACE" --retention 72h >/dev/null 2>&1 || return 1
      say "registered the namespace $NAMESPACE" ;;
    list) temporal_cli workflow list --namespace "$NAMESPACE" --limit 1 >/dev/null 2>&1 ;;
    history)
      local out; out="$(temporal_cli workflow describe --namespace "$NAMESPACE" --workflow-id dnnbench-readiness-probe 2>&1 || true)"
      [[ "$out" == *"not found"* ]] ;;
  esac
}

die_with_logs() {  # die_with_logs MESSAGE [SERVICE]
  local f
  for f in "$LOGS/${2:-server}.log" "$LOGS"/server.log "$LOGS"/frontend.log "$LOGS"/history.log; do
    [ -f "$f" ] && { say "last lines of $f:"; tail -n 8 "$f" | cut -c1-400 >&2; break; }
  done
  die "$1"
}

# ---------------------------------------------------------------- commands
case "$CMD" in
  build)
    build_binaries
    echo "$SERVER_BIN"
    echo "$SQL_TOOL"
    ;;
  start)
    mkdir -p "$DIR"
    build_binaries
    TEMPORAL="$(bash "$ROOT/scripts/install-temporal.sh")"
    load_ports
    start_postgres
    migrate_schemas
    start_server
    wait_ready
    say "Temporal $VERSION on PostgreSQL ready at $ADDRESS (namespace $NAMESPACE; folder $DIR)"
    echo "$ADDRESS"
    ;;
  stop)
    [ -f "$DIR/cluster.env" ] || { say "no cluster in $DIR"; exit 0; }
    load_ports
    case "$WHAT" in
      server) stop_server ;;
      postgres) stop_postgres ;;
      all) stop_server; stop_postgres ;;
    esac
    ;;
  status)
    [ -f "$DIR/cluster.env" ] || { say "no cluster in $DIR"; exit 3; }
    load_ports
    PG_BIN_DIR="$(find_pg_bin)"
    ok=0
    if pg_running; then echo "postgres   running  127.0.0.1:$PG_PORT"; else echo "postgres   stopped"; ok=3; fi
    found=0
    for f in $(server_pidfiles); do
      found=1
      name="$(basename "$f" .pid)"
      if pid_alive "$f"; then echo "$(printf '%-10s' "$name") running  pid $(cat "$f")"; else echo "$(printf '%-10s' "$name") dead"; ok=3; fi
    done
    [ $found = 1 ] || { echo "server     stopped"; ok=3; }
    echo "frontend   $ADDRESS"
    exit $ok
    ;;
  *)
    die "usage: $0 build|start|stop [server|postgres|all]|status [--dir DIR] [--port N] [--pg-port N] [--namespace NAME] [--separate-services]"
    ;;
esac
