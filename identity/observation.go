package identity

import (
	"errors"
	"strings"
	"time"
)

// An Observation is one sighting of identifiers together: a form sent from a
// browser (email, phone, cookie), an app login (CRM number, device), a call
// matched to a web session (phone, cookie). Observations are the graph's
// evidence: every one is kept, so a merge can be explained and undone.
type Observation struct {
	Time   time.Time
	Source string // where it came from: "web_form", "call", "crm_import"
	Trust  Trust  // how far the source can be believed
	IDs    []ID   // raw values; the graph normalizes them
	// Company is the group company (the operator of personal data) that
	// collected the observation, and Site the site it came from; "" for a
	// host that is one company with one site. Explain reports them.
	Company, Site string
}

// originKey is how an observation's source, company and site are kept: the
// source alone when there is neither company nor site (the format before
// them), else the three joined by NUL, so journals and snapshots need no
// new field.
func originKey(source, company, site string) string {
	if company == "" && site == "" {
		return source
	}
	nul := func(s string) string { return strings.ReplaceAll(s, "\x00", "") } // a NUL in a name cannot split it
	return nul(source) + "\x00" + nul(company) + "\x00" + nul(site)
}

// splitOrigin undoes originKey.
func splitOrigin(key string) (source, company, site string) {
	source, rest, ok := strings.Cut(key, "\x00")
	if !ok {
		return key, "", ""
	}
	company, site, _ = strings.Cut(rest, "\x00")
	return source, company, site
}

// Trust grades evidence. The zero value, TrustDefault, lets the graph's
// policy pick the level from the source.
type Trust uint8

const (
	TrustDefault  Trust = iota
	TrustInferred       // matched by inference: a call-tracking match
	TrustAsserted       // claimed by the person: a form, a personal-link click
	TrustVerified       // proven: a login, a payment
)

func (t Trust) String() string {
	switch t {
	case TrustDefault:
		return "default"
	case TrustInferred:
		return "inferred"
	case TrustAsserted:
		return "asserted"
	case TrustVerified:
		return "verified"
	}
	return "Trust(" + string(rune('0'+t)) + ")"
}

// ParseTrust parses the names String returns.
func ParseTrust(s string) (Trust, error) {
	for t := TrustDefault; t <= TrustVerified; t++ {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, &ParseError{Kind: "trust", Input: s, Reason: "want inferred, asserted or verified", Err: ErrMalformed}
}

// A Prepared observation has been normalized and hashed by [Graph.Prepare],
// outside the graph's lock; [Graph.ObserveBatch] applies it.
type Prepared struct {
	g      *Graph
	time   int64
	source string
	trust  Trust
	ids    []preparedID
	// forgotten counts identifiers dropped because they were erased.
	forgotten int
}

type preparedID struct {
	kind  uint8
	value string
	hash  uint64
}

// Len reports how many identifiers survived normalization.
func (p Prepared) Len() int { return len(p.ids) }

var errForeignPrepared = errors.New("identity: Prepared by another graph")
