package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a verb may take to return after SIGINT or SIGTERM
// cancelled its context, unless it is stopping services (cleaningUp).
const stopGrace = 5 * time.Second

// signalGate makes every berth command end promptly on SIGINT or SIGTERM.
// Verbs that do nothing on a signal keep the default: the signal ends the
// process at once. Verbs that clean up take their context from
// app.signalContext: the first signal cancels it; if the verb has not
// returned stopGrace later, berth exits (status 128+signal) — unless the verb
// is stopping services (app.cleaningUp), which has its own time limits. A
// second signal always exits at once. Whatever a verb blocks on (a read,
// a lock, a child that ignores its context), the command ends.
type signalGate struct {
	grace  time.Duration
	stderr io.Writer
	exit   func(code int)

	mu    sync.Mutex
	holds int // verbs cleaning up
}

func newSignalGate(stderr io.Writer) *signalGate {
	return &signalGate{grace: stopGrace, stderr: stderr, exit: os.Exit}
}

func (g *signalGate) busy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holds > 0
}

// signalContext returns a context cancelled by SIGINT or SIGTERM, with the
// gate's guarantee that the command then ends. Without a gate (tests that
// call app.run) it is signal.NotifyContext.
func (a *app) signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	g := a.signals
	if g == nil {
		return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	}
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go g.watch(ch, cancel, done)
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
}

func (g *signalGate) watch(ch <-chan os.Signal, cancel context.CancelFunc, done <-chan struct{}) {
	var first os.Signal
	var timer <-chan time.Time
	for {
		select {
		case <-done:
			return
		case s := <-ch:
			if first != nil {
				g.exitOn(s, "second "+sigName(s)+": exiting at once")
				return
			}
			first = s
			cancel()
			timer = time.After(g.grace)
		case <-timer:
			if g.busy() { // stopping services: wait for that, or a second signal
				timer = time.After(g.grace)
				continue
			}
			g.exitOn(first, fmt.Sprintf("still busy %s after %s: exiting", g.grace, sigName(first)))
			return
		}
	}
}

func (g *signalGate) exitOn(s os.Signal, why string) {
	fmt.Fprintf(g.stderr, "%s: %s\n", programName, why)
	code := 128 + int(syscall.SIGTERM)
	if s == os.Interrupt {
		code = 128 + int(syscall.SIGINT)
	}
	g.exit(code)
}

func sigName(s os.Signal) string {
	if s == os.Interrupt {
		return "SIGINT"
	}
	return "SIGTERM"
}

// cleaningUp marks the command as stopping services after a signal, which
// may take longer than stopGrace (each stop has its own timeout). It returns
// the function that ends the mark.
func (a *app) cleaningUp() func() {
	g := a.signals
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	g.holds++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.holds--
		g.mu.Unlock()
	}
}
