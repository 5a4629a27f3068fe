"""Connected components of an observation JSONL with python-igraph: the
baseline examples/resolve is compared with. Identifiers are taken as written
(no normalization), which only makes igraph's job easier. With a queries
file (kind<TAB>value a line) as the second argument it answers each query
with its component, as examples/resolve does, on stdout.

    python3 scripts/igraph_cc.py obs.jsonl [queries.tsv] > answer.tsv"""
import json
import sys

import igraph

ids = {}
edges = []
with open(sys.argv[1]) as f:
    for line in f:
        o = json.loads(line)
        nodes = []
        for i in o["ids"]:
            key = (i["kind"], i["value"])
            n = ids.get(key)
            if n is None:
                n = ids[key] = len(ids)
            nodes.append(n)
        for a, b in zip(nodes, nodes[1:]):
            edges.append((a, b))
g = igraph.Graph(n=len(ids), edges=edges)
components = g.connected_components()
print("igraph: %d identifiers, %d components" % (len(ids), len(components)), file=sys.stderr)
if len(sys.argv) > 2:
    membership = components.membership
    out = sys.stdout
    with open(sys.argv[2]) as q:
        for line in q:
            kind, _, value = line.rstrip("\r\n").partition("\t")
            n = ids.get((kind, value))
            out.write("%s\t%s\t%s\n" % (kind, value, "" if n is None else membership[n]))
