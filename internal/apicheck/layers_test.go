package apicheck

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/throughline/throughline/"

// allowed lists what each public package may import of the module, beside
// internal/: the layering of the product card.
var allowed = map[string][]string{
	"identity":    nil,
	"channel":     {"identity"},
	"journey":     {"identity", "channel", "attribution"},
	"segment":     {"identity", "channel", "journey"},
	"attribution": nil,
}

// TestLayering fails when a package imports (outside its tests) a package
// of the module its layer does not allow, or anything under examples/.
func TestLayering(t *testing.T) {
	for pkg, ok := range allowed {
		files, _ := filepath.Glob(filepath.Join("..", "..", pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				dep, inModule := strings.CutPrefix(path, module)
				if !inModule || strings.HasPrefix(dep, "internal/") {
					continue
				}
				top, _, _ := strings.Cut(dep, "/")
				if top == "examples" || !slices.Contains(ok, top) {
					t.Errorf("%s imports %s: the layering allows %v (and internal/)", f, path, ok)
				}
			}
		}
	}
}
