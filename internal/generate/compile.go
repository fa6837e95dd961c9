package generate

import (
	"runtime"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
)

// minUnitsToSplit is the number of units below which splitting the
// compilation is not worth it.
const minUnitsToSplit = 64

// CompileUnits returns what quadlet.Compile(units, opts) returns, with the
// diagnostics possibly in another order, compiling independent groups of
// units concurrently on up to workers goroutines (<= 0: one per CPU).
//
// A unit only ever affects another through a lookup of the other's file
// name, written in one of its values (Network=db.network,
// Requires=web.container, Pod=app.pod, source=data.volume ...). Units are
// grouped so that no unit names a unit of another group: each group then
// compiles exactly as it would among all units. Names that could hide in a
// value another way (a name with a separator character, or any backslash
// escape) make it compile everything at once.
func CompileUnits(units []*quadlet.Unit, opts quadlet.Options, workers int) *quadlet.Result {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || len(units) < minUnitsToSplit {
		return quadlet.Compile(units, opts)
	}
	groups := referenceGroups(units)
	if len(groups) < 2 {
		return quadlet.Compile(units, opts)
	}
	results := make([]*quadlet.Result, len(groups))
	bySize := make([]int, len(groups))
	for i := range bySize {
		bySize[i] = i
	}
	sort.SliceStable(bySize, func(a, b int) bool { return len(groups[bySize[a]]) > len(groups[bySize[b]]) })
	parallel(len(groups), workers, func(j int) {
		g := groups[bySize[j]]
		part := make([]*quadlet.Unit, len(g))
		for k, i := range g {
			part[k] = units[i]
		}
		results[bySize[j]] = quadlet.Compile(part, opts)
	})
	return mergeResults(units, groups, results)
}

// mergeResults joins the groups' results: services in input order,
// diagnostics group by group. Each group's services come in the order of its
// unit indexes (Compile keeps its input's order), so they are put in place
// by walking the group's indexes alongside.
func mergeResults(units []*quadlet.Unit, groups [][]int, results []*quadlet.Result) *quadlet.Result {
	at := make([]*quadlet.Service, len(units)) // by unit index
	out := &quadlet.Result{Infos: make(map[string]*quadlet.Info, len(units))}
	n := 0
	var extra []*quadlet.Service
	for gi, r := range results {
		g := groups[gi]
		k := 0
		for _, s := range r.Services {
			for k < len(g) && units[g[k]] != s.Source {
				k++
			}
			if k == len(g) { // not in order after all: look from the start
				for k = 0; k < len(g) && units[g[k]] != s.Source; k++ {
				}
			}
			if k < len(g) && at[g[k]] == nil {
				at[g[k]] = s
				n++
			} else {
				extra = append(extra, s) // not one of the group's units
			}
		}
		out.Diags = append(out.Diags, r.Diags...)
		for name, info := range r.Infos {
			out.Infos[name] = info
		}
	}
	out.Services = make([]*quadlet.Service, 0, n+len(extra))
	for _, s := range at {
		if s != nil {
			out.Services = append(out.Services, s)
		}
	}
	out.Services = append(out.Services, extra...)
	return out
}

// isNameSep reports the characters that end a name inside a value.
func isNameSep(c byte) bool { return nameSeps[c] }

// nameSeps is isNameSep's table: referenceGroups looks at every byte of
// every value of every unit.
var nameSeps = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r\v\f=,:\"'\\") {
		t[c] = true
	}
	return t
}()

// referenceGroups splits the unit indexes into groups closed under name
// references, each in input order, the groups ordered by their first unit.
// It returns a single group when a reference could escape the scan.
func referenceGroups(units []*quadlet.Unit) [][]int {
	all := func() [][]int {
		g := make([]int, len(units))
		for i := range g {
			g[i] = i
		}
		return [][]int{g}
	}
	names := make(map[string]int, len(units))
	for i, u := range units {
		if strings.IndexFunc(u.Name, func(r rune) bool { return r < 0x80 && isNameSep(byte(r)) }) >= 0 {
			return all()
		}
		names[u.Name] = i
	}
	parent := make([]int, len(units))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i, u := range units {
		for _, s := range u.File.Sections {
			for _, l := range s.Lines {
				if l.Comment {
					continue
				}
				if strings.IndexByte(l.Value, '\\') >= 0 {
					return all()
				}
				if strings.IndexByte(l.Value, '.') < 0 {
					continue // names have an extension: nothing to look up
				}
				forEachToken(l.Value, func(tok string) {
					// Every unit name has an extension: a token without
					// a dot needs no lookup.
					if strings.IndexByte(tok, '.') < 0 {
						return
					}
					if j, ok := names[tok]; ok {
						parent[find(i)] = find(j)
					}
				})
			}
		}
	}
	groupOf := map[int]int{}
	var groups [][]int
	for i := range units {
		r := find(i)
		g, ok := groupOf[r]
		if !ok {
			g = len(groups)
			groupOf[r] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// forEachToken calls fn with each maximal run of non-separator bytes of v.
func forEachToken(v string, fn func(string)) {
	start := -1
	for i := 0; i <= len(v); i++ {
		if i == len(v) || isNameSep(v[i]) {
			if start >= 0 {
				fn(v[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
}
