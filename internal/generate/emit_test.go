package generate

import (
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

// The printer prints services in their places' order, whatever order they
// come in and from however many goroutines, skipping units without a
// service and those of no type.
func TestPrinterKeepsOrder(t *testing.T) {
	const n = 400
	units := make([]*quadlet.Unit, n)
	var want strings.Builder
	svcs := make([]*quadlet.Service, n)
	for k := range units {
		units[k] = &quadlet.Unit{Name: fmt.Sprintf("u%d.container", k)}
		switch {
		case k%17 == 3:
			units[k].Name = fmt.Sprintf("u%d.txt", k) // no type: never put
			continue
		case k%13 == 5:
			continue // did not compile: skipped
		}
		f := unitfile.New("")
		// Long enough that the printer flushes several times.
		f.Add("Service", "ExecStart", strings.Repeat(fmt.Sprintf("word%d ", k), 60))
		svcs[k] = &quadlet.Service{Name: fmt.Sprintf("u%d.service", k), File: f}
		fmt.Fprintf(&want, "---%s---\n%s\n", svcs[k].Name, f.Format())
	}
	for _, workers := range []int{1, 3} {
		var out strings.Builder
		p := newPrinter(&out, units)
		// As quadlet.CompileEach hands units out: blocks of consecutive
		// places, in order; a goroutine converts its block's in order. The
		// goroutines yield at random, so services arrive out of order.
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rnd := rand.New(rand.NewSource(int64(w)))
				for {
					lo := int(next.Add(8)) - 8
					if lo >= n {
						return
					}
					for k := lo; k < min(lo+8, n); k++ {
						if rnd.Intn(4) == 0 {
							runtime.Gosched()
						}
						switch {
						case k%17 == 3:
						case svcs[k] == nil:
							p.skip(k)
						default:
							p.put(k, svcs[k])
						}
					}
				}
			}(w)
		}
		wg.Wait()
		if err := p.finish(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want.String() {
			t.Errorf("%d goroutines: printed %d bytes, want %d, or in another order", workers, out.Len(), want.Len())
		}
		if len(p.free) > maxAhead+workers {
			t.Errorf("%d goroutines: %d texts were held at once, want at most %d", workers, len(p.free), maxAhead+workers)
		}
	}
	fw := &failWriter{}
	p := newPrinter(fw, units)
	for k := range units {
		if svcs[k] != nil {
			p.put(k, svcs[k])
		} else if k%17 != 3 {
			p.skip(k)
		}
	}
	if err := p.finish(); err == nil || fw.n != 1 {
		t.Errorf("a failing writer: error %v after %d writes; want the first error, and no write after it", err, fw.n)
	}
}
