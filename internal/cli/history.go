package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/systemd"
)

// diff, history and rollback: the day-2 verbs of installed stacks. All go
// through run.InstallStack (observe → plan → apply), as install does.

type diffOptions struct{ scope scopeFlags }

func (a *app) newDiffCmd() *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff STACK [DIR]",
		Short: "Print what installing DIR over the installed STACK would do, and change nothing",
		Long: "diff plans an install of DIR (default: the folder STACK was installed from) against\n" +
			"the installed stack and what runs: one line per unit, add / change (the keys or files\n" +
			"that changed) / restart (because a unit it needs restarts) / remove / keep. It is\n" +
			"`berth install --dry-run DIR` for a named stack.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error { return a.runDiff(c.Context(), o, args) },
	}
	o.scope.add(cmd, "the stack of")
	return cmd
}

func (a *app) runDiff(ctx context.Context, o *diffOptions, args []string) error {
	m, layout, err := findInstalled(o.scope.scopes(), args[0])
	if err != nil {
		return err
	}
	dir := m.Source
	if len(args) > 1 {
		if dir, err = filepath.Abs(args[1]); err != nil {
			return err
		}
	}
	in, err := a.installOptionsFor(ctx, m.Stack, dir, layout)
	if err != nil {
		return err
	}
	return a.apply(ctx, in, false, applyFlags{dryRun: true}, "", nil)
}

// installOptionsFor is what install would pass for the stack.
func (a *app) installOptionsFor(ctx context.Context, stack, dir string, layout systemd.Layout) (systemd.InstallOptions, error) {
	host := systemd.DetectHost(ctx, podman.New().BinaryVersion, layout)
	if a.global.explicit {
		host.Podman = a.global.target
	}
	exe, _ := os.Executable()
	if exe != "" {
		exe, _ = filepath.EvalSymlinks(exe)
	}
	gen, _ := generatorExecutable(exe)
	return systemd.InstallOptions{Source: dir, Stack: stack, Layout: layout, Manager: systemd.NewSystemctl(layout.Scope),
		Host: host, Berth: gen, Timeout: 5 * time.Minute, Log: a.stdout,
		Compile: a.compileInto(host, exe, layout.Scope == systemd.User)}, nil
}

type historyOptions struct {
	scope scopeFlags
	json  bool
}

func (a *app) newHistoryCmd() *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history STACK",
		Short: "List the installed stack's revisions: number, time, what the apply did",
		Args:  cobra.ExactArgs(1),
		RunE:  func(c *cobra.Command, args []string) error { return a.runHistory(o, args[0]) },
	}
	o.scope.add(cmd, "the stack of")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON: revision, time, summary, source, units, current")
	return cmd
}

func (a *app) runHistory(o *historyOptions, stack string) error {
	m, layout, err := findInstalled(o.scope.scopes(), stack)
	if err != nil {
		return err
	}
	revs, err := run.Revisions{Dir: layout.StateDir(m.Stack)}.List()
	if err != nil {
		return err
	}
	if o.json {
		type row struct {
			Revision int       `json:"revision"`
			Time     time.Time `json:"time"`
			Summary  string    `json:"summary"`
			Source   string    `json:"source"`
			Units    []string  `json:"units"`
			Current  bool      `json:"current"`
		}
		rows := []row{}
		for i, r := range revs {
			units := make([]string, 0, len(r.Units))
			for u := range r.Units {
				units = append(units, u)
			}
			sort.Strings(units)
			rows = append(rows, row{r.N, r.Time, r.Summary, r.Source, units, i == len(revs)-1})
		}
		return writeJSON(a.stdout, rows)
	}
	if len(revs) == 0 {
		fmt.Fprintf(a.stdout, "stack %s has no revisions yet (installed by an older berth); the next install records one\n", m.Stack)
		return nil
	}
	for i, r := range revs {
		mark := " "
		if i == len(revs)-1 {
			mark = "*"
		}
		fmt.Fprintf(a.stdout, "%s %3d  %s  %s  (%d units, from %s)\n", mark, r.N, r.Time.Local().Format("2006-01-02 15:04:05"),
			r.Summary, len(r.Units), r.Source)
	}
	return nil
}

type rollbackOptions struct {
	scope scopeFlags
	apply applyFlags
}

func (a *app) newRollbackCmd() *cobra.Command {
	o := &rollbackOptions{apply: applyFlags{noRollback: true}}
	cmd := &cobra.Command{
		Use:   "rollback STACK [REV]",
		Short: "Apply an earlier revision of the installed stack (default: the one before the current)",
		Long: "rollback installs the quadlet files and drop-ins of revision REV (berth history lists\n" +
			"them) through the same plan as install: units that differ are restarted, dropped ones\n" +
			"stopped, the rest left running. It records a new revision. Files the units read\n" +
			"(environment files, bind mounts) are the user's and are not rolled back.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error { return a.runRollback(c.Context(), o, args) },
	}
	o.scope.add(cmd, "the stack of")
	o.apply.add(cmd)
	return cmd
}

func (a *app) runRollback(ctx context.Context, o *rollbackOptions, args []string) error {
	ctx, stop := a.signalContext(ctx)
	defer stop()
	m, layout, err := findInstalled(o.scope.scopes(), args[0])
	if err != nil {
		return err
	}
	store := run.Revisions{Dir: layout.StateDir(m.Stack)}
	revs, err := store.List()
	if err != nil {
		return err
	}
	var to *run.Revision
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return &usageError{err: fmt.Errorf("revision %q is not a number (berth history %s lists them)", args[1], m.Stack)}
		}
		if to, err = store.Load(n); err != nil {
			return err
		}
	} else if len(revs) >= 2 {
		to = revs[len(revs)-2]
	} else {
		return fmt.Errorf("stack %s has no earlier revision to roll back to (berth history %s)", m.Stack, m.Stack)
	}
	in, err := a.installOptionsFor(ctx, m.Stack, store.Files(to.N), layout)
	if err != nil {
		return err
	}
	in.Origin = to.Source
	return a.apply(ctx, in, false, o.apply, fmt.Sprintf("rollback to revision %d", to.N), to)
}
