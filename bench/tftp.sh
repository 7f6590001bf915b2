#!/usr/bin/env bash
# bench/tftp.sh: bmnet's TFTP server (bench/tftp-server.ts) against tftpd-hpa, measured in one run by
# ../shared/bench/tftp-peers.sh (atftp and curl, blksize 512 / 1468 / 1468 + windowsize 8, 10 concurrent
# clients). Root only. Extra arguments go to tftp-peers.sh, e.g. `bench/tftp.sh --rounds 2 --pin-cpu 1`.
# Prints the harness's summary: per test min/median/max MiB/s and ratio_vs_tftpd-hpa.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${TFTP_PEERS:-$REPO/../shared/bench/tftp-peers.sh}
if [ ! -x "$PEERS" ]; then
  echo "bench/tftp.sh: $PEERS not found (the shared folder sits beside the repository; or set TFTP_PEERS)" >&2
  exit 1
fi
# On the project's pinned Node (docs/runtime.md), started from the repository.
NODE=$("$REPO/scripts/node-runtime.sh")
SERVER="cd '$REPO' && exec '$NODE' bench/tftp-server.ts --listen \"\$PB_SERVER_IP:69\" --root \"\$PB_TFTP_ROOT\""
exec "$PEERS" tftpd-hpa --custom bmnet="$SERVER" "$@"
