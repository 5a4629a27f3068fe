package segment

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
)

// ErrMembership reports a memberships file that cannot be read, or a
// Restore into an engine that already holds profiles.
var ErrMembership = errors.New("segment: bad memberships file")

const membershipMagic = "throughline segment memberships v1"

// WriteMemberships saves who is in which segment. The engine's other state
// is derived from the journey store and is rebuilt; memberships are what
// the world was told (mails sent on entry), so a restarted engine must
// compare with them rather than start from nobody, or every member would
// "enter" again. The format is a header, the quoted segment names, one
// "profile<TAB>i,j,…" line per profile with memberships (indexes into the
// names), in profile order, and an "end N" trailer.
//
// When ctx is done first, WriteMemberships stops (checked every 4,096
// lines) and returns its error; what it wrote has no trailer, so Restore
// refuses it.
func (e *Engine) WriteMemberships(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("segment: write memberships: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	type line struct {
		p   identity.ProfileID
		ins []int
	}
	var lines []line
	for i := range e.states {
		st := &e.states[i]
		if st.id.IsZero() {
			continue
		}
		var ins []int
		for b := range e.prog.names {
			if hasBit(e.word(int32(i)), b) {
				ins = append(ins, b)
			}
		}
		if len(ins) > 0 {
			lines = append(lines, line{st.id, ins})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return a.p.Compare(b.p) })
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	fmt.Fprintf(cw, "%s\nsegments", membershipMagic)
	for _, n := range e.prog.names {
		fmt.Fprintf(cw, " %s", strconv.Quote(n))
	}
	cw.WriteString("\n")
	var b []byte
	for i, l := range lines {
		if i%4096 == 0 && ctx.Err() != nil {
			bw.Flush()
			return cw.n, fmt.Errorf("segment: write memberships: %w", ctx.Err())
		}
		b, _ = l.p.AppendText(b[:0])
		b = append(b, '\t')
		for k, x := range l.ins {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(x), 10)
		}
		b = append(b, '\n')
		cw.Write(b)
	}
	fmt.Fprintf(cw, "end %d\n", len(lines))
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	if c.err == nil {
		c.err = err
	}
	return k, err
}

func (c *countWriter) WriteString(s string) { c.Write([]byte(s)) }

// Restore loads memberships saved by WriteMemberships into a new engine,
// then rebuilds every profile from the store and returns what changed
// since the save: entries and exits that happened while the engine was
// down, not the whole membership again. Segments the saved file does not
// name (added to the set since) start empty, so their members enter;
// names the set no longer has are ignored. A file cut short or damaged
// fails with ErrMembership and the line number, and nothing is loaded. The
// rebuild stops when ctx is done (see Rebuild).
func (e *Engine) Restore(ctx context.Context, r io.Reader, now time.Time) ([]Transition, error) {
	saved, err := readMemberships(r)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.index) > 0 {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: Restore needs an engine with no profiles yet", ErrMembership)
	}
	bitOf := make([]int, len(saved.names))
	for i, n := range saved.names {
		bitOf[i] = e.prog.byName[n] - 1
	}
	for _, l := range saved.lines {
		i, _ := e.state(l.p)
		for _, x := range l.ins {
			if b := bitOf[x]; b >= 0 {
				setBit(e.word(i), b, true)
			}
		}
	}
	e.mu.Unlock()
	return e.Rebuild(ctx, now)
}

type savedMemberships struct {
	names []string
	lines []struct {
		p   identity.ProfileID
		ins []int
	}
}

func readMemberships(r io.Reader) (*savedMemberships, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 16<<20)
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: line %d: %s", ErrMembership, line, fmt.Sprintf(format, args...))
	}
	if !sc.Scan() || sc.Text() != membershipMagic {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMembership, err)
		}
		return nil, fail(1, "not a memberships file")
	}
	if !sc.Scan() {
		return nil, fail(2, "truncated")
	}
	rest, ok := strings.CutPrefix(sc.Text(), "segments")
	if !ok {
		return nil, fail(2, "want the segment names")
	}
	s := &savedMemberships{}
	for rest != "" {
		if rest[0] != ' ' {
			return nil, fail(2, "names are space-separated quoted strings")
		}
		q, err := strconv.QuotedPrefix(rest[1:])
		if err != nil {
			return nil, fail(2, "bad quoted name")
		}
		n, _ := strconv.Unquote(q)
		s.names = append(s.names, n)
		rest = rest[1+len(q):]
	}
	ended := false
	for line := 3; sc.Scan(); line++ {
		t := sc.Text()
		if ended {
			return nil, fail(line, "data after the trailer")
		}
		if c, ok := strings.CutPrefix(t, "end "); ok {
			if c != strconv.Itoa(len(s.lines)) {
				return nil, fail(line, "trailer counts %q profiles, read %d", c, len(s.lines))
			}
			ended = true
			continue
		}
		id, list, ok := strings.Cut(t, "\t")
		if !ok {
			return nil, fail(line, "want profile<TAB>segments")
		}
		p, err := identity.ParseProfileID(id)
		if err != nil || p.IsZero() {
			return nil, fail(line, "bad profile ID")
		}
		if n := len(s.lines); n > 0 && s.lines[n-1].p.Compare(p) >= 0 {
			return nil, fail(line, "profiles out of order or repeated")
		}
		var ins []int
		for _, f := range strings.Split(list, ",") {
			x, err := strconv.Atoi(f)
			if err != nil || x < 0 || x >= len(s.names) || (len(ins) > 0 && ins[len(ins)-1] >= x) {
				return nil, fail(line, "bad segment index %q", f)
			}
			ins = append(ins, x)
		}
		s.lines = append(s.lines, struct {
			p   identity.ProfileID
			ins []int
		}{p, ins})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMembership, err)
	}
	if !ended {
		return nil, fmt.Errorf("%w: truncated (no trailer)", ErrMembership)
	}
	return s, nil
}
