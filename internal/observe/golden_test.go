package observe

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

// TestGolden runs Add on each testdata/golden/CASE/in and compares every file
// it writes, and its report, with CASE/out. CASE/options may say
// "collector" and "name=NAME".
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/golden/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) { goldenCase(t, dir) })
	}
}

func readOptions(t *testing.T, dir string) Options {
	opts := Options{Name: filepath.Base(dir)}
	data, err := os.ReadFile(filepath.Join(dir, "options"))
	if err != nil {
		return opts
	}
	for _, w := range strings.Fields(string(data)) {
		switch {
		case w == "collector":
			opts.Collector = true
		case strings.HasPrefix(w, "name="):
			opts.Name = strings.TrimPrefix(w, "name=")
		default:
			t.Fatalf("%s/options: unknown word %q", dir, w)
		}
	}
	return opts
}

func goldenCase(t *testing.T, dir string) {
	stack := filepath.Join(t.TempDir(), filepath.Base(dir))
	copyTree(t, filepath.Join(dir, "in"), stack)
	opts := readOptions(t, dir)
	res, err := Add(stack, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"report.txt": report(res, stack)}
	for _, rel := range res.Written {
		data, err := os.ReadFile(filepath.Join(stack, rel))
		if err != nil {
			t.Fatal(err)
		}
		got[rel] = string(data)
	}
	golden.CheckTree(t, filepath.Join(dir, "out"), got)
	compileAll(t, stack, opts)
	again, err := Add(stack, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Written)+len(again.Removed) != 0 {
		t.Errorf("a second Add changed files: wrote %v, removed %v", again.Written, again.Removed)
	}
	if _, err := Remove(stack); err != nil {
		t.Fatal(err)
	}
	if diff := treeDiff(readTree(t, filepath.Join(dir, "in")), readTree(t, stack)); diff != "" {
		t.Errorf("Remove did not restore the stack: %s", diff)
	}
}

// report is the golden text of a Result, paths relative to the stack.
func report(res *Result, stack string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "network: %s (%s) created=%v\n", res.Stack.Network, res.Stack.NetworkName, res.Stack.Created)
	for _, s := range res.Stack.Scraped() {
		fmt.Fprintf(&b, "scrape: %s %s\n", s.Unit, s.URL())
	}
	for _, p := range res.Kept {
		fmt.Fprintf(&b, "kept: %s\n", p)
	}
	fmt.Fprintf(&b, "volumes: %s\n", strings.Join(res.Volumes, " "))
	res.Diags.Sort()
	for _, d := range res.Diags {
		d.Pos.File = strings.TrimPrefix(d.Pos.File, stack+"/")
		fmt.Fprintf(&b, "%s\n", d)
	}
	return b.String()
}

// compileAll loads the stack with the generated files and compiles it: no
// errors are allowed.
func compileAll(t *testing.T, stack string, opts Options) {
	t.Helper()
	units, diags := quadlet.Load([]string{stack})
	if diags.HasErrors() {
		t.Fatalf("loading the stack with generated files: %v", diags)
	}
	res := quadlet.Compile(units, quadlet.Options{})
	if res.Diags.HasErrors() {
		t.Fatalf("generated quadlets do not compile: %v", res.Diags.Errors())
	}
	want := map[string]bool{opts.Name + "-prometheus.service": false, opts.Name + "-grafana.service": false, opts.Name + "-jaeger.service": false}
	for _, s := range res.Services {
		if _, ok := want[s.Name]; ok {
			want[s.Name] = true
		}
	}
	for n, ok := range want {
		if !ok {
			t.Errorf("%s was not compiled", n)
		}
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	for rel, text := range readTree(t, from) {
		if err := atomicfile.Write(filepath.Join(to, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
}

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func union(a, b map[string]string) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func treeDiff(want, got map[string]string) string {
	var diffs []string
	for _, k := range union(want, got) {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inW:
			diffs = append(diffs, "extra "+k)
		case !inG:
			diffs = append(diffs, "missing "+k)
		case w != g:
			diffs = append(diffs, "changed "+k)
		}
	}
	return strings.Join(diffs, ", ")
}
