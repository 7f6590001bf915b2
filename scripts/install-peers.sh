#!/usr/bin/env bash
# Installs the Debian packages bmnet's tests and benchmarks run against (real peers), when missing.
# Services are not started by the packages: a temporary policy-rc.d refuses every start, so nothing
# listens on ports 67/69 or runs an OVS the tests did not start.
set -euo pipefail
PACKAGES=(
  iproute2 iputils-ping ethtool tcpdump procps psmisc
  openvswitch-switch openssh-server openssh-client
  isc-dhcp-client udhcpc busybox isc-dhcp-relay
  kea-admin kea-dhcp4-server dnsmasq-base
  tftp-hpa tftpd-hpa atftp curl
  python3-openstackclient postgresql
  qemu-system-x86 ipxe-qemu ovmf ipxe
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-peers: missing Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-peers: installing ${missing[*]}" >&2
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
