package internal

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/berth-dev/berth/"

// layer ranks berth's packages: a package imports only packages of a lower
// rank, so lower layers never depend on higher ones (the compiler on
// podman, systemd or the CLI; podman on systemd; anything on the CLI). A new
// package needs a rank here, which makes its place in the design a
// decision rather than an accident.
var layer = map[string]int{
	"internal/diag":                          0,
	"internal/version":                       0,
	"internal/atomicfile":                    0,
	"internal/testutil/golden":               0,
	"internal/testutil/benchdata":            0,
	"internal/testutil/benchdata/benchstack": 1,
	"internal/startup":                       0, // runs before the linked libraries' init
	"internal/unitfile":                      1,
	"internal/quadlet":                       2,
	"internal/podman":                        2,
	"internal/unitexec":                      2,
	"internal/compose":                       3,
	"internal/kube":                          3, // k8s.io/api types; reads quadlet units only
	"internal/generate":                      3,
	"internal/observe":                       3,
	"internal/systemd":                       3,
	"internal/lint":                          4, // lint -f compose converts with internal/compose
	"internal/gencmd":                        4, // the generator as a command (berth generate, cmd/berth-generator)
	"internal/run":                           4,
	"internal/doctor":                        5, // doctor runs lint's checks
	"internal/cli":                           6,
	"cmd/berth":                              7,
	"cmd/berth-generator":                    7, // links only what the generator runs (its own test)
}

// onlyImports lists, for the packages whose imports are closed, the only
// non-standard packages they may import: the unit-file syntax and the
// compiler are pure functions of their input, so that the generator runs
// them with nothing else on the machine.
var onlyImports = map[string][]string{
	"internal/unitfile": {"internal/diag"},
	"internal/quadlet":  {"internal/diag", "internal/unitfile", "internal/version"},
}

// mayExec are the packages that may start processes, and why. Everything
// else, podman included, goes through internal/podman's Runner so that
// tests can stub the machine.
var mayExec = map[string]string{
	"internal/podman":  "runs podman and the other programs of Exec lines",
	"internal/systemd": "runs systemctl and journalctl",
	"internal/cli":     "starts berth itself in the background for up -d",
}

// TestImportLayers checks the rules above on the non-test files of every
// package under internal/ and cmd/.
func TestImportLayers(t *testing.T) {
	pkgs := readImports(t, "..")
	for _, pkg := range slices.Sorted(maps.Keys(pkgs)) {
		rank, ok := layer[pkg]
		if !ok {
			t.Errorf("%s has no layer: add it to the layer table of internal/arch_test.go", pkg)
			continue
		}
		for _, imp := range pkgs[pkg] {
			own, isOwn := strings.CutPrefix(imp, module)
			switch {
			case imp == "os/exec" && mayExec[pkg] == "":
				t.Errorf("%s imports os/exec: run processes through internal/podman's Runner", pkg)
			case isOwn && layer[own] >= rank:
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers", pkg, rank, own, layer[own])
			}
			if allowed, closed := onlyImports[pkg]; closed && !isStdlib(imp) && !slices.Contains(allowed, own) {
				t.Errorf("%s imports %s; it may import only the standard library and %v", pkg, imp, allowed)
			}
		}
	}
}

// readImports returns the imports of the non-test Go files of each package
// folder under root's internal/ and cmd/, by module-relative folder.
func readImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			pkg := filepath.ToSlash(rel)
			for _, s := range f.Imports {
				imp, err := strconv.Unquote(s.Path.Value)
				if err != nil {
					return err
				}
				pkgs[pkg] = append(pkgs[pkg], imp)
			}
			if _, ok := pkgs[pkg]; !ok {
				pkgs[pkg] = nil
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(pkgs) < len(layer)/2 {
		t.Fatalf("found only %d packages: is the test running in internal/?", len(pkgs))
	}
	return pkgs
}

// isStdlib reports whether an import path is the standard library's: its
// first element has no dot.
func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
