#!/usr/bin/env bash
# A local openkvs cluster to try the scale-out setup on one machine: a throwaway PostgreSQL (the
# shared index), a one-node Ceph RGW (the shared S3 bucket), and two openkvs nodes on two ports
# pointed at both. Any node serves any request: create a stream on one, stream into it, read it
# back from the other. Everything lives in one temporary directory; Ctrl-C (or SIGTERM) stops
# the nodes, Ceph and PostgreSQL and deletes it. Nothing listens beyond 127.0.0.1.
#
#   npm run build && scripts/cluster-example.sh
#
# Environment (defaults in brackets): NODE_A_PORT [4571], NODE_B_PORT [4572], PG_PORT [54320],
# RGW_PORT [7480], MON_PORT [3300], CLUSTER_DIR [a new directory under $TMPDIR or /tmp].
# When both nodes answer it prints KEY=VALUE lines (NODE_A=, NODE_B=, INDEX=, STORAGE=,
# S3_ENDPOINT=, LOGS=) and then READY.
# Needs: PostgreSQL server binaries, ceph-mon/ceph-osd/radosgw, curl, uuidgen (see the README).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_A_PORT=${NODE_A_PORT:-4571}
NODE_B_PORT=${NODE_B_PORT:-4572}
BUCKET=openkvs
S3_KEY=openkvs-example
S3_SECRET=openkvs-example-secret
# HLS/DASH session tokens are signed with this; every node needs the same one to honour the others' URLs.
SESSION_SECRET=$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))")
[ -f "$ROOT/dist/src/cli.js" ] || { echo "openkvs is not built: run npm run build first" >&2; exit 1; }

DIR=${CLUSTER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/openkvs-cluster.XXXXXX")}
mkdir -p "$DIR"
# PostgreSQL runs as the postgres user when we are root: it must be able to reach its directory.
chmod 711 "$DIR"
NODE_PIDS=()

cleanup() {
  trap - INT TERM EXIT
  echo "stopping the cluster..." >&2
  local pid
  # A PostgreSQL still starting is waited for, so that stop finds what to stop.
  [ -z "${PG_JOB:-}" ] || wait "$PG_JOB" 2>/dev/null || true
  for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash "$ROOT/scripts/ceph-s3.sh" stop "$DIR/ceph" || true
  bash "$ROOT/scripts/postgres-local.sh" stop "$DIR/postgres" || true
  rm -rf "$DIR"
  echo "stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# value_of KEY OUTPUT: the VALUE of a KEY=VALUE line the fixture scripts print.
value_of() { grep "^$1=" <<<"$2" | tail -n 1 | cut -d= -f2-; }

echo "starting PostgreSQL and Ceph RGW in $DIR ..." >&2
# Both at once: each takes a few seconds, mostly waiting.
PG_PORT=${PG_PORT:-54320} PG_DATABASE=openkvs bash "$ROOT/scripts/postgres-local.sh" start "$DIR/postgres" >"$DIR/postgres.out" &
PG_JOB=$!
S3_OUT=$(RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-3300} S3_ACCESS_KEY=$S3_KEY S3_SECRET_KEY=$S3_SECRET \
  S3_BUCKET=$BUCKET bash "$ROOT/scripts/ceph-s3.sh" start "$DIR/ceph")
wait "$PG_JOB"
PG_OUT=$(cat "$DIR/postgres.out")
INDEX=$(value_of POSTGRES_URL "$PG_OUT")
S3_ENDPOINT=$(value_of S3_ENDPOINT "$S3_OUT")

# start_node NAME PORT: one openkvs process on the shared index and bucket, logging to DIR/NAME.log.
start_node() {
  OPENKVS_PORT=$2 \
    OPENKVS_DATA_DIR="$DIR/$1" \
    OPENKVS_INDEX="$INDEX" \
    OPENKVS_STORAGE="s3://$BUCKET/cluster" \
    OPENKVS_S3_ENDPOINT="$S3_ENDPOINT" \
    OPENKVS_S3_CHECKSUM=when-required \
    OPENKVS_SESSION_SECRET=$SESSION_SECRET \
    AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET \
    node "$ROOT/bin/openkvs.cjs" serve >"$DIR/$1.log" 2>&1 &
  NODE_PIDS+=($!)
}

# wait_listening NAME PID: until the node logs that it listens (or dies, or 60 s pass).
wait_listening() {
  for _ in $(seq 600); do
    grep -q '"openkvs listening"' "$DIR/$1.log" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$1 exited:" >&2; tail -n 20 "$DIR/$1.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$1 did not start within 60 s" >&2
  return 1
}

# wait_ready NAME PORT: until GET /health/ready answers 200 (index and blob store both answer),
# as a load balancer's health check would (or 30 s pass).
wait_ready() {
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$2/health/ready" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 is not ready after 30 s: $(curl -sS "http://127.0.0.1:$2/health/ready" 2>&1)" >&2
  return 1
}

start_node node-a "$NODE_A_PORT"
start_node node-b "$NODE_B_PORT"
wait_listening node-a "${NODE_PIDS[0]}"
wait_listening node-b "${NODE_PIDS[1]}"
wait_ready node-a "$NODE_A_PORT"
wait_ready node-b "$NODE_B_PORT"

cat <<EOF
NODE_A=http://127.0.0.1:$NODE_A_PORT
NODE_B=http://127.0.0.1:$NODE_B_PORT
INDEX=$INDEX
STORAGE=s3://$BUCKET/cluster
S3_ENDPOINT=$S3_ENDPOINT
LOGS=$DIR
READY
EOF
cat >&2 <<EOF

Two openkvs nodes share one PostgreSQL index and one S3 bucket. Try, in another shell:
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url http://127.0.0.1:$NODE_A_PORT kinesisvideo create-stream --stream-name cam1 --data-retention-in-hours 24
  aws --endpoint-url http://127.0.0.1:$NODE_B_PORT kinesisvideo describe-stream --stream-name cam1
  curl http://127.0.0.1:$NODE_B_PORT/health/ready          # what a load balancer checks
Console: http://127.0.0.1:$NODE_A_PORT/
Ctrl-C stops everything and deletes $DIR.
EOF

# Until Ctrl-C, or until a node dies (then everything stops).
wait -n "${NODE_PIDS[@]}" || true
echo "a node exited; see $DIR/*.log" >&2
exit 1
