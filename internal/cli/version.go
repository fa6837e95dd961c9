package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/doctor"
	"github.com/berth-dev/berth/internal/version"
)

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print berth's version, the podman version it compiles for, and the host's podman, systemd and cgroup versions",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return a.runVersion() },
	}
}

func (a *app) runVersion() error {
	ctx := context.Background()
	_, err := fmt.Fprintf(a.stdout, "berth %s\npodman target: %s (newest known: %s)\n",
		buildVersion(), a.target(ctx), version.Latest)
	if err != nil || (a.probePodman == nil && a.doctorHost == nil) {
		return err // a test without a host to look at
	}
	_, err = fmt.Fprintf(a.stdout, "host: %s\n", a.hostVersions(ctx))
	return err
}

// hostVersions is "podman 5.8.6 (quadlet generator PATH), systemd 262
// (262.1-1), cgroup v2": what the installed podman, systemd and cgroup
// hierarchy are, whatever the target.
func (a *app) hostVersions(ctx context.Context) string {
	host := a.doctorHost
	if host == nil {
		host = doctor.OSHost{}
	}
	pv := "podman not found"
	if a.probePodman != nil {
		if v, err := a.probePodman(ctx); err == nil && !v.IsZero() {
			pv = "podman " + v.String()
		}
	}
	hv := doctor.DetectVersions(ctx, host)
	gen := "no quadlet generator: berth generates the units"
	if hv.Generator != "" {
		gen = "quadlet generator " + hv.Generator
	}
	return fmt.Sprintf("%s (%s), %s", pv, gen, hv)
}

// buildVersion is the module version, or the commit for a source build.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
