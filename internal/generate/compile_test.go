package generate

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

func memUnit(t testing.TB, name, text string) *quadlet.Unit {
	t.Helper()
	f, diags := unitfile.Parse("/units/"+name, []byte(text))
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags.Err())
	}
	return &quadlet.Unit{Name: name, Path: "/units/" + name, File: f}
}

// crossReferencedUnits is a stack where units refer to each other in every
// way the compiler knows, plus independent and broken units.
func crossReferencedUnits(t testing.TB) []*quadlet.Unit {
	var units []*quadlet.Unit
	add := func(name, text string) { units = append(units, memUnit(t, name, text)) }
	for i := 0; i < 5; i++ {
		add(fmt.Sprintf("n%d.network", i), fmt.Sprintf("[Network]\nSubnet=10.%d.0.0/24\n", i))
		add(fmt.Sprintf("v%d.volume", i), "[Volume]\n")
	}
	add("i0.image", "[Image]\nImage=quay.io/a/i0\n")
	add("b0.build", "[Build]\nImageTag=localhost/b0\nSetWorkingDirectory=/src\n")
	add("vi.volume", "[Volume]\nDriver=image\nImage=i0.image\n")
	add("t@.volume", "[Volume]\n")
	add("t@.container", "[Container]\nImage=quay.io/a/t\nVolume=t@.volume:/data\n")
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("p%d.pod", i), fmt.Sprintf("[Pod]\nNetwork=n%d.network\n", i))
	}
	add("k.kube", "[Kube]\nYaml=/k.yml\nNetwork=n4.network\n")
	for i := 0; i < 80; i++ {
		var b strings.Builder
		b.WriteString("[Container]\n")
		switch i % 4 {
		case 0:
			b.WriteString("Image=i0.image\n")
		case 1:
			b.WriteString("Image=b0.build\n")
		default:
			fmt.Fprintf(&b, "Image=quay.io/a/c%d\n", i)
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, "Pod=p%d.pod\n", i%3)
		} else {
			fmt.Fprintf(&b, "Network=n%d.network\n", i%5)
		}
		fmt.Fprintf(&b, "Volume=v%d.volume:/d\nMount=type=volume,source=v%d.volume,destination=/m\n", i%5, (i+1)%5)
		if i%7 == 0 && i > 0 {
			fmt.Fprintf(&b, "[Unit]\nRequires=c%d.container\n", i-1)
		}
		add(fmt.Sprintf("c%d.container", i), b.String())
	}
	add("reuse.container", "[Container]\nImage=quay.io/a/r\nNetwork=c2.container\n")
	add("dangling.container", "[Container]\nImage=quay.io/a/d\nNetwork=missing.network\n")
	add("noimage.container", "[Container]\nExec=true\n")
	for i := 0; i < 20; i++ {
		add(fmt.Sprintf("solo%d.container", i), "[Container]\nImage=quay.io/a/solo\n")
	}
	return units
}

func renderResult(r *quadlet.Result) string {
	var b strings.Builder
	for _, s := range r.Services {
		b.WriteString("--- " + s.Name + " from " + s.Source.Name + "\n" + s.File.Format())
	}
	var diags []string
	for _, d := range r.Diags {
		diags = append(diags, d.String())
	}
	sort.Strings(diags)
	b.WriteString("--- diagnostics\n" + strings.Join(diags, "\n") + "\n")
	return b.String()
}

func TestCompileUnitsMatchesCompile(t *testing.T) {
	for _, opts := range []quadlet.Options{{}, {User: true}} {
		want := renderResult(quadlet.Compile(crossReferencedUnits(t), opts))
		units := crossReferencedUnits(t)
		if groups := referenceGroups(units); len(groups) < 10 {
			t.Fatalf("the fixture should split into many groups, got %d", len(groups))
		}
		for _, workers := range []int{1, 2, 7} {
			got := renderResult(CompileUnits(crossReferencedUnits(t), opts, workers))
			if got != want {
				t.Errorf("CompileUnits(workers=%d, user=%v) differs from quadlet.Compile:\n%s", workers, opts.User, firstDiff(want, got))
			}
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n want %q\n  got %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

func TestReferenceGroups(t *testing.T) {
	tests := []struct {
		name  string
		units [][2]string
		want  [][]int
	}{
		{"independent", [][2]string{{"a.container", "[Container]\nImage=x\n"}, {"b.network", "[Network]\n"}},
			[][]int{{0}, {1}}},
		{"network and dependency", [][2]string{
			{"a.container", "[Container]\nNetwork=n.network:ip=10.0.0.2\n"}, {"b.container", "[Unit]\nAfter=\"c.container\"\n"},
			{"n.network", "[Network]\n"}, {"c.container", "[Container]\nImage=x\n"}, {"d.container", "[Container]\nImage=n.network.old\n"},
		}, [][]int{{0, 2}, {1, 3}, {4}}},
		{"comments do not count", [][2]string{{"a.container", "[Container]\n# Network=n.network\n"}, {"n.network", "[Network]\n"}},
			[][]int{{0}, {1}}},
		{"a backslash makes one group", [][2]string{{"a.container", "[Container]\nExec=a\\x20b\n"}, {"n.network", "[Network]\n"}},
			[][]int{{0, 1}}},
		{"a name with a separator makes one group", [][2]string{{"a:b.container", "[Container]\n"}, {"n.network", "[Network]\n"}},
			[][]int{{0, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var units []*quadlet.Unit
			for _, u := range tc.units {
				units = append(units, memUnit(t, u[0], u[1]))
			}
			if got := referenceGroups(units); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("referenceGroups = %v, want %v", got, tc.want)
			}
		})
	}
}
