#!/usr/bin/env bash
# Prints the figures of the identity core's acceptance test: examples/resolve
# on a clean population of 1M people (about 3.5M observations, 3.7M
# identifiers, 600 MB of JSONL), every identifier queried: wall time and
# peak resident memory, rules on and off. With python3-igraph installed
# (apt-get install python3-igraph) it also times connected components over
# the same file in igraph, side by side.
#
#   scripts/resolve-figures.sh [people] [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
dir=${2:-$(mktemp -d)}
mkdir -p "$dir"
go build -o "$dir/population" ./examples/population
go build -o "$dir/resolve" ./examples/resolve
if [ ! -s "$dir/obs-$people.jsonl" ]; then
	"$dir/population" -people "$people" -out "$dir/obs-$people.jsonl" -truth "$dir/truth-$people.tsv" -queries "$dir/queries-$people.tsv" -nqueries 0
fi
ls -l "$dir/obs-$people.jsonl" | awk '{printf "input: %.0f MB\n", $5/1e6}'
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version)"
/usr/bin/time -f "resolve (rules): %e s wall, %M KB peak RSS" "$dir/resolve" -quiet \
	-observations "$dir/obs-$people.jsonl" -queries "$dir/queries-$people.tsv" > "$dir/answer.tsv"
/usr/bin/time -f "resolve (-no-rules): %e s wall, %M KB peak RSS" "$dir/resolve" -quiet -no-rules \
	-observations "$dir/obs-$people.jsonl" -queries "$dir/queries-$people.tsv" > "$dir/answer-cc.tsv"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3 # Debian's, where python3-igraph installs
wc -l < "$dir/queries-$people.tsv" | awk '{print "queries: " $1}'
if $py -c 'import igraph' 2>/dev/null; then
	/usr/bin/time -f "igraph: %e s wall, %M KB peak RSS" $py scripts/igraph_cc.py "$dir/obs-$people.jsonl" "$dir/queries-$people.tsv" > "$dir/answer-igraph.tsv"
else
	echo "igraph: not installed (apt-get install python3-igraph to compare)"
fi
