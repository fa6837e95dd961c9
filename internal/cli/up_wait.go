package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/run"
)

// waitReady is up --wait: every container the up started or kept must be
// running, and healthy when it has a health check (the supervisor runs the
// checks), or have exited 0 (a one-shot job), within timeout (0: none).
func (a *app) waitReady(ctx context.Context, p *run.Project, outs []*run.Outcome, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	pending := map[string]string{} // container -> service
	for _, o := range outs {
		if u := o.Step.Unit; u != nil && u.Kind == run.KindContainer && u.Resource != "" && o.Err == nil {
			pending[u.Resource] = u.Service
		}
	}
	for len(pending) > 0 {
		names := make([]string, 0, len(pending))
		for n := range pending {
			names = append(names, n)
		}
		sort.Strings(names)
		states, err := p.Podman.InspectMany(ctx, names...)
		if err != nil && ctx.Err() == nil {
			return err
		}
		for _, n := range names {
			c := states[n]
			switch {
			case c == nil:
			case !c.Running && c.Status == "exited" && c.ExitCode == 0:
				fmt.Fprintf(a.stderr, "%-14s exited (0)\n", pending[n])
				delete(pending, n)
			case !c.Running && c.Status == "exited":
				return fmt.Errorf("container %s exited (%d)", n, c.ExitCode)
			case c.Health == "unhealthy":
				return fmt.Errorf("container %s is unhealthy", n)
			case c.Running && (c.Health == "" || c.Health == "healthy"):
				state := "running"
				if c.Health != "" {
					state = "healthy"
				}
				fmt.Fprintf(a.stderr, "%-14s %s\n", pending[n], state)
				delete(pending, n)
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			left := make([]string, 0, len(pending))
			for n := range pending {
				left = append(left, pending[n])
			}
			sort.Strings(left)
			return fmt.Errorf("--wait: %s not ready after %s", strings.Join(left, ", "), timeout)
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil
}
