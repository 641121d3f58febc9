#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and local clusters: a cluster of its own in DIR, listening on
# 127.0.0.1 only (and a socket in DIR), trust authentication for user postgres.
#
#   scripts/postgres-local.sh start DIR     initdb + start; prints "POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/DATABASE"
#   scripts/postgres-local.sh stop DIR      stop the server (immediate) and delete DIR
#   scripts/postgres-local.sh shutdown DIR  stop the server cleanly but keep DIR (its data survives)
#   scripts/postgres-local.sh restart DIR   start a server stopped by shutdown again, same port and data
#   scripts/postgres-local.sh pause DIR     SIGSTOP every server process: connections open, no answers
#   scripts/postgres-local.sh resume DIR    SIGCONT them
#
# Environment: PG_PORT (default 5432); PG_DATABASE (default postgres; another name is created at
# start); PG_DURABLE=1 keeps fsync and synchronous commit on (the
# default turns them off: a throwaway cluster is for speed). As root, initdb and the server run as
# the `postgres` user (both refuse root), so DIR is handed to that user.
# Needs Debian's postgresql (any version under /usr/lib/postgresql, or initdb on PATH).
set -Eeuo pipefail

usage() { echo "usage: $0 start|stop|shutdown|restart|pause|resume DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
ACTION=$1
DIR=$(realpath -m "$2")
DATA="$DIR/data"

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  dir=$(dirname "$(command -v initdb 2>/dev/null)") && [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  return 1
}

# as_server_user CMD...: as root through runuser (initdb and postgres refuse root), else directly.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ctl_() { as_server_user "$BIN/pg_ctl" -D "$DATA" "$@"; }

# The postmaster's PID, if it runs from this DIR (never signal anyone else's).
postmaster_pid() {
  local pid
  pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-D $DATA" && echo "$pid"
}

# signal_server SIG: the postmaster and its children (backends, checkpointer, walwriter, ...).
signal_server() {
  local pid
  pid=$(postmaster_pid) || { echo "no server running from $DIR" >&2; return 1; }
  kill "-$1" "$pid"
  for child in $(ps -o pid= --ppid "$pid"); do kill "-$1" "$child" 2>/dev/null || true; done
}

start_server() {
  pg_ctl_ -l "$DIR/log" -w -t 30 -o "$(cat "$DIR/server-options")" start >/dev/null
}

print_url() { echo "POSTGRES_URL=postgres://postgres@127.0.0.1:$(cat "$DIR/port")/$(cat "$DIR/database")"; }

start_cluster() {
  [ -e "$DIR" ] && { echo "$DIR already exists; stop that cluster first" >&2; exit 1; }
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
  trap 'echo "postgres-local: start failed; last log lines:" >&2; tail -n 5 "$DIR/log" >&2 || true; stop_cluster' ERR
  as_server_user "$BIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --no-sync --locale=C.UTF-8 >/dev/null
  local options="-k $DIR -c listen_addresses=127.0.0.1 -p $PORT -c max_connections=200"
  [ "${PG_DURABLE:-0}" = 1 ] || options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  echo "$options" >"$DIR/server-options"
  echo "$PORT" >"$DIR/port"
  echo "$DATABASE" >"$DIR/database"
  start_server
  if [ "$DATABASE" != postgres ]; then
    "$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE \"$DATABASE\"" >/dev/null
  fi
  trap - ERR
  print_url
}

stop_cluster() {
  if [ -f "$DATA/postmaster.pid" ]; then
    # A paused server ignores the stop request: let it run again first.
    signal_server CONT 2>/dev/null || true
    pg_ctl_ -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

BIN=$(find_bin)
PORT=${PG_PORT:-5432}
DATABASE=${PG_DATABASE:-postgres}
[[ "$DATABASE" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "PG_DATABASE must be a plain lower-case name" >&2; exit 2; }

case "$ACTION" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  shutdown) pg_ctl_ -m fast -w stop >/dev/null ;;
  restart) start_server && print_url ;;
  pause) signal_server STOP ;;
  resume) signal_server CONT ;;
  *) usage ;;
esac
