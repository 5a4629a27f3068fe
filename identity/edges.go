package identity

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/throughline/throughline/internal/lines"
)

// Edges and labels are how a graph leaves one machine and comes back: a
// group with billions of identifiers computes connected components on a
// distributed engine (Spark GraphFrames, BigQuery with large-star and
// small-star), which wants the evidence as an edge list and returns a
// component label per vertex.

// ErrLabels wraps errors reading a labels file.
var ErrLabels = errors.New("identity: bad labels")

// WriteEdges writes the graph's linking evidence as a tab-separated edge
// list with a "src<TAB>dst" header: one line per identifier an observation
// links to its first linking identifier (a star per observation, which
// keeps the components and needs k−1 edges for k identifiers), vertices in
// the "kind:value" form of ID.String with canonical values. Retracted
// observations, quarantined hubs, junk and erased identifiers are left out,
// so an engine's plain connected components get the junk list and hub
// quarantine already applied; the finer rules (trust, attach-only, kind
// clashes) need Throughline's clustering and do not carry over to a plain
// component count. Values holding a tab or a newline (possible only in
// host kinds) are skipped and counted. WriteEdges holds the graph's read
// lock while it writes; it stops with ctx's error when ctx is done (checked
// every 65,536 observations), the file then cut short.
func (g *Graph) WriteEdges(ctx context.Context, w io.Writer) (edges, skipped int, err error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("src\tdst\n")
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	var buf []byte
	vertex := func(n uint32) ([]byte, bool) {
		k := g.kinds[g.nodes.at(n).kind].Kind
		v := g.nodes.value(n)
		for _, c := range v {
			if c == '\t' || c == '\n' || c == '\r' {
				return nil, false
			}
		}
		buf = append(append(append(buf[:0], k...), ':'), v...)
		return buf, true
	}
	for i := range g.ev.len() {
		if i%65536 == 0 && ctx.Err() != nil {
			bw.Flush()
			return edges, skipped, fmt.Errorf("identity: write edges: %w", ctx.Err())
		}
		o := g.ev.at(uint32(i))
		if o.flags&obsRetracted != 0 {
			continue
		}
		hub := ^uint32(0)
		var hubText []byte
		for _, m := range o.members {
			if m == erasedMember || !g.nodes.at(m).linking() {
				continue
			}
			text, ok := vertex(m)
			if !ok {
				skipped++
				continue
			}
			if hub == ^uint32(0) {
				hub, hubText = m, append(hubText[:0], text...)
				continue
			}
			if m == hub {
				continue
			}
			bw.Write(hubText)
			bw.WriteByte('\t')
			bw.Write(text)
			bw.WriteByte('\n')
			edges++
		}
	}
	return edges, skipped, bw.Flush()
}

// A LineError is a rejected line of input, with its number: the same type
// as journey.LineError and attribution.LineError.
type LineError = lines.Error

// badLabel is the LineError of a label line rejected for err.
func badLabel(line int, err error) *LineError {
	return &LineError{Line: line, Err: fmt.Errorf("%w: %w", ErrLabels, err)}
}

// LabelReport says what ImportLabels did.
type LabelReport struct {
	Lines, Identifiers, Components int
	// Bad holds the lines skipped; each Err wraps ErrLabels (and the
	// normalizer's error for a value that does not normalize).
	Bad []*LineError
}

// ImportLabels reads the component labels a distributed engine computed,
// "kind:value<TAB>label" a line (a header line "id<TAB>label" or
// "src<TAB>…" is skipped), and observes the identifiers of each label
// together, as verified evidence with source "components", so the graph
// serves those components in-process: Resolve, Keys and journeys work on
// them. Use a graph with the rules off (Policy.Disabled): the engine has
// already decided, and the rules would judge the synthetic evidence
// again. Bad lines are reported, never fatal; err is for I/O, and for ctx
// done (checked every 4,096 lines: what was imported before stays).
func (g *Graph) ImportLabels(ctx context.Context, r io.Reader) (LabelReport, error) {
	var rep LabelReport
	first := map[string]ID{} // label → its first identifier
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return rep, fmt.Errorf("identity: import labels: %w", ctx.Err())
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		rep.Lines++
		id, label, ok := strings.Cut(text, "\t")
		if line == 1 && (id == "id" || id == "src") {
			continue
		}
		if !ok || label == "" || strings.Contains(label, "\t") {
			rep.Bad = append(rep.Bad, badLabel(line, errors.New("want kind:value<TAB>label")))
			continue
		}
		x, err := ParseIDString(id)
		if err != nil {
			rep.Bad = append(rep.Bad, badLabel(line, err))
			continue
		}
		ids := []ID{x}
		if f, seen := first[label]; seen {
			ids = append(ids, f)
		}
		if _, err := g.Observe(Observation{Source: "components", Trust: TrustVerified, IDs: ids}); err != nil {
			rep.Bad = append(rep.Bad, badLabel(line, err))
			continue
		}
		if _, seen := first[label]; !seen {
			first[label] = x
			rep.Components++
		}
		rep.Identifiers++
	}
	return rep, sc.Err()
}
