package lint

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// corpusCase is one malformed stack: file name -> content.
type corpusCase struct {
	name  string
	files map[string]string
}

// invalidValues are written into every key of every table.
var invalidValues = []string{"", "'", `"unterminated`, "\\", "-1", "99999999999999999999", "%", "%h/x", "[", "::::",
	"a.container", "x.network:ip=1", "\x00\x01\xff", strings.Repeat("x", 70000), "yes no", "=", "${X}", "🙂"}

// corpus builds the malformed inputs: every key with every invalid value,
// truncations of the golden inputs and the examples, binary junk, huge
// lines, unterminated quotes, unknown groups.
func corpus(t *testing.T) []corpusCase {
	var cases []corpusCase
	for _, k := range quadlet.Kinds() {
		if k.Keys() == nil {
			continue
		}
		for i, val := range invalidValues {
			var b strings.Builder
			b.WriteString("[" + k.Group + "]\n")
			for _, key := range k.Keys().Names() {
				b.WriteString(key + "=" + val + "\n")
			}
			b.WriteString("[Unit]\nRequires=" + val + "\nAfter=x" + k.Ext + "\n[Service]\nTimeoutStartSec=" + val +
				"\nEnvironmentFile=" + val + "\n[Quadlet]\nDefaultDependencies=" + val + "\n")
			cases = append(cases, corpusCase{fmt.Sprintf("%s-value%d", k.Group, i), map[string]string{"x" + k.Ext: b.String()}})
		}
	}
	for i, src := range sources(t) {
		for _, cut := range []int{1, 7, len(src) / 3, len(src) / 2, len(src) - 1} {
			if cut > 0 && cut < len(src) {
				cases = append(cases, corpusCase{fmt.Sprintf("truncated%d-%d", i, cut), map[string]string{"t.container": src[:cut]}})
			}
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		junk := make([]byte, 1+rng.Intn(4096))
		rng.Read(junk)
		cases = append(cases, corpusCase{fmt.Sprintf("junk%d", i), map[string]string{"j.container": string(junk), "j.network": "[Network]\n" + string(junk)}})
	}
	cases = append(cases,
		corpusCase{"huge-line", map[string]string{"h.container": "[Container]\nImage=" + strings.Repeat("a", 1<<20) + "\nExec=" + strings.Repeat("\"", 100001)}},
		corpusCase{"huge-key", map[string]string{"h.container": "[Container]\n" + strings.Repeat("K", 1<<20) + "=1\n"}},
		corpusCase{"unterminated", map[string]string{"u.container": "[Container]\nImage=\"x\nExec=sh -c 'echo\nHealthCmd=[\"a\nEnvironment=\"A=1\nPublishPort=\"80"}},
		corpusCase{"unknown-groups", map[string]string{"g.container": "[Foo]\nA=1\n[Container\n[X-Ok]\nB=2\n[Pod]\nPodName=p\n[\x00]\n"}},
		corpusCase{"no-section", map[string]string{"n.volume": "Label=a\n\\\n"}},
		corpusCase{"continuations", map[string]string{"c.container": "[Container]\nImage=a \\\n# c\n b\\\n"}},
		corpusCase{"cycle-self", map[string]string{"s.container": "[Unit]\nAfter=s.container\n[Container]\nImage=s:1\nNetwork=s.container\n"}},
		corpusCase{"empty", map[string]string{"e.container": "", "e.pod": "\n\n", "e.kube": "[Kube]\n"}},
	)
	return cases
}

func sources(t *testing.T) []string {
	paths, _ := filepath.Glob("testdata/*/*.*")
	more, _ := filepath.Glob("../../examples/colosseum/*.*")
	var out []string
	for _, p := range append(paths, more...) {
		if strings.HasSuffix(p, ".txt") || strings.HasSuffix(p, ".md") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

// TestCorpus lints every malformed stack for several targets: nothing may
// panic (a rule that panics is reported as code "internal"), and every
// diagnostic must name one of the stack's files and a line.
func TestCorpus(t *testing.T) {
	cases := corpus(t)
	if len(cases) < 100 {
		t.Fatalf("corpus has %d cases, want at least 100", len(cases))
	}
	total := 0
	for i, c := range cases {
		dir := t.TempDir()
		for name, content := range c.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		target := []string{"4.3.1", "4.4.0", "5.0.0", ""}[i%4]
		var opts Options
		if target != "" {
			opts.Target = version.Must(target)
		}
		rep := Run([]string{dir}, opts)
		total += len(rep.Diagnostics)
		for _, d := range rep.Diagnostics {
			checkCorpusDiag(t, c, dir, d)
		}
		for _, f := range []string{"text", "json", "sarif"} {
			if err := rep.Write(discard{}, f); err != nil {
				t.Errorf("%s: %s output: %v", c.name, f, err)
			}
		}
	}
	t.Logf("%d malformed stacks, %d diagnostics, no panic", len(cases), total)
}

func checkCorpusDiag(t *testing.T, c corpusCase, dir string, d diag.Diagnostic) {
	t.Helper()
	if d.Code == "internal" {
		t.Errorf("%s: %s", c.name, d)
	}
	if _, ok := c.files[filepath.Base(d.Pos.File)]; !ok || filepath.Dir(d.Pos.File) != dir {
		t.Errorf("%s: diagnostic names no file of the stack: %s", c.name, short(d.String()))
	}
	if d.Pos.Line < 1 || d.Pos.Col < 1 {
		t.Errorf("%s: diagnostic has no line and column: %s", c.name, short(d.String()))
	}
	if d.Code == "" || d.Message == "" {
		t.Errorf("%s: diagnostic without code or message: %s", c.name, short(d.String()))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
