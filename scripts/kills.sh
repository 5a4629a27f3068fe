#!/usr/bin/env bash
# The kill -9 campaign behind README's "Durability" table: for each store
# (the raw journal, identity, journey, channel's Reacher) and each sync mode,
# a child process writes at full speed and is killed with SIGKILL at random
# points, N times (default 200) on one directory; after each kill the
# directory is reopened and every acknowledged record must be there, in
# order, once (internal/killtest). Prints one line per store and mode.
#
#   scripts/kills.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
echo "machine: $(nproc) cores, $(go version | cut -d' ' -f3-), $n kills per store and mode"
THROUGHLINE_KILLS=$n go test -count=1 -timeout 60m -run 'TestKilledWriter|TestKill9' -v \
	./internal/journal ./identity ./journey ./channel | grep -E 'killtest:|^(ok|FAIL|---)'
