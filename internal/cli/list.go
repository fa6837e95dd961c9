package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/systemd"
)

type listOptions struct {
	scope scopeFlags
	json  bool
}

func (a *app) newListCmd() *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the installed stacks and the state of their services",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return a.runList(c.Context(), o) },
	}
	o.scope.add(cmd, "list")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func (a *app) runList(ctx context.Context, o *listOptions) error {
	all := []systemd.StackStatus{}
	for _, s := range o.scope.scopes() {
		l, err := systemd.HostLayout(s)
		if err != nil {
			continue
		}
		stacks, errs := systemd.List(ctx, l, systemd.NewSystemctl(s))
		for _, e := range errs {
			fmt.Fprintf(a.stderr, "%s: warning: %v\n", programName, e)
		}
		all = append(all, stacks...)
	}
	if o.json {
		return writeJSON(a.stdout, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(a.stdout, "no stacks installed (`berth install DIR` installs one)")
		return nil
	}
	return printStacks(a.stdout, all)
}

func printStacks(w io.Writer, stacks []systemd.StackStatus) error {
	tw := newTable(w, "STACK", "SCOPE", "SERVICE", "TYPE", "STATE", "SUB", "SOURCE")
	for _, s := range stacks {
		for _, u := range s.Units {
			state := orDash(u.ActiveState)
			if u.LoadState != "" && u.LoadState != "loaded" {
				state += " (" + u.LoadState + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Stack, s.Scope, u.Service, u.Type, state, orDash(u.SubState), u.Source)
		}
	}
	return tw.Flush()
}

type statusOptions struct {
	scope scopeFlags
	lines int
}

func (a *app) newStatusCmd() *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [STACK|SERVICE]",
		Short: "Show the systemd state of an installed stack or one of its services",
		Args:  cobra.MaximumNArgs(1),
		RunE:  func(c *cobra.Command, args []string) error { return a.runStatus(c.Context(), o, args) },
	}
	o.scope.add(cmd, "look in")
	cmd.Flags().IntVarP(&o.lines, "lines", "n", 5, "journal lines shown for each failed service")
	return cmd
}

func (a *app) runStatus(ctx context.Context, o *statusOptions, args []string) error {
	name, err := a.stackArg(args)
	if err != nil {
		return err
	}
	m, service, err := findStackOrService(o.scope.scopes(), name)
	if err != nil {
		return err
	}
	st := systemd.Open(m)
	var sel []string
	if service != "" {
		sel = []string{service}
	}
	sts, err := st.Status(ctx, sel...)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "stack %s (%s, %s)\n", m.Stack, m.Scope, m.Dir)
	tw := newTable(a.stdout, "SERVICE", "STATE", "SUB", "RESULT", "PID")
	failed := []string{}
	for _, s := range sts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", s.Name, s.ActiveState, s.SubState, orDash(s.Result), s.MainPID)
		if s.Failed() || s.Result != "" && s.Result != "success" {
			failed = append(failed, s.Name)
		}
	}
	tw.Flush()
	for _, f := range failed {
		fmt.Fprintf(a.stdout, "\n%s, last journal lines:\n", f)
		_ = st.Manager.Journal(ctx, systemd.JournalOptions{Units: []string{f}, Lines: o.lines}, a.stdout)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed", strings.Join(failed, ", "))
	}
	return nil
}

// findStackOrService finds an installed stack by name, else the stack
// that has a service of that name.
func findStackOrService(scopes []systemd.Scope, name string) (*systemd.Manifest, string, error) {
	if m, _, err := findInstalled(scopes, name); err == nil {
		return m, "", nil
	}
	for _, s := range scopes {
		l, err := systemd.HostLayout(s)
		if err != nil {
			continue
		}
		ms, _ := systemd.Manifests(l)
		for _, m := range ms {
			if sel, err := systemd.Open(m).Select(name); err == nil {
				return m, sel[0], nil
			}
		}
	}
	return nil, "", fmt.Errorf("no installed stack or service named %q; `berth list` shows what is installed", name)
}
