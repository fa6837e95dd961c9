package quadlet

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
)

func memUnit(t testing.TB, name, text string) *Unit {
	t.Helper()
	f, diags := unitfile.Parse("/units/"+name, []byte(text))
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags.Err())
	}
	return &Unit{Name: name, Path: "/units/" + name, File: f}
}

// crossReferencedUnits is a stack where units refer to each other in every
// way the compiler knows (images, builds, artifacts, networks, volumes,
// pods, other containers, dependencies), plus independent and broken units.
func crossReferencedUnits(t testing.TB) []*Unit {
	var units []*Unit
	add := func(name, text string) { units = append(units, memUnit(t, name, text)) }
	for i := 0; i < 5; i++ {
		add(fmt.Sprintf("n%d.network", i), fmt.Sprintf("[Network]\nSubnet=10.%d.0.0/24\n", i))
		add(fmt.Sprintf("v%d.volume", i), "[Volume]\n")
	}
	add("bad.network", "[Network]\nUnknownKey=1\n") // does not compile: no resource name
	add("i0.image", "[Image]\nImage=quay.io/a/i0\n")
	add("a0.artifact", "[Artifact]\nArtifact=quay.io/a/a0\n")
	add("b0.build", "[Build]\nImageTag=localhost/b0\nSetWorkingDirectory=/src\n")
	add("vi.volume", "[Volume]\nDriver=image\nImage=i0.image\n")
	add("t@.volume", "[Volume]\n")
	add("t@.container", "[Container]\nImage=quay.io/a/t\nVolume=t@.volume:/data\n")
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("p%d.pod", i), fmt.Sprintf("[Pod]\nNetwork=n%d.network\nVolume=v%d.volume:/p\n", i, i))
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
		if i%10 == 5 {
			b.WriteString("Mount=type=artifact,source=a0.artifact,destination=/a\n")
		}
		if i%7 == 0 && i > 0 {
			fmt.Fprintf(&b, "[Unit]\nRequires=c%d.container\n", i-1)
		}
		add(fmt.Sprintf("c%d.container", i), b.String())
	}
	add("reuse.container", "[Container]\nImage=quay.io/a/r\nNetwork=c2.container\n")
	add("dangling.container", "[Container]\nImage=quay.io/a/d\nNetwork=missing.network\n")
	add("badnet.container", "[Container]\nImage=quay.io/a/d\nNetwork=bad.network\n")
	add("noimage.container", "[Container]\nExec=true\n")
	add("odd.service", "[Service]\nType=simple\n") // no quadlet type: never converted
	for i := 0; i < 20; i++ {
		add(fmt.Sprintf("solo%d.container", i), "[Container]\nImage=quay.io/a/solo\n")
	}
	return units
}

// renderResult is the whole of a result as text: services in order, the
// diagnostics in order, then every unit's Info.
func renderResult(r *Result) string {
	var b strings.Builder
	for _, s := range r.Services {
		b.WriteString("--- " + s.Name + " from " + s.Source.Name + "\n" + s.File.Format())
	}
	b.WriteString("--- diagnostics\n")
	for _, d := range r.Diags {
		b.WriteString(d.String() + "\n")
	}
	names := make([]string, 0, len(r.Infos))
	for n, info := range r.Infos {
		names = append(names, fmt.Sprintf("%s %s %s %v", n, info.ServiceName, info.ResourceName, info.podStarts))
	}
	sort.Strings(names)
	b.WriteString("--- infos\n" + strings.Join(names, "\n") + "\n")
	return b.String()
}

// backwards converts each wave's units on one goroutine, last unit first:
// if a unit read what another unit of its wave writes, it would read it
// before the write here, and the result would differ from Compile's.
func backwards(n int, states []*convState, fn func(*convState, int)) {
	for i := n - 1; i >= 0; i-- {
		fn(states[0], i)
	}
}

func TestCompileParallelMatchesCompile(t *testing.T) {
	for _, opts := range []Options{{}, {User: true}, {Strict: true}} {
		want := renderResult(Compile(crossReferencedUnits(t), opts))
		if !strings.Contains(want, "cannot get the resource name of bad.network") {
			t.Fatalf("the fixture should have a container on a network that does not compile:\n%s", want)
		}
		for _, workers := range []int{1, 2, 7} {
			got := renderResult(CompileParallel(crossReferencedUnits(t), opts, workers))
			if got != want {
				t.Errorf("CompileParallel(workers=%d, %+v) differs from Compile:\n%s", workers, opts, firstDiff(want, got))
			}
		}
		if got := renderResult(compileWaves(crossReferencedUnits(t), opts, 1, backwards, nil)); got != want {
			t.Errorf("converting each wave backwards (%+v) differs from Compile:\n%s", opts, firstDiff(want, got))
		}
	}
}

// emitAll compiles units with CompileEach, which passes each service to
// emit and reuses its memory once emit returns, and renders the result as
// renderResult does, from the text each service had when emitted.
func emitAll(t *testing.T, units []*Unit, opts Options, workers int, each func(n int, states []*convState, fn func(*convState, int))) string {
	texts := make([]string, len(units))
	emitted := make([]bool, len(units))
	var mu sync.Mutex
	busy := map[int]bool{}
	res := compileWaves(units, opts, workers, each, func(w, i int, svc *Service) {
		mu.Lock()
		if busy[w] {
			t.Errorf("two emits with w=%d at once", w)
		}
		busy[w] = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			busy[w] = false
			mu.Unlock()
		}()
		if emitted[i] {
			t.Errorf("unit %d emitted twice", i)
		}
		emitted[i] = true
		if svc == nil {
			return
		}
		if svc.Source != units[i] {
			t.Errorf("emit(%d) got the service of %s, not %s", i, svc.Source.Name, units[i].Name)
		}
		texts[i] = "--- " + svc.Name + " from " + svc.Source.Name + "\n" + svc.File.Format()
	})
	for i, u := range units {
		if !emitted[i] && KindOf(u.Name) != nil {
			t.Errorf("%s was never emitted", u.Name)
		}
	}
	if len(res.Services) != 0 {
		t.Errorf("CompileEach returned %d services", len(res.Services))
	}
	res.Services = nil
	return strings.Join(texts, "") + renderResult(res)
}

func TestCompileEachMatchesCompile(t *testing.T) {
	for _, opts := range []Options{{}, {User: true}} {
		want := renderResult(Compile(crossReferencedUnits(t), opts))
		for _, workers := range []int{1, 2, 7} {
			if got := emitAll(t, crossReferencedUnits(t), opts, workers, eachBlock); got != want {
				t.Errorf("CompileEach(workers=%d, %+v) differs from Compile:\n%s", workers, opts, firstDiff(want, got))
			}
		}
		if got := emitAll(t, crossReferencedUnits(t), opts, 1, backwards); got != want {
			t.Errorf("CompileEach converting each wave backwards (%+v) differs from Compile:\n%s", opts, firstDiff(want, got))
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
