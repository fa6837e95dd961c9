package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
)

// convertOptions are the flags of `berth convert`; -p and --podman-version
// are global.
type convertOptions struct {
	composeFiles
	output        string // -o; "" prints the units
	pod           bool
	podmanQuadlet bool
	strict        bool
	keepEnv       bool // --keep-env-values
}

func (a *app) newConvertCmd() *cobra.Command {
	var o convertOptions
	cmd := &cobra.Command{
		Use:   "convert [-f compose.yaml...] [-o DIR]",
		Short: "Convert a compose project into quadlet files",
		Long: "convert loads compose files the way docker compose does (overrides, .env and\n" +
			"--env-file, interpolation, extends, include, profiles) and writes one quadlet\n" +
			"file per service, network, volume and build into -o DIR (or prints them), then\n" +
			"reports every compose key that was approximated or dropped, with its file:line\n" +
			"and what to do instead. The exit status is 1 only when something cannot be\n" +
			"expressed at all; --strict makes every approximation and drop an error.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return a.runConvert(o) },
	}
	o.composeFiles.add(cmd, "compose `FILE` (repeatable; later files override)")
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the quadlet files into `DIR` instead of printing them")
	f.BoolVar(&o.pod, "pod", false, "put every container in one .pod")
	f.BoolVar(&o.podmanQuadlet, "for-podman-quadlet", false,
		"only use keys the target podman's own quadlet generator knows (default: berth compiles the files, so only podman's flags limit them)")
	f.BoolVar(&o.strict, "strict", false, "fail when any compose key is approximated or dropped")
	f.BoolVar(&o.keepEnv, "keep-env-values", false,
		"write secret-looking environment values (TOKEN, PASSWORD, KEY, ...) into the units as Environment= instead of podman secrets")
	return cmd
}

func (a *app) runConvert(o convertOptions) error {
	base, err := a.global.workDir()
	if err != nil {
		return err
	}
	p, err := compose.Load(context.Background(), a.composeLoadOptions(base, o.composeFiles))
	if err != nil {
		return err
	}
	inline := ""
	if o.output != "" {
		inline = absUnder(base, o.output) // inline Dockerfiles are written beside the units
	}
	units, rep, convErr := compose.ToUnits(p, compose.Options{Target: a.target(context.Background()), Pod: o.pod, PodmanQuadlet: o.podmanQuadlet,
		KeepEnvValues: o.keepEnv, InlineDir: inline})
	printReport(a.stderr, rep, base)
	if err := rep.Err(o.strict); err != nil {
		first, _, _ := strings.Cut(err.Error(), ":\n") // the settings are listed above
		return errSilent{fmt.Errorf("nothing written: %s (listed above)", first)}
	} else if convErr != nil {
		return convErr
	}
	// What podman or systemd would refuse in the written units is an error
	// here too, at the compose key, as up, lint -f and kube export say it.
	if _, _, diags := checkConverted(p, units, a.target(context.Background())); diags.HasErrors() {
		printDiags(a.stderr, diags, base)
		return errSilent{fmt.Errorf("nothing written: the converted units have errors (listed above)")}
	} else if len(diags) > 0 {
		printDiags(a.stderr, diags, base)
	}
	if o.output == "" {
		for _, u := range units {
			fmt.Fprintf(a.stdout, "---%s---\n%s\n", u.Name, u.File.Format())
		}
		return nil
	}
	dir := absUnder(base, o.output)
	if err := compose.WriteFiles(rep.Files); err != nil {
		return err
	}
	if err := compose.WriteUnits(dir, units); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%s: wrote %s to %s\n", programName, plural(len(units), "quadlet file"), relTo(base, dir))
	return nil
}

// printReport prints the entries with paths relative to base, then the
// commands to run before starting the units.
func printReport(w io.Writer, rep compose.Report, base string) {
	var b strings.Builder
	for _, e := range rep.Entries {
		e.Pos.File = relTo(base, e.Pos.File)
		b.WriteString(e.String() + "\n")
	}
	if n := rep.Losses(); n > 0 {
		fmt.Fprintf(&b, "%s: %s not converted exactly\n", programName, plural(n, "compose setting"))
	}
	if len(rep.Commands) > 0 {
		b.WriteString("run once before starting the units:\n")
		for _, c := range rep.Commands {
			b.WriteString("  " + c + "\n")
		}
	}
	_, _ = io.WriteString(w, b.String())
}
