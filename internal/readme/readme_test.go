package readme

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strings"
	"testing"
)

// surroundings declares, for each README snippet in order, the variables
// it uses without declaring: what the text around it calls "g: the
// identity graph" and the like.
var surroundings = []string{
	``,
	`var g *identity.Graph; var t time.Time; var crmRecord identity.Observation; var ctx context.Context`,
	`var f io.Reader; var ctx context.Context`,
	`var secret []byte; var p identity.ProfileID; var exp, now, at time.Time; var graph *identity.Graph
	var cookie, sid, ga, called, caller string; var numbers []string; var main string; var reacher *channel.Reacher`,
	`var definitionsJSON []byte; var store *journey.Store; var graph *identity.Graph; var reacher *channel.Reacher
	var crmFields func(identity.ProfileID) map[string]string; var ctx context.Context; var savedMemberships io.Reader
	var now time.Time; var event journey.Event; var idChange identity.Change; var w io.Writer`,
}

const imports = `import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

var _ = fmt.Sprint
var _ context.Context
var _ io.Reader
var _ time.Time
var _ attribution.Model
var _ channel.Arrival
var _ identity.ID
var _ journey.Event
var _ segment.Set
`

// unused matches the errors a snippet may leave: it shows a call's
// results without going on to use them all.
var unused = regexp.MustCompile(`declared and not used|imported and not used`)

// TestSnippetsCompile type-checks every Go snippet of README.md.
func TestSnippetsCompile(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(snippets) != len(surroundings) {
		t.Fatalf("README has %d Go snippets, the test knows the surroundings of %d: add or remove one in surroundings", len(snippets), len(surroundings))
	}
	var src strings.Builder
	src.WriteString("package snippets\n\n" + imports)
	for i, s := range snippets {
		fmt.Fprintf(&src, "\nfunc snippet%d() {\n%s\n// snippet %d\n%s}\n", i+1, surroundings[i], i+1, s[1])
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "snippets.go", src.String(), parser.ParseComments)
	if err != nil {
		t.Fatalf("a snippet does not parse: %v\n%s", err, src.String())
	}
	var errs []string
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil), Error: func(err error) {
		if !unused.MatchString(err.Error()) {
			errs = append(errs, err.Error())
		}
	}}
	conf.Check("snippets", fset, []*ast.File{f}, nil)
	for _, e := range errs {
		t.Error(e)
	}
	if len(errs) > 0 {
		t.Logf("the snippets as checked:\n%s", src.String())
	}
}

// TestDocFigures: the memory figures package docs quote are the README's
// (both come from scripts/figures.sh: BenchmarkBytesPerIdentifier and
// journey's ingest benchmark), so they cannot drift apart.
func TestDocFigures(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ doc, docRe, readmeRe string }{
		{"../../identity/doc.go", `about (\d+) bytes per\n// identifier`, `\| memory per identifier at 10\^6, evidence aside \| (\d+) bytes \|`},
		{"../../identity/doc.go", `about (\d+) bytes per observation`, `\| evidence per observation \(incl\. incidence lists\) \| (\d+) bytes \|`},
		{"../../journey/doc.go", `about (\d+) bytes per event`, `\| memory per stored event[^|]*\| about (\d+) bytes`},
	} {
		doc, err := os.ReadFile(c.doc)
		if err != nil {
			t.Fatal(err)
		}
		d := regexp.MustCompile(c.docRe).FindSubmatch(doc)
		r := regexp.MustCompile(c.readmeRe).FindSubmatch(readme)
		if d == nil || r == nil {
			t.Errorf("%s: figure not found (doc %q, README %q)", c.doc, c.docRe, c.readmeRe)
			continue
		}
		if string(d[1]) != string(r[1]) {
			t.Errorf("%s says %s bytes, the README %s", c.doc, d[1], r[1])
		}
	}
}
