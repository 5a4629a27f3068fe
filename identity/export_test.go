package identity

// ProbeBridges re-clusters every component of g and calls f with each
// bridge decision (the best members of the two clusters, the bridge, and
// whether it merged). Tests use it to score the decision per feature
// pattern against a population's truth.
func ProbeBridges(g *Graph, f func(a, b ID, br Bridge, merged bool)) {
	g.mu.lock()
	defer g.mu.unlock()
	g.scratch.probe = f
	defer func() { g.scratch.probe = nil }()
	g.clusterAll()
}
