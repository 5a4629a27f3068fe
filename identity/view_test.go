package identity

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// shares is a Basis: collector → viewer for purpose.
type shares map[[3]string]bool

func (s shares) Shares(_ ProfileID, collector, viewer, purpose string, _ time.Time) bool {
	return s[[3]string{collector, viewer, purpose}]
}

// TestExplainFor: a company sees the chain of its own evidence, and
// another company's only under a basis naming it; with none, the
// identifiers are not joined for it, though the profile is one.
func TestExplainFor(t *testing.T) {
	g := mustGraph(t, nil)
	o := func(company string, ids ...string) {
		ob := at(0, "web_form", ids...)
		ob.Company = company
		mustObserve(t, g, ob)
	}
	o("North", "cookie:c1", "email:anna@mail.ru")
	o("South", "email:anna@mail.ru", "phone:+79161234567")
	o("", "cookie:c1", "crm:CRM-7")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cookie, email, phone, crm := MustParseID(Cookie, "c1"), MustParseID(Email, "anna@mail.ru"), MustParseID(Phone, "+79161234567"), MustParseID(CRM, "CRM-7")
	north := Viewer{Company: "North", Purpose: "service"}
	for _, c := range []struct {
		name  string
		v     Viewer
		basis Basis
		a, b  ID
		links int // -1: ErrNotJoined
	}{
		{"own evidence", north, nil, cookie, email, 1},
		{"unnamed evidence", north, nil, cookie, crm, 1},
		{"another company's, no basis", north, nil, cookie, phone, -1},
		{"another company's, under a basis", north, shares{{"South", "North", "service"}: true}, cookie, phone, 2},
		{"a basis for another purpose", north, shares{{"South", "North", "marketing"}: true}, cookie, phone, -1},
		{"the other company's view", Viewer{Company: "South", Purpose: "service"}, nil, cookie, email, -1},
		{"the other company's own", Viewer{Company: "South", Purpose: "service"}, nil, email, phone, 1},
	} {
		links, err := g.ExplainFor(c.a, c.b, c.v, c.basis, now)
		switch {
		case c.links < 0 && !errors.Is(err, ErrNotJoined):
			t.Errorf("%s: %v, %v; want ErrNotJoined", c.name, links, err)
		case c.links >= 0 && (err != nil || len(links) != c.links):
			t.Errorf("%s: %v, %v; want %d links", c.name, links, err, c.links)
		}
		for _, l := range links {
			if l.Company != "" && l.Company != c.v.Company && (c.basis == nil || !c.basis.Shares(ProfileID{}, l.Company, c.v.Company, c.v.Purpose, now)) {
				t.Errorf("%s: a link of %s shown to %s", c.name, l.Company, c.v.Company)
			}
		}
	}
	if all, err := g.Explain(cookie, phone); err != nil || len(all) != 2 {
		t.Fatalf("Explain without a view: %v, %v", all, err)
	}
}

// TestKeysFor: a company's view of a profile's identifiers holds those its
// own (or unnamed, or shared) observations carry, never one only another
// company collected.
func TestKeysFor(t *testing.T) {
	g := mustGraph(t, nil)
	for _, o := range []struct{ company, a, b string }{
		{"North", "cookie:c1", "email:anna@mail.ru"},
		{"South", "email:anna@mail.ru", "phone:+79161234567"},
	} {
		ob := at(0, "web_form", o.a, o.b)
		ob.Company = o.company
		mustObserve(t, g, ob)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p, _ := g.Resolve(Email, "anna@mail.ru")
	str := func(ids []ID) string {
		var out []string
		for _, id := range ids {
			out = append(out, id.String())
		}
		return strings.Join(out, " ")
	}
	north := Viewer{Company: "North", Purpose: "marketing"}
	if got := str(g.KeysFor(p, north, nil, now)); got != "email:anna@mail.ru cookie:c1" {
		t.Errorf("North sees %q", got)
	}
	if got := str(g.KeysFor(p, Viewer{Company: "South", Purpose: "marketing"}, nil, now)); got != "email:anna@mail.ru phone:+79161234567" {
		t.Errorf("South sees %q", got)
	}
	if got := str(g.KeysFor(p, north, shares{{"South", "North", "marketing"}: true}, now)); got != str(slices.Collect(g.Keys(p))) {
		t.Errorf("North under South's basis sees %q", got)
	}
	if g.KeysFor(ProfileID{}, north, nil, now) != nil {
		t.Error("a profile that does not exist has keys")
	}
}
