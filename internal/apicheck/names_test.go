package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// packages are the module's public packages.
var packages = []string{"identity", "journey", "channel", "segment", "attribution"}

// same lists the names defined in more than one package on purpose, each
// with the one meaning it has everywhere.
var same = map[string]string{
	"ErrClosed":        "one error value: journey and channel re-export identity's (journal's) closed error",
	"ErrLocked":        "one error value: a directory another store holds",
	"ErrNotPersistent": "a store made in memory, asked to persist",
	"LineError":        "one type (internal/lines.Error, aliased): a rejected input line with its number",
	"New":              "the constructor of the package's main type: New(…, *Options) (*T, error)",
	"Open":             "the constructor of a store kept in a directory (Open(ctx, dir, …, *Options))",
	"OpenBackend":      "the constructor of a store over a Backend, a log other processes may share (OpenBackend(ctx, b, …, *Options))",
	"Options":          "the options struct of the package's constructors",
	"Recovery":         "what Open found in the directory",
	"Stats":            "the store's size",
	"SyncMode":         "journey.SyncMode is identity.SyncMode (an alias)",
	"Touch":            "a marketing touch: journey's carries the whole context, attribution's the channel and time a path credits; journey.Touch.PathTouch converts",
}

// TestNamesDistinct fails when an exported name is defined in two of the
// public packages and is not in same.
func TestNamesDistinct(t *testing.T) {
	defined := map[string][]string{}
	for _, pkg := range packages {
		for name := range exported(t, filepath.Join("..", "..", pkg)) {
			defined[name] = append(defined[name], pkg)
		}
	}
	var names []string
	for name := range defined {
		names = append(names, name)
	}
	sort.Strings(names)
	for name := range same {
		if len(defined[name]) < 2 {
			t.Errorf("%s is in the list of shared names but only %v defines it: drop it from the list", name, defined[name])
		}
	}
	for _, name := range names {
		pkgs := defined[name]
		if len(pkgs) < 2 {
			continue
		}
		if _, ok := same[name]; !ok {
			t.Errorf("%s is defined in %s: give each its own name, or add it to the list with the one meaning it has", name, strings.Join(pkgs, " and "))
		}
	}
}

// exported returns the exported top-level names of the package in dir
// (tests aside).
func exported(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					out[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							out[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								out[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return out
}
