package generate

import (
	"io"
	"sync"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/quadlet"
)

// output is what the generator keeps of a compiled service once
// quadlet.CompileEach has handed it over: the compiler reuses the
// service's memory for the next unit, so the service is formatted (and
// written to a temporary file) at once, and only this is left of it.
type output struct {
	ok       bool
	shared   bool              // other units generate a service of the same name
	placed   bool              // it was put in place at once, else staged
	name     string            // the service's file name
	staged   atomicfile.Staged // the file written, to be put in place
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
	// order is the conversion order (unit indexes), in which the units
	// are compiled: take's k is a place in it.
	order []int
	// printer prints the services of a dry run.
	printer *printer
	// bufs is each goroutine's buffer: the text of the unit it writes,
	// reused.
	bufs [][]byte
}

func newOutputs(n, workers int, stage *atomicfile.Staging, argv0 string, opts quadlet.Options) *outputs {
	return &outputs{svcs: make([]output, n), stage: stage, header: Header(argv0), opts: opts, bufs: make([][]byte, workers)}
}

// take keeps what is needed of svc, the service of the unit at place k
// of the conversion order (nil: it did not compile), compiled on goroutine
// w (quadlet.CompileEach's emit).
func (out *outputs) take(w, k int, svc *quadlet.Service) {
	if svc == nil {
		if out.printer != nil {
			out.printer.skip(k)
		}
		return
	}
	i := out.order[k]
	o := &out.svcs[i]
	o.ok, o.shared, o.name = true, svc.Shared, svc.Name
	o.support = quadlet.SupportFor([]*quadlet.Service{svc}, out.opts)
	if out.printer != nil {
		out.printer.put(k, svc)
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

// printer prints a dry run's services the way podman's -dryrun does, in
// conversion order, as they are compiled: each service is formatted on the
// goroutine that compiled it, and printed once those before it in the
// order are, through one buffer written out whenever it holds 64 KiB.
// Keeping every text until all are compiled cost a megabyte (~250 page
// faults) per thousand units; the goroutines compile the units in order,
// so few texts wait, in buffers that are reused.
type printer struct {
	w     io.Writer
	mu    sync.Mutex
	next  int       // the place in the order printed next
	state []uint8   // by place: notYet, ready (texts holds it), nothing
	texts [][]byte  // by place: the formatted service, until printed
	moved sync.Cond // signalled when next moves on
	free  [][]byte  // printed texts' buffers
	buf   []byte
	err   error // the first error writing
}

const (
	notYet uint8 = iota
	ready
	nothing // no service: the unit did not compile or is of no type
)

// printFlushAt is how much the printer holds before it writes.
const printFlushAt = 64 << 10

// maxAhead is how far past the next unit to print a goroutine may format
// services: how many texts wait at most.
const maxAhead = 64

func newPrinter(w io.Writer, inOrder []*quadlet.Unit) *printer {
	p := &printer{w: w, state: make([]uint8, len(inOrder)), texts: make([][]byte, len(inOrder)),
		buf: make([]byte, 0, printFlushAt+8<<10)}
	p.moved.L = &p.mu
	for k, u := range inOrder {
		if quadlet.KindOf(u.Name) == nil {
			p.state[k] = nothing // never compiled (quadlet.CompileEach)
		}
	}
	return p
}

// put formats svc, the service at place k, and prints what is ready.
func (p *printer) put(k int, svc *quadlet.Service) {
	need := len(svc.Name) + 8 + svc.File.FormatSize()
	p.mu.Lock()
	// Far ahead of the printing (the goroutine with the next unit is off
	// the CPU: on a busy machine for several milliseconds), wait rather
	// than hold hundreds of texts. The next unit is always being converted
	// by a goroutine that does not wait: it is the lowest one not printed,
	// units are handed out in order, and each goroutine converts its
	// block's in order.
	for k-p.next > maxAhead {
		p.moved.Wait()
	}
	var b []byte
	if n := len(p.free); n > 0 {
		b, p.free = p.free[n-1][:0], p.free[:n-1]
	}
	p.mu.Unlock()
	if cap(b) < need {
		b = make([]byte, 0, need) // one allocation, not append's doublings
	}
	b = append(append(append(b, "---"...), svc.Name...), "---\n"...)
	b = append(svc.File.AppendFormat(b), '\n')
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts[k], p.state[k] = b, ready
	p.drain()
}

// skip records that the unit at place k has no service.
func (p *printer) skip(k int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[k] = nothing
	p.drain()
}

// drain prints, in order, what is ready from p.next on.
func (p *printer) drain() {
	if p.next < len(p.state) && p.state[p.next] != notYet {
		defer p.moved.Broadcast()
	}
	for ; p.next < len(p.state) && p.state[p.next] != notYet; p.next++ {
		if p.state[p.next] != ready {
			continue
		}
		t := p.texts[p.next]
		p.texts[p.next] = nil
		p.buf = append(p.buf, t...)
		p.free = append(p.free, t)
		if len(p.buf) >= printFlushAt {
			p.flush()
		}
	}
}

func (p *printer) flush() {
	if p.err == nil && len(p.buf) > 0 {
		_, p.err = p.w.Write(p.buf)
	}
	p.buf = p.buf[:0]
}

// finish prints what is left and returns the first error writing.
func (p *printer) finish() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drain()
	p.flush()
	return p.err
}
