package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

// psOptions are the flags of `berth ps`.
type psOptions struct {
	json   bool
	format string // docker compose's --format: table, json or a Go template
	quiet  bool
}

func (a *app) newPsCmd() *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [--json]",
		Short: "Show the state, health, restarts and last exit code of each service",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, args []string) error { return a.runPs(o) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	cmd.Flags().StringVar(&o.format, "format", "table", "`FORMAT`: table, json, or a Go template over each container ({{.Name}}, {{.Service}}, {{.State}}, {{.Health}})")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print the container names only")
	var all bool
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also stopped containers (berth always lists every service)")
	return cmd
}

func (a *app) runPs(o psOptions) error {
	ctx := context.Background()
	rows, metrics, err := a.psRows(ctx)
	if err != nil {
		return err
	}
	switch {
	case o.quiet:
		o.format = "{{.Name}}"
	case o.format == "json":
		o.json = true
	}
	if o.format != "table" && !o.json {
		return a.psTemplate(rows, o.format)
	}
	if o.json {
		return writeJSON(a.stdout, rows)
	}
	tw := newTable(a.stdout, "SERVICE", "KIND", "STATE", "HEALTH", "RESTARTS", "LAST EXIT", "NAME")
	for _, r := range rows {
		last := "-"
		if r.LastExit != nil {
			last = strconv.Itoa(*r.LastExit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Service, r.Kind, r.State, orDash(r.Health), r.Restarts, last, r.Container)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if metrics != "" {
		fmt.Fprintf(a.stderr, "supervisor metrics: http://%s/metrics\n", metrics)
	}
	return nil
}

// psRows are systemd's states for an installed stack (with a pointer to
// `berth status` for more), else the executor's; metrics is the address
// the supervisor serves its metrics on.
func (a *app) psRows(ctx context.Context) (rows []run.ServiceStatus, metrics string, err error) {
	if st, ok, err := a.systemdStack(); err != nil {
		return nil, "", err
	} else if ok {
		fmt.Fprintf(a.stderr, "%s is installed under systemd (%s): `berth status` shows more\n", st.Manifest.Stack, st.Manifest.Scope)
		rows, err := systemdStatus(ctx, st)
		run.MaskStatus(nil, rows) // by name and URL: no stack's values here
		return rows, "", err
	}
	p, err := a.openProject(ctx, true)
	if err != nil {
		return nil, "", err
	}
	if resp, err := run.Ask(p.Store.SocketPath(), "status"); err == nil {
		metrics = resp.Metrics
	} else if o, err := p.Store.Owner(); err == nil && o.Stale() {
		a.warnStale(p, o, "`berth up -d` starts a new one")
	} else if err == nil && o.Alive {
		fmt.Fprintf(a.stderr, "%s: warning: %s does not answer on %s\n", programName, o, p.Store.SocketPath())
	}
	rows, err = status(ctx, p)
	run.MaskStatus(p.Podman.Mask, rows)
	return rows, metrics, err
}

// status merges what the supervisor knows (restarts, last exit, health it
// checked) with what podman and the state file say, one row per unit.
func status(ctx context.Context, p *run.Project) ([]run.ServiceStatus, error) {
	sup := map[string]run.ServiceStatus{}
	if resp, err := run.Ask(p.Store.SocketPath(), "status"); err == nil {
		for _, s := range resp.Services {
			sup[s.Unit] = s
		}
	}
	obs, st, err := p.Observe(ctx)
	if err != nil {
		return nil, err
	}
	var rows []run.ServiceStatus
	for _, u := range p.Stack.Units {
		r := run.ServiceStatus{Service: u.Service, Unit: u.Name, Kind: string(u.Kind), Container: u.Resource, State: "inactive"}
		if o, ok := obs[u.Name]; ok && o.Active {
			r.State = "active"
			if o.Hash != u.Hash {
				r.State = "active (changed: run up)"
			}
		}
		if s, ok := sup[u.Name]; ok {
			r.Restarts, r.LastExit, r.Health, r.PID = s.Restarts, s.LastExit, s.Health, s.PID
			if s.State != "running" {
				r.State = s.State
			} else if r.State == "inactive" && u.Kind == run.KindContainer {
				r.State = "exited" // it ended a moment ago; the supervisor has yet to see it
			}
		} else if us := st.Units[u.Name]; us != nil && us.Failed != "" && r.State == "inactive" {
			r.State = "failed"
		} else if us != nil && us.Wanted && r.State == "inactive" && u.Kind == run.KindContainer {
			r.State = "exited"
		}
		if u.Kind == run.KindContainer && r.Health == "" && r.State == "active" {
			if c, err := p.Podman.Inspect(ctx, u.Resource); err == nil && c != nil {
				r.Health = c.Health
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// psContainer is what a ps --format template sees of one container.
type psContainer struct {
	Name, Service, State, Health string
	Names                        string // docker's spelling of Name
	ExitCode                     int
}

// psTemplate prints each container of the stack with a Go template, as
// docker compose ps --format does.
func (a *app) psTemplate(rows []run.ServiceStatus, format string) error {
	tmpl, err := template.New("format").Parse(format)
	if err != nil {
		return &usageError{err: fmt.Errorf("--format: %w", err)}
	}
	for _, r := range rows {
		if r.Kind != string(run.KindContainer) || r.Container == "" || r.State == "inactive" {
			continue
		}
		c := psContainer{Name: r.Container, Names: r.Container, Service: r.Service, State: r.State, Health: r.Health}
		if r.LastExit != nil {
			c.ExitCode = *r.LastExit
		}
		if err := tmpl.Execute(a.stdout, c); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
	}
	return nil
}
