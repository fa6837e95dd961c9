package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
)

// configOptions are the flags of `berth config`, docker compose config's.
type configOptions struct {
	services, volumes, networks, profiles, images bool
	quiet                                         bool
	format                                        string
}

func (a *app) newConfigCmd() *cobra.Command {
	var o configOptions
	cmd := &cobra.Command{
		Use:   "config [--services|--volumes|--networks|--profiles|--images] [-q] [--format yaml|json]",
		Short: "Print the compose project's resolved model (merged files, interpolated, profiles applied)",
		Long: "config loads the compose project as every verb does (files, overrides, .env,\n" +
			"interpolation, extends, include, profiles) and prints the resolved model, or only\n" +
			"the names asked for. With -q it prints nothing and fails when the project does not\n" +
			"load or has settings berth cannot express.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error { return a.runConfig(c.Context(), o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.services, "services", false, "print the service names, one a line")
	f.BoolVar(&o.volumes, "volumes", false, "print the volume names, one a line")
	f.BoolVar(&o.networks, "networks", false, "print the network names, one a line")
	f.BoolVar(&o.profiles, "profiles", false, "print the profile names, one a line")
	f.BoolVar(&o.images, "images", false, "print the image names, one a line")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only validate")
	f.StringVar(&o.format, "format", "yaml", "output `FORMAT`: yaml or json")
	return cmd
}

func (a *app) runConfig(ctx context.Context, o configOptions) error {
	dir, err := a.global.workDir()
	if err != nil {
		return err
	}
	cp, err := a.loadCompose(ctx, dir)
	if err != nil {
		return err
	}
	if cp == nil {
		return errors.New("no compose file here (config shows a compose project; for quadlet files use berth compile)")
	}
	if o.quiet {
		// (an inline Dockerfile is fine: up writes it out)
		target := a.target(ctx)
		units, rep, err := compose.ToUnits(cp, compose.Options{Target: target, InlineDir: "/inline"})
		if err != nil {
			printReport(a.stderr, rep, dir) // the settings, listed once
			return errSilent{fmt.Errorf("%d compose setting(s) cannot be expressed as quadlets (listed above)", countErrors(rep))}
		}
		// and what podman would refuse of the converted units, at the compose keys
		if _, _, diags := checkConverted(cp, units, target); diags.HasErrors() {
			return &diagsError{diags: diags, base: dir}
		}
		return nil
	}
	var names []string
	switch {
	case o.services:
		names = cp.ServiceNames()
	case o.volumes:
		names = cp.VolumeNames()
	case o.networks:
		names = cp.NetworkNames()
	case o.profiles:
		names = allProfiles(cp)
	case o.images:
		for _, s := range cp.Services {
			if s.Image != "" {
				names = append(names, s.Image)
			} else {
				names = append(names, cp.Name+"-"+s.Name)
			}
		}
	default:
		return a.printModel(cp, o.format)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(a.stdout, n)
	}
	return nil
}

func (a *app) printModel(cp *compose.Project, format string) error {
	var b []byte
	var err error
	switch format {
	case "yaml":
		b, err = cp.MarshalYAML()
	case "json":
		b, err = cp.MarshalJSON()
	default:
		return &usageError{err: fmt.Errorf("--format %q: want yaml or json", format)}
	}
	if err != nil {
		return err
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	_, err = fmt.Fprint(a.stdout, s)
	return err
}

// allProfiles lists every profile a service of the project names, active
// or not.
func allProfiles(cp *compose.Project) []string {
	seen := map[string]bool{}
	for _, s := range cp.AllServices() {
		for _, p := range s.Profiles {
			seen[p] = true
		}
	}
	for _, s := range cp.DisabledServices {
		for _, p := range s.Profiles {
			seen[p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	return out
}
