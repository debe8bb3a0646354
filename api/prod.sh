#!/usr/bin/env bash
# The production topology on one machine (`make run-prod`, `make stop-prod`): PostgreSQL and Redis on loopback
# with their data under instance/prod/, then gunicorn with several workers in the background, one of which leads
# the timer scheduler (engine/leadership.py).
#
#   api/prod.sh start    initdb if missing; start PostgreSQL and Redis; migrate, deploy processes/ (and seed the
#                        demo data unless CITYBPM_ENV=production); start gunicorn; wait until it answers
#   api/prod.sh stop     SIGTERM to gunicorn (requests in flight finish), then stop Redis and PostgreSQL
#   api/prod.sh status   what runs
#   api/prod.sh citybpm ARGS…   a citybpm command against these servers (create-admin, backup export …)
#
# Settings, from the environment: HOST (127.0.0.1), PORT (5000), WORKERS (nproc, at least 2), PG_PORT (5433) and
# REDIS_PORT (6380) — not the system services' 5432/6379 —, CITYBPM_ENV (development), VENV (.venv).
# Run as root, PostgreSQL runs as the `postgres` user (it refuses root), as CI does (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
PG_PORT=${PG_PORT:-5433}
REDIS_PORT=${REDIS_PORT:-6380}
VENV=${VENV:-.venv}
cpus=$(nproc 2>/dev/null || echo 2)
WORKERS=${WORKERS:-$(( cpus < 2 ? 2 : cpus ))}

PROD=$PWD/instance/prod
PGDATA=$PROD/postgres
PGSOCKETS=$PROD/postgres-sockets
REDIS_DIR=$PROD/redis
METRICS_DIR=$PROD/metrics
SECRETS=$PROD/secrets.env
GUNICORN_PID=$PROD/gunicorn.pid
LOG=$PROD/citybpm.log

say() { echo "run-prod: $*"; }
fail() { echo "run-prod: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------- binaries

find_postgres() {
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$PGBIN" ] && command -v pg_ctl >/dev/null; then PGBIN=$(dirname "$(command -v pg_ctl)"); fi
}

install_servers() {
    find_postgres
    if [ -n "$PGBIN" ] && command -v redis-server >/dev/null; then return; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing postgresql and redis-server (apt-get)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
        find_postgres
    fi
    [ -n "$PGBIN" ] || fail "PostgreSQL not found: install it (Debian: apt-get install postgresql)"
    command -v redis-server >/dev/null || fail "redis-server not found: install it (Debian: apt-get install redis-server)"
}

# PostgreSQL will not run as root: as root, every PostgreSQL command runs as `postgres`, owning its directories.
PG_OS_USER=$(if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi)
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; else "$@"; fi
}

# ---------------------------------------------------------------------------------------------------- secrets

# Generated once, kept with the data (mode 600): the session-signing key and the two servers' passwords.
load_secrets() {
    if [ ! -f "$SECRETS" ]; then
        (umask 077 && "$VENV/bin/python" - >"$SECRETS" <<'EOF'
import secrets
for name in ("GENERATED_SECRET_KEY", "PG_PASSWORD", "REDIS_PASSWORD"):
    print(f"{name}={secrets.token_hex(24)}")
EOF
        )
    fi
    # shellcheck disable=SC1090
    . "$SECRETS"
    export CITYBPM_SECRET_KEY=${CITYBPM_SECRET_KEY:-$GENERATED_SECRET_KEY}
    export CITYBPM_DATABASE_URL="postgresql+psycopg://citybpm:$PG_PASSWORD@127.0.0.1:$PG_PORT/citybpm"
    export CITYBPM_REDIS_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
}

# ---------------------------------------------------------------------------------------------------- PostgreSQL

pg_running() { as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start_postgres() {
    mkdir -p "$PGDATA" "$PGSOCKETS"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDATA" "$PGSOCKETS"; fi
    chmod 700 "$PGDATA"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "initdb $PGDATA"
        # the OS user is the superuser (peer login on the socket); the app logs in over TCP with a password
        as_pg_user "$PGBIN/initdb" -D "$PGDATA" -U "$PG_OS_USER" --auth-local=peer --auth-host=scram-sha-256 \
            --encoding=UTF8 --no-locale >/dev/null
    fi
    if pg_running; then
        say "PostgreSQL already running (127.0.0.1:$PG_PORT)"
    else
        # each worker keeps up to 34 connections (one per request thread, two for the scheduler), plus room for
        # `citybpm` commands and psql
        as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
            -o "-p $PG_PORT -k '$PGSOCKETS' -c listen_addresses=127.0.0.1 -c max_connections=$(( WORKERS * 34 + 20 ))" \
            start >/dev/null
        say "PostgreSQL on 127.0.0.1:$PG_PORT (log $PGDATA/server.log)"
    fi
    # the application's own role and database, not the superuser
    # (the password travels on stdin, never on a command line that `ps` shows)
    as_pg_user "$PGBIN/psql" -h "$PGSOCKETS" -p "$PG_PORT" -U "$PG_OS_USER" -d postgres -q -v ON_ERROR_STOP=1 <<EOF
\\set password '$PG_PASSWORD'
SELECT format('CREATE ROLE citybpm LOGIN PASSWORD %L', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citybpm') \gexec
SELECT 'CREATE DATABASE citybpm OWNER citybpm ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'citybpm') \gexec
EOF
}

stop_postgres() {
    if [ -f "$PGDATA/PG_VERSION" ] && pg_running; then
        as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
        say "PostgreSQL stopped"
    fi
}

# ---------------------------------------------------------------------------------------------------- Redis

redis_pid() { cat "$REDIS_DIR/redis.pid" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

start_redis() {
    mkdir -p "$REDIS_DIR"
    if alive "$(redis_pid)"; then
        say "Redis already running (127.0.0.1:$REDIS_PORT)"
        return
    fi
    # Redis holds only leadership, wake-ups, live updates and login counters: nothing worth persisting.
    (umask 077 && cat >"$REDIS_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
requirepass $REDIS_PASSWORD
dir $REDIS_DIR
save ""
appendonly no
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
EOF
    )
    redis-server "$REDIS_DIR/redis.conf"
    wait_until "Redis to start" 20 test -s "$REDIS_DIR/redis.pid"
    say "Redis on 127.0.0.1:$REDIS_PORT (log $REDIS_DIR/redis.log)"
}

stop_redis() {
    local pid
    pid=$(redis_pid)
    if alive "$pid"; then
        kill -TERM "$pid"
        wait_until "Redis to stop" 20 not_alive "$pid"
        say "Redis stopped"
    fi
}

# ---------------------------------------------------------------------------------------------------- gunicorn

gunicorn_pid() { cat "$GUNICORN_PID" 2>/dev/null || true; }
not_alive() { ! alive "$1"; }

answers() {
    "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://$HOST:$PORT/healthz" 2>/dev/null
}

start_gunicorn() {
    if alive "$(gunicorn_pid)"; then
        say "citybpm already running (pid $(gunicorn_pid)); make stop-prod first to restart it"
        return
    fi
    # prometheus_client's per-process files: a fresh directory per run, shared by the workers
    rm -rf "$METRICS_DIR" && mkdir -p "$METRICS_DIR"
    export PROMETHEUS_MULTIPROC_DIR=$METRICS_DIR
    # its own session: a Ctrl+C in this terminal later must not reach the servers
    setsid "$VENV/bin/citybpm" serve --host "$HOST" --port "$PORT" --workers "$WORKERS" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$GUNICORN_PID"
    if ! wait_until "citybpm to answer on $HOST:$PORT" 90 answers; then
        tail -n 30 "$LOG" >&2
        exit 1
    fi
}

stop_gunicorn() {
    local pid
    pid=$(gunicorn_pid)
    if alive "$pid"; then
        kill -TERM "$pid"  # graceful: workers finish their requests (up to 30 s), then release leadership
        wait_until "citybpm to stop" 45 not_alive "$pid" || kill -KILL "$pid"
        say "citybpm stopped"
    fi
    rm -f "$GUNICORN_PID"
}

# ---------------------------------------------------------------------------------------------------- helpers

wait_until() {  # wait_until WHAT SECONDS COMMAND...: poll every 0.2 s, give up after SECONDS
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "run-prod: gave up waiting for $what after ${seconds}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------------- commands

start() {
    [ -x "$VENV/bin/citybpm" ] || fail "$VENV/bin/citybpm missing: run through make run-prod (it installs first)"
    install_servers
    mkdir -p "$PROD"
    load_secrets
    start_postgres
    start_redis
    if [ "${CITYBPM_ENV:-development}" = production ]; then
        "$VENV/bin/citybpm" setup  # never demo users in production (api/cli.py)
    else
        "$VENV/bin/citybpm" setup --demo
    fi
    start_gunicorn
    say "citybpm on http://$HOST:$PORT/ — $WORKERS workers, PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT"
    say "log $LOG; readiness http://$HOST:$PORT/readyz; stop with: make stop-prod"
}

stop() {
    find_postgres
    stop_gunicorn
    stop_redis
    [ -z "$PGBIN" ] || stop_postgres
}

status() {
    find_postgres
    alive "$(gunicorn_pid)" && say "citybpm running (master pid $(gunicorn_pid))" || say "citybpm not running"
    alive "$(redis_pid)" && say "Redis running (pid $(redis_pid))" || say "Redis not running"
    [ -n "$PGBIN" ] && [ -f "$PGDATA/PG_VERSION" ] && pg_running && say "PostgreSQL running" || say "PostgreSQL not running"
}

citybpm_command() {
    mkdir -p "$PROD"
    load_secrets
    exec "$VENV/bin/citybpm" "$@"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    citybpm) shift; citybpm_command "$@" ;;
    *) fail "usage: api/prod.sh start|stop|status|citybpm ARGS…" ;;
esac
