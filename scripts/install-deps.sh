#!/usr/bin/env bash
# Installs the Debian packages audetect builds, tests and benchmarks with.
# Idempotent: runs apt-get only for packages that are missing.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ make pkg-config ccache
  clang libclang-rt-14-dev            # libFuzzer and sanitizer runtimes
  libsimdjson-dev libcli11-dev libfmt-dev libtomlplusplus-dev libre2-dev
  libaudit-dev libcap-ng-dev zlib1g-dev libyaml-cpp-dev
  libssl-dev                          # SHA-256 for Kibana-compatible alert ids (engine)
  libgtest-dev libgmock-dev libbenchmark-dev
  auditd                              # ausearch/auditctl: benchmark peer and capture tooling
  jq util-linux procps
  kmod time python3                   # capture scripts (lsmod/modprobe for real); bench/run.sh (/usr/bin/time -v, generator)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Installing auditd must not start the daemon: it would take over the kernel's audit stream,
# which the tests and `audetect watch` want to manage themselves. A policy-rc.d that denies
# service starts is put in place only for the duration of the install, and only if none exists.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
