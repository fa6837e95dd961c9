package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/kube"
	"github.com/berth-dev/berth/internal/quadlet"
)

// kubeExportOptions are the flags of `berth kube export`.
type kubeExportOptions struct {
	composeFiles
	output       string // -o DIR, or - (default) for stdout
	namespace    string
	target       string // --for
	serviceType  string
	volumeSize   string
	waitImage    string
	strict       bool
	secretValues bool
}

func (a *app) newKubeCmd() *cobra.Command {
	kube := &cobra.Command{
		Use:   "kube",
		Short: "Kubernetes manifests from a stack",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageErr(c, fmt.Errorf("kube needs a subcommand: export"))
		},
	}
	kube.AddCommand(a.newKubeExportCmd())
	return kube
}

func (a *app) newKubeExportCmd() *cobra.Command {
	var o kubeExportOptions
	cmd := &cobra.Command{
		Use:   "export [DIR | -f compose.yaml] [-o DIR | -]",
		Short: "Write Kubernetes manifests for a quadlet or compose stack",
		Long: "export turns a stack — the quadlet files of DIR, or a compose project — into\n" +
			"Kubernetes manifests: a Deployment (StatefulSet, Job) per container or pod,\n" +
			"Services for the names containers were reached by, claims for volumes,\n" +
			"ConfigMaps for env files and mounted files, Secret references, probes from\n" +
			"health checks and init containers that wait for dependencies. Every setting\n" +
			"it cannot carry over exactly is reported at its file:line (for a compose\n" +
			"project: the compose file's line, column and key); --strict fails on any,\n" +
			"the compose conversion's included. berth never talks to a cluster: apply\n" +
			"the output with kubectl, or with --for podman play it with `podman kube play`.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.runKubeExport(c.Context(), o, args) },
	}
	o.composeFiles.add(cmd, "export the compose project of `FILE` (repeatable)")
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "-", "write the manifests into `DIR` (one file), or - for standard output")
	f.StringVarP(&o.namespace, "namespace", "n", "", "put every object in `NAMESPACE` (and create it)")
	f.StringVar(&o.target, "for", "kubernetes", "what plays the manifests: kubernetes, or podman (podman kube play)")
	f.StringVar(&o.serviceType, "service-type", "ClusterIP", "type of the Services: ClusterIP, NodePort or LoadBalancer")
	f.StringVar(&o.volumeSize, "volume-size", "1Gi", "size of a claim whose volume has no "+kube.LabelSize+" label")
	f.StringVar(&o.waitImage, "wait-image", kube.DefaultWaitImage, "`IMAGE` (with sh and nc) of the init containers that wait for dependencies")
	f.BoolVar(&o.strict, "strict", false, "fail when any setting is approximated or dropped")
	f.BoolVar(&o.secretValues, "include-secret-values", false, "write Secret objects with their values (default: reference them only)")
	return cmd
}

func (a *app) runKubeExport(ctx context.Context, o kubeExportOptions, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	opts, err := o.exportOptions()
	if err != nil {
		return err
	}
	base, err := a.global.workDir()
	if err != nil {
		return err
	}
	dir := base
	if len(args) == 1 {
		dir = absUnder(base, args[0])
	}
	st, err := a.kubeInput(ctx, o, dir)
	if err != nil {
		return err
	}
	opts.Project, opts.Dir, opts.SecretValue, opts.Podman = st.project, dir, st.values, a.target(ctx)
	if st.compose != nil { // report lines name services and compose keys
		opts.Compose = true
		opts.Names = func(unit string) string { return st.compose.SourceOf(unit, "", "", 0, 0).Owner }
	}
	res, err := kube.Export(st.units, opts)
	if err != nil {
		return err
	}
	if st.compose != nil { // each line at the compose key it came from, not the generated unit's
		res.Report.Losses = composeLosses(st.compose, st.texts, res.Report.Losses)
		res.Report.Sort()
	}
	for _, l := range res.Report.Losses {
		l.Pos.File = relTo(base, l.Pos.File)
		fmt.Fprintf(a.stderr, "%s\n", l)
	}
	if n := res.Report.Count() + st.converted; o.strict && n > 0 { // the conversion's losses count too
		return errSilent{fmt.Errorf("nothing written: %d setting(s) not carried over exactly (--strict) (listed above)", n)}
	}
	out, err := kube.YAML(res.Objects)
	if err != nil {
		return err
	}
	return a.writeKube(o, base, st.project, out, res.Report.Commands)
}

func (o kubeExportOptions) exportOptions() (kube.Options, error) {
	opts := kube.Options{Namespace: o.namespace, VolumeSize: o.volumeSize, WaitImage: o.waitImage,
		IncludeSecretValues: o.secretValues}
	switch o.target {
	case "kubernetes", "podman":
		opts.For = kube.Target(o.target)
	default:
		return opts, fmt.Errorf("--for %s: want kubernetes or podman", o.target)
	}
	switch strings.ToLower(o.serviceType) {
	case "clusterip":
		opts.ServiceType = corev1.ServiceTypeClusterIP
	case "nodeport":
		opts.ServiceType = corev1.ServiceTypeNodePort
	case "loadbalancer":
		opts.ServiceType = corev1.ServiceTypeLoadBalancer
	default:
		return opts, fmt.Errorf("--service-type %s: want ClusterIP, NodePort or LoadBalancer", o.serviceType)
	}
	return opts, nil
}

// kubeStack is what kube export exports: quadlet units, and for a compose
// project the project and the converted units' text, to report each line
// at the compose key it came from.
type kubeStack struct {
	units   []*quadlet.Unit
	project string
	values  func(name string) ([]byte, error) // a secret's value, for --include-secret-values
	compose *compose.Project
	texts   map[string][]string // converted unit → its lines, as `berth convert` writes them
	// converted counts the compose settings the conversion to units
	// approximated or dropped: --strict fails on them as on the export's.
	converted int
}

// kubeInput loads the stack: the compose project of -f (or of a folder
// without quadlet files), converted to quadlet units as `berth convert`
// writes them, or the quadlet files of dir. Units with errors stop the
// export, with the same diagnostics every verb prints.
func (a *app) kubeInput(ctx context.Context, o kubeExportOptions, dir string) (*kubeStack, error) {
	isCompose := len(o.files) > 0
	if !isCompose {
		var err error
		if isCompose, err = composeFolder(dir); err != nil {
			return nil, err
		}
	}
	if isCompose {
		return a.kubeCompose(ctx, o, dir)
	}
	units, diags := quadlet.LoadParallel([]string{dir}, 0)
	res := quadlet.Compile(units, quadlet.Options{Target: a.target(ctx), Strict: true, HostFile: fileExists})
	diags = append(diags, res.Diags...)
	if len(units) == 0 && !diags.HasErrors() {
		diags.Add(diag.Diagnostic{Pos: diag.Pos{File: dir}, Severity: diag.Error, Code: "no-units",
			Message: "no quadlet files found", Hint: "quadlet files end in " + quadletExts})
	}
	if diags.HasErrors() {
		return nil, &diagsError{diags: diags, base: dir}
	}
	if len(diags) > 0 {
		printDiags(a.stderr, diags, dir)
	}
	values := func(name string) ([]byte, error) { return a.podmanSecretValue(ctx, name) }
	return &kubeStack{units: units, project: a.global.projectName(dir), values: values}, nil
}

// podmanSecretValue asks podman for a secret's value (podman >= 4.5 can
// show it); the value is never printed.
func (a *app) podmanSecretValue(ctx context.Context, name string) ([]byte, error) {
	client := a.podmanClient()
	out, err := client.Output(ctx, "secret", "inspect", "--showsecret", "--format", "{{.SecretData}}", name)
	if err != nil {
		return nil, fmt.Errorf("podman cannot show its value (podman 4.5 or newer can): create the Secret with the command below")
	}
	return []byte(strings.TrimSuffix(string(out), "\n")), nil
}

// writeKube writes the manifests to stdout or DIR/PROJECT.yaml (atomically)
// and says how to apply them.
func (a *app) writeKube(o kubeExportOptions, base, project string, out []byte, commands []string) error {
	path := "-"
	if o.output != "-" && o.output != "" {
		dir := absUnder(base, o.output)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path = filepath.Join(dir, project+".yaml")
		if err := atomicfile.Write(path, out, 0o644); err != nil {
			return err
		}
	} else if _, err := a.stdout.Write(out); err != nil {
		return err
	}
	if len(commands) > 0 {
		fmt.Fprintf(a.stderr, "run once before applying:\n")
		for _, c := range commands {
			fmt.Fprintf(a.stderr, "  %s\n", c)
		}
	}
	shown := relTo(base, path)
	if o.target == "podman" {
		fmt.Fprintf(a.stderr, "%s: play it with: podman kube play %s\n", programName, shown)
	} else {
		fmt.Fprintf(a.stderr, "%s: apply it with: kubectl apply -f %s\n", programName, shown)
	}
	return nil
}
