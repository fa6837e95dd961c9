package cli

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/doctor"
	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// doctorOptions are the flags of `berth doctor`.
type doctorOptions struct {
	json     bool
	user     bool
	hostOnly bool
}

func (a *app) newDoctorCmd() *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [SERVICE] [--json]",
		Short: "Check the host and the stack, and say how to fix what is wrong",
		Long: "doctor checks the host (podman and its version, a trial container from a local\n" +
			"image, cgroups, network backend and aardvark-dns, rootless prerequisites, systemd\n" +
			"and who generates the units, host.containers.internal) and the stack in the\n" +
			"current folder (or -C DIR): host ports already taken and by which process, and\n" +
			"for each service that is not running its compile error, container state, exit\n" +
			"code, last log lines, health-check log and the dependency that held it back.\n" +
			"Each check prints ok, warn, fail or skip and the exact fix. The exit status is\n" +
			"1 when a check fails.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.runDoctor(o, args) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the checks as JSON")
	cmd.Flags().BoolVar(&o.user, "user", false, "the stack runs under the user's systemd")
	cmd.Flags().BoolVar(&o.hostOnly, "host", false, "check the host only, not the stack")
	return cmd
}

func (a *app) runDoctor(o doctorOptions, args []string) error {
	opts := doctor.Options{User: o.user}
	if len(args) == 1 {
		opts.Service = args[0]
	}
	if !o.hostOnly {
		dir, err := a.global.workDir()
		if err != nil {
			return err
		}
		if matches, _ := filepath.Glob(filepath.Join(dir, "*.container")); len(matches) > 0 || opts.Service != "" {
			opts.Dirs = []string{dir}
		}
		opts.NamePrefix = executorPrefix(a.global.projectName(dir))
	}
	ctx, stop := a.signalContext(context.Background())
	defer stop()
	host := a.doctorHost
	if host == nil {
		host = doctor.OSHost{}
	}
	rep := doctor.Run(ctx, host, opts)
	var err error
	if o.json {
		err = rep.WriteJSON(a.stdout)
	} else {
		err = rep.WriteText(a.stdout)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		return generate.ErrFailed // reported above: exit 1 without another message
	}
	return nil
}

// executorPrefix is the container name prefix of a project berth's
// executor runs (it has a state file), else "" (podman's names, systemd).
func executorPrefix(project string) string {
	host := sd.HostFacts(os.Getuid() != 0)
	if _, err := os.Stat(filepath.Join(run.StateDir(project, host.User, host.RuntimeDir), "state.json")); err != nil {
		return ""
	}
	return run.NamePrefix(project)
}
