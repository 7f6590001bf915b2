#!/usr/bin/env bash
# bench/dhcp.sh: bmnet's DHCP server (bench/dhcp-server.ts, relay mode, SQLite-backed durable leases and
# boot trace) against Kea (memfile, persist) and dnsmasq (lease file), measured in one run by
# ../shared/bench/dhcp-peers.sh with perfdhcp. Root only.
#   bench/dhcp.sh [dynamic|reservation] [--peers 'NAME…'] [--diagnose] [dhcp-peers.sh options…]
#   e.g. bench/dhcp.sh reservation --clients 2000 --rounds 1;  bench/dhcp.sh --peers reflector --rate 9800
# dynamic (default): unknown MACs lease from the pool. reservation: every perfdhcp client MAC owns a port.
# --peers: the harness's servers measured beside bmnet (default 'kea dnsmasq'; 'reflector' is its ceiling).
# --diagnose: bmnet logs what held its event loop each second (bench/stalls.ts) to server.out; add --keep.
# BMNET_NODE_FLAGS: extra node/V8 flags for bmnet's process (e.g. '--max-semi-space-size=32').
# Prints the harness's summary: per server dora_per_s, latency, and ratio_vs_bmnet.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${DHCP_PEERS:-$REPO/../shared/bench/dhcp-peers.sh}
if [ ! -x "$PEERS" ]; then
  echo "bench/dhcp.sh: $PEERS not found (the shared folder sits beside the repository; or set DHCP_PEERS)" >&2
  exit 1
fi
MODE=dynamic
case "${1:-}" in dynamic | reservation) MODE=$1; shift ;; esac
PEER_NAMES="kea dnsmasq" DIAGNOSE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --peers)
      [ $# -ge 2 ] || { echo "bench/dhcp.sh: --peers needs a value" >&2; exit 2; }
      PEER_NAMES=$2; shift 2 ;;
    --diagnose) DIAGNOSE=--diagnose; shift ;;
    *) break ;;
  esac
done
CLIENTS=10000 # the harness's default; the reservation set must cover every MAC perfdhcp -R uses
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --clients ] && [ $((i + 1)) -lt ${#args[@]} ]; then CLIENTS=${args[$((i + 1))]}; fi
done
# On the project's pinned Node (docs/runtime.md), started from the repository.
NODE=$("$REPO/scripts/node-runtime.sh")
SERVER="cd '$REPO' && exec '$NODE' ${BMNET_NODE_FLAGS:-} bench/dhcp-server.ts --mode $MODE --clients $CLIENTS \
  --listen \"\$PB_SERVER_IP:67\" --db \"\$PB_WORKDIR/bmnet.db\" --subnet \"\$PB_SUBNET\" \
  --pool \"\$PB_POOL_START-\$PB_POOL_END\" --lease-seconds \"\$PB_LEASE_S\" $DIAGNOSE"
# shellcheck disable=SC2086 # PEER_NAMES is a list of words
exec "$PEERS" --custom bmnet-$MODE="$SERVER" $PEER_NAMES "$@"
