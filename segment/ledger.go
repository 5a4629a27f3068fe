package segment

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/throughline/throughline/identity"
)

// ErrLedger reports a ledger file that cannot be read, or an audience for
// another platform.
var ErrLedger = errors.New("segment: bad audience ledger")

// A Ledger remembers, row by row, what was uploaded to one destination, so
// the next upload sends only the changes: rows to add, and rows to remove
// in exactly the hashed form they were added in (a person who changed an
// email must be removed under the old one). Without a ledger a host can
// only guess who left — the reason Bloomreach's reference scenario removes
// everyone who left the segment in the last 90 days.
//
// A Ledger is not safe for concurrent use.
type Ledger struct {
	platform Platform
	rows     map[Row]struct{}
}

// NewLedger returns an empty ledger for a destination on platform p.
func NewLedger(p Platform) *Ledger {
	return &Ledger{platform: p, rows: map[Row]struct{}{}}
}

// Len returns the number of rows the destination holds.
func (l *Ledger) Len() int { return len(l.rows) }

// Diff returns the rows of a the destination lacks and the rows it holds
// that a no longer has, each sorted by profile and values. It does not
// change the ledger: call Apply once the platform accepted the upload.
func (l *Ledger) Diff(a Audience) (add, remove Audience, err error) {
	if a.Platform != l.platform {
		return Audience{}, Audience{}, fmt.Errorf("%w: audience for %s, ledger for %s", ErrLedger, a.Platform, l.platform)
	}
	add, remove = Audience{Platform: l.platform}, Audience{Platform: l.platform}
	now := make(map[Row]struct{}, len(a.Rows))
	for _, r := range a.Rows {
		if _, dup := now[r]; dup {
			continue
		}
		now[r] = struct{}{}
		if _, ok := l.rows[r]; !ok {
			add.Rows = append(add.Rows, r)
		}
	}
	for r := range l.rows {
		if _, ok := now[r]; !ok {
			remove.Rows = append(remove.Rows, r)
		}
	}
	sortRows(add.Rows)
	sortRows(remove.Rows)
	return add, remove, nil
}

// Apply records an accepted upload.
func (l *Ledger) Apply(add, remove Audience) {
	for _, r := range remove.Rows {
		delete(l.rows, r)
	}
	for _, r := range add.Rows {
		l.rows[r] = struct{}{}
	}
}

func sortRows(rs []Row) {
	slices.SortFunc(rs, func(a, b Row) int {
		return cmp.Or(a.Profile.Compare(b.Profile), cmp.Compare(a.Email, b.Email), cmp.Compare(a.Phone, b.Phone))
	})
}

const ledgerMagic = "throughline-audience-ledger v1 "

// WriteTo saves the ledger: a header line naming the platform, one
// "profile,email,phone" line per row, sorted, and an "end N" trailer that
// lets ReadLedger tell a complete file from a truncated one. Only hashed
// values are kept.
func (l *Ledger) WriteTo(w io.Writer) (int64, error) {
	rows := make([]Row, 0, len(l.rows))
	for r := range l.rows {
		rows = append(rows, r)
	}
	sortRows(rows)
	bw := bufio.NewWriter(w)
	var n int64
	k, _ := bw.WriteString(ledgerMagic + l.platform.String() + "\n")
	n += int64(k)
	for _, r := range rows {
		k, _ = fmt.Fprintf(bw, "%s,%s,%s\n", r.Profile, r.Email, r.Phone)
		n += int64(k)
	}
	k, _ = fmt.Fprintf(bw, "end %d\n", len(rows))
	n += int64(k)
	return n, bw.Flush()
}

// ReadLedger loads a ledger saved by WriteTo. A file cut anywhere (no
// trailer, or a trailer that does not count the rows), a malformed row or
// an unknown header fails with ErrLedger and the line number; nothing is
// half-loaded.
func ReadLedger(r io.Reader) (*Ledger, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLedger, err)
		}
		return nil, fmt.Errorf("%w: empty", ErrLedger)
	}
	name, ok := strings.CutPrefix(sc.Text(), ledgerMagic)
	if !ok {
		return nil, fmt.Errorf("%w: line 1: not a ledger", ErrLedger)
	}
	var p Platform
	for _, q := range []Platform{GoogleCustomerMatch, MetaCustomAudiences, YandexAudiences} {
		if q.String() == name {
			p = q
		}
	}
	if p == 0 {
		return nil, fmt.Errorf("%w: line 1: unknown platform %q", ErrLedger, name)
	}
	l := NewLedger(p)
	rows, ended := 0, false
	for line := 2; sc.Scan(); line++ {
		if ended {
			return nil, fmt.Errorf("%w: line %d: data after the trailer", ErrLedger, line)
		}
		if t, ok := strings.CutPrefix(sc.Text(), "end "); ok {
			if t != fmt.Sprint(rows) {
				return nil, fmt.Errorf("%w: line %d: trailer counts %s rows, read %d", ErrLedger, line, t, rows)
			}
			ended = true
			continue
		}
		rows++
		f := strings.Split(sc.Text(), ",")
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want 3 fields", ErrLedger, line)
		}
		pid, err := identity.ParseProfileID(f[0])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrLedger, line, err)
		}
		if (f[1] == "" && f[2] == "") || !digestOrEmpty(f[1]) || !digestOrEmpty(f[2]) {
			return nil, fmt.Errorf("%w: line %d: values must be hex digests", ErrLedger, line)
		}
		l.rows[Row{pid, f[1], f[2]}] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLedger, err)
	}
	if !ended {
		return nil, fmt.Errorf("%w: truncated (no trailer)", ErrLedger)
	}
	return l, nil
}

func digestOrEmpty(s string) bool {
	return s == "" || (isHex(s, 64) || isHex(s, 32)) && s == strings.ToLower(s)
}
