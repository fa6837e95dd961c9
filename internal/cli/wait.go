package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

func (a *app) newWaitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "wait [SERVICE...]",
		Short: "Wait until services' containers stop; print each exit code; exit with the first one's",
		RunE:  func(c *cobra.Command, args []string) error { return a.runWait(args) },
	}
}

func (a *app) runWait(args []string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		units = p.Stack.Units
	}
	type exit struct {
		service string
		code    int
		err     error
	}
	exits := make(chan exit, len(units))
	n := 0
	for _, u := range units {
		if u.Kind != run.KindContainer || u.Resource == "" {
			continue
		}
		n++
		go func(u *run.Unit) {
			out, err := p.Podman.Output(ctx, "wait", u.Resource)
			code, cerr := strconv.Atoi(strings.TrimSpace(string(out)))
			if err == nil && cerr != nil {
				err = cerr
			}
			exits <- exit{u.Service, code, err}
		}(u)
	}
	first := -1
	for i := 0; i < n; i++ {
		e := <-exits
		if e.err != nil {
			if ctx.Err() != nil {
				return errSilent{ctx.Err()}
			}
			fmt.Fprintf(a.stderr, "%-14s %v\n", e.service, e.err)
			continue
		}
		fmt.Fprintf(a.stdout, "%s %d\n", e.service, e.code)
		if first < 0 {
			first = e.code
		}
	}
	return exitWith(max(first, 0))
}
