#!/usr/bin/env bash
# Builds the supervisor image from a static `wave` binary and the host's static bash and
# busybox (Debian packages bash-static and busybox-static). Usage:
#   images/build-supervisor.sh [path/to/wave] [tag]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wave=${1:-$here/../target/x86_64-unknown-linux-gnu/release/wave}
tag=${2:-wave-supervisor:dev}
for f in "$wave" /bin/bash-static /bin/busybox; do
  [ -x "$f" ] || { echo "build-supervisor: missing $f (apt-get install bash-static busybox-static; cargo build --release)" >&2; exit 1; }
done
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/supervisor/Dockerfile" "$ctx/Dockerfile"
cp "$wave" "$ctx/wave"
cp /bin/bash-static "$ctx/bash"
cp /bin/busybox "$ctx/busybox"
docker build -q -t "$tag" "$ctx"
