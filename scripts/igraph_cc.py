"""Connected components of an observation JSONL with python-igraph: the
baseline examples/resolve is compared with. Identifiers are taken as written
(no normalization), which only makes igraph's job easier."""
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
print("igraph: %d identifiers, %d components" % (len(ids), len(g.connected_components())), file=sys.stderr)
