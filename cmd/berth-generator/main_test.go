package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// linked are the only non-standard packages the generator may link: the
// unit-file parser, the compiler, the generator, and what they read.
var linked = []string{
	"github.com/berth-dev/berth/cmd/berth-generator",
	"github.com/berth-dev/berth/internal/gencmd",     // flags, target version, run
	"github.com/berth-dev/berth/internal/generate",   // the generator
	"github.com/berth-dev/berth/internal/quadlet",    // the compiler
	"github.com/berth-dev/berth/internal/unitfile",   // the unit-file parser
	"github.com/berth-dev/berth/internal/diag",       // positions, warnings
	"github.com/berth-dev/berth/internal/version",    // podman versions
	"github.com/berth-dev/berth/internal/atomicfile", // the generator's writes
	"github.com/berth-dev/berth/internal/podman",     // podman's version, cached
	"golang.org/x/sys/unix",                          // atomicfile's system calls
}

// notLinked are standard packages it must not link, and why: each brings
// the C library's start-up (cgo) or a large init.
var notLinked = map[string]string{
	"runtime/cgo": "cgo: the dynamic loader and the C library's start-up at every run",
	"os/user":     "links cgo (read what is needed from the environment)",
	"net":         "links cgo for the resolver",
	"plugin":      "links cgo",
}

// TestLinksOnlyWhatItRuns: systemd runs the generator at every boot and
// daemon-reload; what it links, it initialises every time. No compose-go
// (its JSON-schema library compiles every meta-schema at init),
// OpenTelemetry, Prometheus client or cobra may creep in through a new
// import.
func TestLinksOnlyWhatItRuns(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if .Standard}}std {{end}}{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var extra []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if pkg, std := strings.CutPrefix(line, "std "); std {
			if why, bad := notLinked[pkg]; bad {
				t.Errorf("the generator links %s: %s", pkg, why)
			}
			continue
		}
		if !slices.Contains(linked, line) {
			extra = append(extra, line)
		}
	}
	if len(extra) > 0 {
		t.Errorf("the generator links %d packages it does not run (only the ones in linked may be): %s",
			len(extra), strings.Join(extra, " "))
	}
}

// TestNoRegexpCompiledAtInit: a package-level regexp.MustCompile runs at
// every start of the generator, used or not (~0.3 M instructions each; the
// whole start-up is ~1 M). berth's packages that the generator links
// compile theirs on first use (sync.OnceValue).
func TestNoRegexpCompiledAtInit(t *testing.T) {
	fset := token.NewFileSet()
	for _, pkg := range linked {
		rel, ok := strings.CutPrefix(pkg, "github.com/berth-dev/berth/")
		if !ok {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", "..", rel, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range file.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, spec := range gd.Specs {
					for _, v := range spec.(*ast.ValueSpec).Values {
						if call, ok := v.(*ast.CallExpr); ok && isRegexpCompile(call.Fun) {
							t.Errorf("%s: a package-level regexp is compiled at every generator start; compile it on first use (sync.OnceValue)", fset.Position(v.Pos()))
						}
					}
				}
			}
		}
	}
}

func isRegexpCompile(fun ast.Expr) bool {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile")
}

// maxInitAllocs bounds what berth's own packages allocate at start-up, all
// together (29 + 4 + 2 today: quadlet's few maps, podman's and generate's
// small tables): a key table rebuilt as code, a map or a pattern built at
// init shows here first.
const maxInitAllocs = 64

// TestInitIsCheap runs the generator with the runtime's init trace and
// adds up the allocations of berth's packages' initialisation.
func TestInitIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generator")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	bin := filepath.Join(t.TempDir(), "berth-generator")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "BERTH_PODMAN_VERSION=5.8.2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", bin, err, out)
	}
	total, lines := 0, []string{}
	for _, line := range strings.Split(string(out), "\n") {
		// init PKG @T ms, C ms clock, B bytes, N allocs
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/berth-dev/berth/") {
			continue
		}
		n, err := strconv.Atoi(f[len(f)-2])
		if err != nil {
			t.Fatalf("cannot read %q", line)
		}
		total += n
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		t.Fatalf("no init trace of berth's packages in:\n%s", out)
	}
	if total > maxInitAllocs {
		t.Errorf("berth's packages allocate %d times at start-up (at most %d): build tables as data and compile patterns on first use\n%s",
			total, maxInitAllocs, strings.Join(lines, "\n"))
	}
}
