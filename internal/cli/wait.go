package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

func (a *app) newWaitCmd() *cobra.Command {
	return a.servicesCmd("wait [SERVICE...]", "Wait until services' containers stop; print each exit code; exit with the first one's", a.runWait)
}

func (a *app) runWait(ctx context.Context, p *run.Project, units []*run.Unit) error {
	units = containerUnits(p, units)
	type exit struct {
		service string
		code    int
		err     error
	}
	exits := make(chan exit, len(units))
	for _, u := range units {
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
	for range units {
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
