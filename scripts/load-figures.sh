#!/usr/bin/env bash
# Prints issue 18's bulk-load figures: a dealer's history of 1M people and
# 20M events as one CSV file (profiles interleaved in time order), loaded
# into a journey store (LoadCSV) and, when PostgreSQL is installed, by COPY
# into a table on a throwaway server on 127.0.0.1: both times, the store's
# heap against the table's size, and the funnel counts from both (lead,
# test drive, contract; each person's first lead; 30 days).
#
#   scripts/load-figures.sh [people] [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
dir=${2:-$(mktemp -d)}
mkdir -p "$dir"
go build -o "$dir/loadfigures" ./tools/loadfigures
file="$dir/events-$people.csv"
[ -s "$file" ] || "$dir/loadfigures" -gen "$file" -people "$people"
ls -lL "$file" | awk '{printf "input: %.0f MB\n", $5/1e6}'
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version)"
"$dir/loadfigures" -load "$file" -people "$people"
if "$dir/loadfigures" -pg "$file"; then :; else echo "postgresql: not measured (apt-get install postgresql to compare)"; fi
