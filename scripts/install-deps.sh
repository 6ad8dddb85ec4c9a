#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only when some are missing.
# nginx is for the benchmark's reference chain (bench/run.sh starts its own instances with their own
# configs on free loopback ports; the package's default site and service are not used).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-system-dev libssl-dev openssl
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcli11-dev libtomlplusplus-dev libsqlite3-dev sqlite3 libgtest-dev googletest
  libxmlsec1-dev libxmlsec1-openssl zlib1g-dev
  nodejs npm curl wrk nginx linux-perf procps chromium
  clang libclang-rt-14-dev clang-format clang-tidy ccache
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine that already has node and npm from elsewhere (e.g. nodesource) keeps them.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# node-llama-cpp (the embedded engine) needs Node.js 20 or newer.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js $(node --version) is too old; the embedded engine (node-llama-cpp) needs Node.js >= 20" >&2
  exit 1
fi
