package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/run"
)

// superviseOptions are the flags of the hidden `berth supervise`.
type superviseOptions struct {
	metricsAddr string
	statsEvery  time.Duration
}

func (a *app) newSuperviseCmd() *cobra.Command {
	var o superviseOptions
	cmd := &cobra.Command{
		Use:    "supervise",
		Short:  "Keep a stack's containers running (started by up -d)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(c *cobra.Command, args []string) error { return a.runSupervise(c.Context(), o) },
	}
	addMetricsFlag(cmd, &o.metricsAddr)
	addStatsFlag(cmd, &o.statsEvery)
	return cmd
}

// addStatsFlag adds --stats-interval, shared by up and supervise.
func addStatsFlag(c *cobra.Command, every *time.Duration) {
	c.Flags().DurationVar(every, "stats-interval", 0,
		"sample the containers' CPU and memory (podman stats) into the metrics every `DURATION` (default 10s; negative: never)")
}

// addMetricsFlag adds --metrics-addr, shared by up and supervise.
func addMetricsFlag(c *cobra.Command, addr *string) {
	c.Flags().StringVar(addr, "metrics-addr", observe.DefaultMetricsAddr,
		"serve the supervisor's Prometheus metrics on `ADDR` (\"off\": none); when the default port\n"+
			"is taken (another stack's supervisor) a free loopback port is used and `berth ps` shows it")
}

// runSupervise runs until `berth down` says quit or SIGTERM. It does not
// compile the folder: it restarts exactly the units `up` recorded.
func (a *app) runSupervise(parent context.Context, o superviseOptions) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, err := a.openProject(ctx, false)
	if err != nil {
		return err
	}
	p.Exec.Progress = nil
	release, prev, err := p.Store.Claim(os.Getpid(), false, run.RealClock{})
	if err != nil {
		return err
	}
	defer release()
	if prev.Stale() {
		fmt.Fprintf(a.stderr, "%s died without cleaning up; adopting the running containers\n", prev)
	}
	m := observe.NewMetrics(p.Stack.Project)
	m.Mask = p.Podman.Mask
	ctx, parent = observe.WithMasker(ctx, p.Podman.Mask), observe.WithMasker(parent, p.Podman.Mask)
	sup := &run.Supervisor{P: p, Clock: run.RealClock{}, Log: a.stderr, Metrics: m, StatsEvery: o.statsEvery}
	if l := a.metricsListener(o.metricsAddr); l != nil {
		sup.MetricsAddr = l.Addr().String()
		fmt.Fprintf(a.stderr, "metrics at http://%s/metrics\n", sup.MetricsAddr)
		go func() {
			if err := m.ServeListener(ctx, l); err != nil {
				fmt.Fprintf(a.stderr, "%s: warning: metrics: %v\n", programName, err)
			}
		}()
	}
	// The span joins the trace of the `up -d` that started this process
	// (TRACEPARENT) and covers adopting the containers; restarts later are
	// traces of their own.
	_, end := observe.StartCommand(parent, "supervise", p.Stack.Project)
	err = sup.Reload(ctx)
	end(err)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go sup.Run(ctx)
	return sup.Serve(ctx, p.Store.SocketPath(), stop)
}

// metricsListener binds the metrics address. Several stacks each have a
// supervisor, and only the first gets the default port: the others fall
// back to a free loopback port rather than serve nothing. An address the
// user chose that is taken is a warning, not a reason to leave the stack
// unsupervised.
func (a *app) metricsListener(addr string) net.Listener {
	if addr == "off" || addr == "" {
		return nil
	}
	l, err := observe.Listen(addr)
	if err == nil {
		return l
	}
	if addr == observe.DefaultMetricsAddr {
		if l, err2 := observe.Listen("127.0.0.1:0"); err2 == nil {
			fmt.Fprintf(a.stderr, "%s: warning: %v; serving metrics on %s instead\n", programName,
				errors.Unwrap(err), l.Addr())
			return l
		}
	}
	fmt.Fprintf(a.stderr, "%s: warning: %v; continuing without metrics\n", programName, err)
	return nil
}
