#!/usr/bin/env bash
# A throwaway S3 endpoint for tests and local clusters: a one-node Ceph (one monitor, one OSD on
# memstore, radosgw) bound to 127.0.0.1, with no systemd, no cephadm and no disk: objects live in
# RAM and vanish on stop.
#
#   scripts/ceph-s3.sh start DIR   start; prints "S3_ENDPOINT=http://127.0.0.1:PORT" when ready
#   scripts/ceph-s3.sh stop DIR    stop the daemons this DIR started (by their PID files), delete DIR
#   scripts/ceph-s3.sh pause DIR   SIGSTOP radosgw: S3 connections still open, nothing answers
#   scripts/ceph-s3.sh resume DIR  SIGCONT radosgw
#
# An S3 outage is simulated by pausing radosgw, not by stopping the cluster: memstore keeps objects
# only while the OSD runs, so a stop/start would come back empty. A paused radosgw is also the
# harsher outage for a client (a hang, not a refused connection), which is what timeouts are for.
#
# Environment: RGW_PORT (default 7480), MON_PORT (default 3300), S3_ACCESS_KEY / S3_SECRET_KEY
# (default openkvs-test / openkvs-test-secret), MEMSTORE_BYTES (default 2 GiB), S3_BUCKET (a bucket
# to create at start; default none).
# Needs Debian's ceph-mon, ceph-osd and radosgw (16.x), plus uuidgen and curl.
set -Eeuo pipefail

usage() { echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
ACTION=$1
DIR=$(realpath -m "$2")
CONF="$DIR/ceph.conf"

# True while PID is alive and was started with this DIR's config (never signal anyone else's).
is_ours() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ "${state#Z}" = "$state" ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-c $CONF"
}

# stop_daemons NAME...: SIGTERM, wait up to 5 s, then SIGKILL the survivors.
stop_daemons() {
  local pids=() name pid
  for name in "$@"; do
    pid=$(cat "$DIR/run/$name.pid" 2>/dev/null) || continue
    is_ours "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do is_ours "$pid" && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do is_ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
  return 0
}

# signal_rgw SIG: the radosgw this DIR started, by its PID file.
signal_rgw() {
  local pid
  pid=$(cat "$DIR/run/client.rgw.pid" 2>/dev/null) && is_ours "$pid" || { echo "no radosgw running from $DIR" >&2; return 1; }
  kill "-$1" "$pid"
}

stop_cluster() {
  if [ -d "$DIR/run" ]; then
    # A paused radosgw would ignore SIGTERM until the SIGKILL: let it run again first.
    signal_rgw CONT 2>/dev/null || true
    # radosgw flushes through the OSD and the OSD reports to the monitor: stop them in that order.
    stop_daemons client.rgw
    stop_daemons $(cd "$DIR/run" && ls osd.*.pid 2>/dev/null | sed 's/\.pid$//')
    stop_daemons mon.a
  fi
  rm -rf "$DIR"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
  local tries=$(($1 * 10)); shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
  "$@"
}

write_conf() {
  cat >"$CONF" <<EOF
[global]
fsid = $1
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# Without cephx, daemons still ask the monitor for its 'secure' mode and radosgw stalls for minutes.
ms mon client mode = crc
client mount timeout = 30
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/\$cluster.\$channel.log
crash dir = $DIR/crash
mon data = $DIR/mon.\$id
osd data = $DIR/osd.\$id
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
# The monitor batches map updates for a second by default; a one-node cluster need not wait.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
[client.rgw]
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
# Deleted objects' tails are garbage-collected after 2 h by default, holding memstore RAM.
rgw gc obj min wait = 5
rgw gc processor period = 5
EOF
}

osd_is_up() { ceph -c "$CONF" osd dump 2>/dev/null | grep -q "^osd.$1 up"; }
rgw_answers() { curl -fs "http://127.0.0.1:$RGW_PORT/" 2>/dev/null | grep -q ListAllMyBucketsResult; }

start_cluster() {
  [ -e "$DIR" ] && { echo "$DIR already exists; stop that cluster first" >&2; exit 1; }
  for port in "$MON_PORT" "$RGW_PORT"; do
    port_in_use "$port" && { echo "port $port is already in use" >&2; exit 1; }
  done
  mkdir -p "$DIR"/{run,log,mon.a,rgw}
  trap 'echo "ceph-s3: start failed; last log lines:" >&2; tail -n 5 "$DIR"/log/*.log >&2 || true; stop_cluster' ERR
  local fsid osd_uuid osd_id
  fsid=$(uuidgen)
  write_conf "$fsid"

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap"
  ceph-mon -c "$CONF" -i a
  ceph -c "$CONF" --connect-timeout 15 mon stat >/dev/null

  osd_uuid=$(uuidgen)
  osd_id=$(ceph -c "$CONF" osd new "$osd_uuid")
  mkdir -p "$DIR/osd.$osd_id"
  ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" 2>>"$DIR/log/osd-mkfs.log"
  ceph-osd -c "$CONF" -i "$osd_id" 2>>"$DIR/log/osd-stderr.log"
  wait_for 30 osd_is_up "$osd_id"

  radosgw -c "$CONF" -n client.rgw
  wait_for 60 rgw_answers
  radosgw-admin -c "$CONF" user create --uid=openkvs-test --display-name=openkvs-test \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null
  # curl signs the request itself (SigV4), so no S3 client is needed to make the bucket; S3 wants
  # the payload hash (here of the empty body) in a signed x-amz-content-sha256 header.
  [ -z "${S3_BUCKET:-}" ] || curl -fsS -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$RGW_PORT/$S3_BUCKET" >/dev/null
  trap - ERR
  echo "S3_ENDPOINT=http://127.0.0.1:$RGW_PORT"
}

RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-3300}
ACCESS_KEY=${S3_ACCESS_KEY:-openkvs-test}
SECRET_KEY=${S3_SECRET_KEY:-openkvs-test-secret}
MEMSTORE_BYTES=${MEMSTORE_BYTES:-2147483648}

case "$ACTION" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  pause) signal_rgw STOP ;;
  resume) signal_rgw CONT ;;
  *) usage ;;
esac
