package quadlet

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// LoadParallel is Load for large search paths: it returns the same units,
// with the same drop-ins merged, and the same diagnostics in the same order,
// but parses files on several goroutines (workers; <= 0 means one per CPU),
// parses a drop-in shared by many units once, and looks for drop-in folders
// only where the folder listings show them instead of trying every
// candidate name.
func LoadParallel(dirs []string, workers int) ([]*Unit, diag.List) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	l := &loader{dirs: dirs, listings: make([]dirListing, len(dirs))}
	for i, dir := range dirs {
		l.listings[i] = listDir(dir)
	}
	units, diags := l.units(workers)
	diags = append(diags, l.dropins(units, workers)...)
	return units, diags
}

// dirListing is one search folder's entries, by name.
type dirListing struct {
	entries []os.DirEntry
	names   map[string]bool
	err     error // not ErrNotExist: the folder is there but unreadable
}

func listDir(dir string) dirListing {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		return dirListing{err: err}
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	return dirListing{entries: entries, names: names}
}

type loader struct {
	dirs     []string
	listings []dirListing
}

// entries is how many entries the folders list, every name counted.
func (l *loader) entries() int {
	n := 0
	for _, lst := range l.listings {
		n += len(lst.entries)
	}
	return n
}

type parsed struct {
	unit  *Unit
	diags diag.List
}

// units loads the quadlet files: the first readable file of each name wins.
// The first file of each name is parsed in parallel; the rare later ones
// (after a file that does not parse) are parsed in order.
func (l *loader) units(workers int) ([]*Unit, diag.List) {
	n := l.entries() // at most this many names (sized once: no growth)
	// Names are unique within a folder: with one folder listing anything
	// (the usual search path), no map of names is needed.
	listing := 0
	for _, lst := range l.listings {
		if len(lst.entries) > 0 {
			listing++
		}
	}
	var firstAt map[string]int // name -> index in first (several folders)
	if listing > 1 {
		firstAt = make(map[string]int, n)
	}
	first := make([]string, 0, n) // paths of the first file of each name
	regular := make([]bool, 0, n) // index in first -> the listing says a regular file
	firstDir := make([]int, 0, n) // index in first -> search folder
	for i, dir := range l.dirs {
		// filepath.Join cleans the whole path each time; for a clean
		// folder and a plain file name (a listing's) it is the same as
		// joining the strings.
		clean := filepath.Clean(dir) == dir && dir != "/" && dir != "."
		for _, e := range l.listings[i].entries {
			if !IsQuadlet(e.Name()) {
				continue
			}
			if firstAt != nil {
				if _, ok := firstAt[e.Name()]; ok {
					continue
				}
				firstAt[e.Name()] = len(first)
			}
			path := dir + string(filepath.Separator) + e.Name()
			if !clean {
				path = filepath.Join(dir, e.Name())
			}
			first = append(first, path)
			regular = append(regular, e.Type().IsRegular())
			firstDir = append(firstDir, i)
		}
	}
	results := make([]parsed, len(first))
	forEach(len(first), workers, func(i int) {
		u, ds := loadFileFast(first[i], regular[i])
		results[i] = parsed{u, ds}
	})
	units := make([]*Unit, 0, len(first))
	var diags diag.List
	var seen map[string]bool // several folders: the names loaded
	if firstAt != nil {
		seen = make(map[string]bool, len(first))
	}
	next := 0 // one folder: the index in first of its next quadlet
	for i, dir := range l.dirs {
		if err := l.listings[i].err; err != nil {
			diags.Errorf(diag.Pos{File: dir}, "unreadable", "cannot read directory: %v", err)
		}
		for _, e := range l.listings[i].entries {
			name := e.Name()
			if seen[name] || !IsQuadlet(name) {
				continue
			}
			var r parsed
			j, ok := next, firstAt == nil
			if firstAt == nil {
				next++
			} else {
				j, ok = firstAt[name]
			}
			if ok && firstDir[j] == i {
				r = results[j]
			} else {
				r.unit, r.diags = LoadFile(filepath.Join(dir, name))
			}
			diags = append(diags, r.diags...)
			if r.unit != nil {
				if seen != nil {
					seen[name] = true
				}
				units = append(units, r.unit)
			}
		}
	}
	return units, diags
}

// dropinDir is the result of reading one drop-in folder.
type dropinDir struct {
	names []string // *.conf files, in folder order
	err   error
}

// dropins merges every unit's drop-ins, as mergeDropins does.
func (l *loader) dropins(units []*Unit, workers int) diag.List {
	if !l.mayHaveDropins() {
		return nil // most hosts have no drop-in folder: no plan per unit
	}
	plans := make([]dropinPlan, len(units))
	dirCache := map[string]dropinDir{}
	for i, u := range units {
		plans[i] = l.plan(u, dirCache)
	}
	var files []string
	fileSet := map[string]bool{}
	for _, p := range plans {
		for _, f := range p.files {
			if !fileSet[f] {
				fileSet[f] = true
				files = append(files, f)
			}
		}
	}
	type parsedDropin struct {
		file  *unitfile.File
		diags diag.List
	}
	parsedFiles := make([]parsedDropin, len(files))
	forEach(len(files), workers, func(i int) {
		f, ds := parseFileFast(files[i])
		parsedFiles[i] = parsedDropin{f, ds}
	})
	index := make(map[string]int, len(files))
	for i, f := range files {
		index[f] = i
	}
	var diags diag.List
	for i, u := range units {
		diags = append(diags, plans[i].diags...)
		for _, f := range plans[i].files {
			pd := parsedFiles[index[f]]
			diags = append(diags, pd.diags...)
			if pd.file != nil && !pd.diags.HasErrors() {
				u.File.Merge(pd.file)
			}
		}
	}
	return diags
}

// mayHaveDropins reports whether any search folder lists a *.d entry, or
// could not be listed.
func (l *loader) mayHaveDropins() bool {
	for _, lst := range l.listings {
		if lst.err != nil {
			return true
		}
		for n := range lst.names {
			if strings.HasSuffix(n, ".d") {
				return true
			}
		}
	}
	return false
}

// dropinPlan is what mergeDropins would read for one unit.
type dropinPlan struct {
	files []string // chosen drop-in files, in merge order
	diags diag.List
}

func (l *loader) plan(u *Unit, cache map[string]dropinDir) dropinPlan {
	var plan dropinPlan
	chosen := map[string]string{}
	for _, dd := range DropinDirs(u.Name) {
		for i, dir := range l.dirs {
			lst := l.listings[i]
			if lst.err == nil && !lst.names[dd] {
				continue // the listing shows there is no such folder
			}
			p := filepath.Join(dir, dd)
			d, ok := cache[p]
			if !ok {
				d = readDropinDir(p)
				cache[p] = d
			}
			if d.err != nil {
				plan.diags.Errorf(diag.Pos{File: p}, "unreadable", "cannot read drop-in directory: %v", d.err)
				continue
			}
			for _, n := range d.names {
				if _, ok := chosen[n]; !ok {
					chosen[n] = filepath.Join(p, n)
				}
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		plan.files = append(plan.files, chosen[n])
	}
	return plan
}

func readDropinDir(p string) dropinDir {
	entries, err := os.ReadDir(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return dropinDir{}
		}
		return dropinDir{err: err}
	}
	var d dropinDir
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".conf" {
			d.names = append(d.names, e.Name())
		}
	}
	return d
}

// forEach calls fn(0..n-1) on up to workers goroutines.
func forEach(n, workers int, fn func(int)) {
	workers = min(workers, (n+minPerWorker-1)/minPerWorker)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// minPerWorker is the fewest files worth another goroutine: a handful of
// files read faster on one, since each further goroutine can make the
// runtime start an OS thread (a clone, its stack's page faults, wake-ups),
// which costs more than parsing several small files. Measured on the
// 5-file Colosseum stack: ~0.3 ms (10%) of the generator's run.
const minPerWorker = 16

// loadFileFast is LoadFile reading the file with fewer system calls.
// regular says the folder listing shows a regular file (no fstat needed).
func loadFileFast(path string, regular bool) (*Unit, diag.List) {
	abs := path // an absolute path from filepath.Join is clean already
	if !filepath.IsAbs(path) {
		var err error
		if abs, err = filepath.Abs(path); err != nil {
			return LoadFile(path)
		}
	}
	f, diags := parseFile(abs, regular)
	if f == nil || diags.HasErrors() {
		return nil, diags
	}
	return &Unit{Name: filepath.Base(abs), Path: abs, File: f}, diags
}

// parseFileFast is unitfile.ParseFile reading the file into a reused
// buffer: a few thousand small files are read per generator run.
func parseFileFast(path string) (*unitfile.File, diag.List) { return parseFile(path, false) }

func parseFile(path string, regular bool) (*unitfile.File, diag.List) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	read := unitfile.ReadFileInto
	if regular {
		read = unitfile.ReadRegularInto
	}
	data, diags := read(path, (*bp)[:0])
	if diags != nil {
		return nil, diags
	}
	*bp = data
	return unitfile.Parse(path, data) // Parse copies what it keeps
}

// readBufs are reusable read buffers: units are small, and a fresh buffer
// per file costs more in allocation and page faults than the reading.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}
