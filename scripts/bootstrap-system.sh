#!/usr/bin/env bash
# Installs the system packages the test suite uses, once. Safe to run again.
#   prometheus: promtool, to check and unit-test generated rule files.
#   chromium: the headless browser the UI tests drive (playwright, executable_path; no download).
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# policy-rc.d keeps the Debian package from starting a Prometheus service we do not want.
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
