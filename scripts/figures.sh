#!/usr/bin/env bash
# Regenerates the numbers behind README's "Figures" tables: the accuracy
# scorers, every package's benchmarks (as markdown rows: benchmark, ns/op,
# allocs/op and the custom metrics each reports), the call-tracking
# simulation and the dealer example's wall time and memory. The README's
# tables are these numbers, rounded and worded; rerun this after a change
# that could move them and update the tables.
#
#   scripts/figures.sh [section ...]   sections: accuracy identity journey attribution channel segment dealer resolve
#
# "resolve" (1M people through examples/resolve, see scripts/resolve-figures.sh)
# is left out unless named: it needs about 2 GB of disk and a few minutes.
# The full run takes about 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
sections=${*:-accuracy identity journey attribution channel segment dealer}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3-)"

# bench PKG PATTERN: markdown rows from go test -bench output.
bench() {
	go test -run '^$' -bench "$2" -benchmem -count 1 -timeout 60m "$1" | awk '
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			row = "| " name " |"
			for (i = 3; i < NF; i += 2) row = row " " $i " " $(i+1) " |"
			print row
		}'
}

for s in $sections; do
	echo
	case $s in
	accuracy)
		echo "## accuracy (realistic population, 20k people)"
		go test -count=1 -v -run . ./examples/score 2>&1 | grep -E 'precision|recall|P /|contacts|all identifiers' || true
		go test -count=1 -v -run TestAccuracyRealistic ./identity 2>&1 | grep -vE '^(=== RUN|--- |PASS|ok)' || true
		echo "## accuracy on 40 worlds, with the evidence ceilings, and the threshold frontier"
		go test -count=1 -v -run 'TestAccuracyWorlds' ./identity 2>&1 | grep -vE '^(=== RUN|--- |PASS|ok)' || true
		THROUGHLINE_FRONTIER=1 go test -count=1 -v -timeout 30m -run 'TestAccuracyFrontier' ./identity 2>&1 | grep -vE '^(=== RUN|--- |PASS|ok)' || true
		;;
	identity | journey | attribution | channel | segment)
		echo "## $s benchmarks"
		bench "./$s" .
		if [ "$s" = channel ]; then
			echo "## call tracking simulation"
			go test -count=1 -v -run Simulation ./channel 2>&1 | grep -vE '^(=== RUN|--- |PASS|ok)' || true
		fi
		;;
	dealer)
		echo "## examples/dealer, default size"
		go build -o /tmp/throughline-dealer ./examples/dealer
		/usr/bin/time -f "wall %e s, peak RSS %M KB" /tmp/throughline-dealer -quiet -out "$(mktemp -d)" | sed -n '1,30p'
		;;
	resolve)
		scripts/resolve-figures.sh
		;;
	*)
		echo "unknown section $s" >&2
		exit 2
		;;
	esac
done
