package generate

import (
	"io"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/quadlet"
)

// output is what the generator keeps of a compiled service once
// quadlet.CompileEach has handed it over: the compiler reuses the
// service's memory for the next unit, so the service is formatted (and
// written to a temporary file) at once, and only this is left of it.
type output struct {
	ok       bool
	name     string            // the service's file name
	text     []byte            // dry run: the unit's text
	staged   atomicfile.Staged // the file written, to be put in place, unless
	placed   bool              // it was put in place at once
	err      error             // writing it failed
	links    []Link            // the links its [Install] section asks for
	problems []string
	support  []quadlet.SupportUnit // the support units it needs
}

// outputs are the outputs of a run's units (by index), and what each
// compiling goroutine reuses from unit to unit.
type outputs struct {
	svcs  []output
	stage *atomicfile.Staging // nil in dry run
	// direct says a service that no other unit generates is put in place
	// at once (atomicfile.Staging.Put); others are staged and renamed in
	// conversion order, in which the last of them wins.
	direct bool
	header string // written units start with it (Header)
	opts   quadlet.Options
	// bufs is each goroutine's buffer: the text of the unit it writes,
	// reused; in dry run the block the texts of its units are appended
	// to, a new one when it is full (the texts stay where they are).
	bufs [][]byte
}

// textBlock is the size of the blocks dry-run texts are kept in.
const textBlock = 64 << 10

func newOutputs(n, workers int, stage *atomicfile.Staging, argv0 string, opts quadlet.Options) *outputs {
	return &outputs{svcs: make([]output, n), stage: stage, header: Header(argv0), opts: opts, bufs: make([][]byte, workers)}
}

// take keeps what is needed of svc, the service of unit i, compiled on
// goroutine w (quadlet.CompileEach's emit).
func (out *outputs) take(w, i int, svc *quadlet.Service) {
	o := &out.svcs[i]
	o.ok, o.name = true, svc.Name
	o.support = quadlet.SupportFor([]*quadlet.Service{svc}, out.opts)
	if out.stage == nil {
		b := out.bufs[w]
		if need := svc.File.FormatSize(); cap(b)-len(b) < need {
			b = make([]byte, 0, max(textBlock, need))
		}
		start := len(b)
		b = svc.File.AppendFormat(b)
		o.text = b[start:len(b):len(b)]
		out.bufs[w] = b
		return
	}
	o.links, o.problems = InstallLinks(svc)
	b := svc.File.AppendFormat(append(out.bufs[w][:0], out.header...))
	out.bufs[w] = b
	f := atomicfile.File{Name: svc.Name, Data: b, Perm: 0o644}
	if out.direct && !svc.Shared {
		o.err, o.placed = out.stage.Put(i, f), true
		return
	}
	o.staged, o.err = out.stage.Stage(i, f)
}

// commit puts the written services in place and returns each unit's
// error (by index). Of units generating the same service (collided) the
// last in done, the conversion order, is the one kept, as if they were
// written in order; each of them gets its error.
func (out *outputs) commit(done []int, collided bool) []error {
	var last map[string]int
	if collided {
		last = make(map[string]int, len(done))
		for _, i := range done {
			last[out.svcs[i].name] = i
		}
	}
	n := 0 // staged
	for _, i := range done {
		if !out.svcs[i].placed {
			n++
		}
	}
	names, staged, errs, kept := make([]string, 0, n), make([]atomicfile.Staged, 0, n), make([]error, 0, n), make([]int, 0, n)
	for _, i := range done {
		o := &out.svcs[i]
		if o.placed {
			continue
		}
		if collided && last[o.name] != i {
			out.stage.Discard(o.staged)
			continue
		}
		names, staged, errs, kept = append(names, o.name), append(staged, o.staged), append(errs, o.err), append(kept, i)
	}
	out.stage.Commit(names, staged, errs)
	byUnit := make([]error, len(out.svcs))
	for _, i := range done {
		if out.svcs[i].placed {
			byUnit[i] = out.svcs[i].err
		}
	}
	var byName map[string]error
	for j, i := range kept {
		byUnit[i] = errs[j]
		if errs[j] != nil && collided {
			if byName == nil {
				byName = map[string]error{}
			}
			byName[names[j]] = errs[j]
		}
	}
	for _, i := range done {
		if err, ok := byName[out.svcs[i].name]; ok {
			byUnit[i] = err
		}
	}
	return byUnit
}

// print writes the units of done the way podman's -dryrun prints them
// (DryRun), through one buffer written out whenever it holds 64 KiB.
func (out *outputs) print(w io.Writer, done []int) error {
	const flushAt = 64 << 10
	buf := make([]byte, 0, flushAt+8<<10)
	for _, i := range done {
		o := &out.svcs[i]
		buf = append(append(append(buf, "---"...), o.name...), "---\n"...)
		buf = append(append(buf, o.text...), '\n')
		if len(buf) >= flushAt {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
