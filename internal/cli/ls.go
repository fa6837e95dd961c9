package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// lsOptions are the flags of `berth ls`.
type lsOptions struct {
	all    bool
	quiet  bool
	format string
}

func (a *app) newLsCmd() *cobra.Command {
	var o lsOptions
	cmd := &cobra.Command{
		Use:   "ls [-a] [-q] [--format table|json]",
		Short: "List the projects berth runs on this podman (from their containers' labels)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, args []string) error { return a.runLs(c.Context(), o) },
	}
	cmd.Flags().BoolVarP(&o.all, "all", "a", false, "also projects whose containers have all stopped")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print the project names only")
	cmd.Flags().StringVar(&o.format, "format", "table", "`FORMAT`: table or json")
	return cmd
}

// lsRow is one project of `berth ls`, docker compose ls's columns.
type lsRow struct {
	Name        string `json:"Name"`
	Status      string `json:"Status"`
	ConfigFiles string `json:"ConfigFiles"`
}

func (a *app) runLs(ctx context.Context, o lsOptions) error {
	out, err := podman.New().Output(ctx, "ps", "-a", "--format", "json", "--filter", "label="+run.LabelProject)
	if err != nil {
		return err
	}
	var rows []podman.PsEntry
	if err := json.Unmarshal(out, &rows); err != nil {
		return fmt.Errorf("podman ps: %w", err)
	}
	projects := lsProjects(rows, o.all)
	host := sd.HostFacts(os.Getuid() != 0)
	for i, r := range projects {
		st, err := run.Store{Dir: run.StateDir(r.Name, host.User, host.RuntimeDir)}.Load()
		if err != nil {
			continue
		}
		projects[i].ConfigFiles = strings.Join(st.ConfigFiles, ",")
		if projects[i].ConfigFiles == "" {
			projects[i].ConfigFiles = st.Dir
		}
	}
	switch {
	case o.quiet:
		for _, r := range projects {
			fmt.Fprintln(a.stdout, r.Name)
		}
		return nil
	case o.format == "json":
		return writeJSON(a.stdout, projects)
	case o.format != "table":
		return &usageError{err: fmt.Errorf("--format %q: want table or json", o.format)}
	}
	tw := newTable(a.stdout, "NAME", "STATUS", "CONFIG FILES")
	for _, r := range projects {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Status, r.ConfigFiles)
	}
	return tw.Flush()
}

// lsProjects groups containers by project: "running(2), exited(1)", as
// docker compose ls words it; projects with nothing running only with all.
func lsProjects(rows []podman.PsEntry, all bool) []lsRow {
	states := map[string]map[string]int{}
	for _, r := range rows {
		name := r.Labels[run.LabelProject]
		if states[name] == nil {
			states[name] = map[string]int{}
		}
		states[name][r.State]++
	}
	var out []lsRow
	for name, m := range states {
		if !all && m["running"] == 0 {
			continue
		}
		var parts []string
		for _, st := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, fmt.Sprintf("%s(%d)", st, m[st]))
		}
		out = append(out, lsRow{Name: name, Status: strings.Join(parts, ", ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
