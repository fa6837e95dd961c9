package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
)

// observeCommands are `berth observe add|remove` and `berth check metrics|traces`.
func (a *app) observeCommands() []*cobra.Command {
	return []*cobra.Command{a.newObserveCmd(), a.newCheckCmd()}
}

// observeOptions are the flags of berth observe add.
type observeOptions struct {
	collector  bool
	berthPort  int
	images     map[string]string // --image COMPONENT=REF
	without    []string          // --without COMPONENT
	dirArgs    []string
	removeMode bool
}

func (a *app) newObserveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "observe",
		Short: "Add Prometheus, Grafana and Jaeger to a stack, or take them out again",
		Long: "berth observe add writes quadlets for Prometheus, Grafana and Jaeger into the stack folder,\n" +
			"on the stack's network, with generated configuration in observe/: Prometheus scrapes every\n" +
			"service labelled io.berth.metrics=PORT/PATH by container name, and services labelled\n" +
			"io.berth.otel=true get OTEL_EXPORTER_OTLP_ENDPOINT through a drop-in. Run it again after\n" +
			"changing the stack. Files without the \"" + observe.Marker + "\" line are never touched.",
	}
	var o observeOptions
	add := &cobra.Command{
		Use:   "add [DIR]",
		Short: "Add the observability units and configuration to the stack in DIR (default: the current folder)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.dirArgs = args
			return a.runObserve(o)
		},
	}
	add.Flags().BoolVar(&o.collector, "collector", false, "put an OpenTelemetry collector in front of Jaeger (OTLP in, traces to Jaeger, metrics to Prometheus)")
	add.Flags().IntVar(&o.berthPort, "berth-metrics-port", observe.DefaultMetricsPort, "host `PORT` where berth serves its own metrics (berth up -d --metrics-addr)")
	comps := strings.Join(observe.ComponentNames(), ", ")
	add.Flags().StringToStringVar(&o.images, "image", nil, "use `COMPONENT=IMAGE` instead of the pinned image (a mirror, another tag); components: "+comps+
		"; an image for the collector also adds it (repeatable)")
	add.Flags().StringSliceVar(&o.without, "without", nil, "leave `COMPONENT` out ("+comps+"; repeatable or comma-separated)")
	remove := &cobra.Command{
		Use:   "remove [DIR]",
		Short: "Delete what berth observe add wrote (the volumes and their data are kept)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.runObserve(observeOptions{dirArgs: args, removeMode: true})
		},
	}
	cmd.AddCommand(add, remove)
	return cmd
}

// observeDir is DIR if given (relative to -C), else the work folder.
func (a *app) observeDir(args []string) (string, error) {
	wd, err := a.global.workDir()
	if err != nil || len(args) == 0 {
		return wd, err
	}
	if filepath.IsAbs(args[0]) {
		return args[0], nil
	}
	return filepath.Join(wd, args[0]), nil
}

func (a *app) runObserve(o observeOptions) error {
	dir, err := a.observeDir(o.dirArgs)
	if err != nil {
		return err
	}
	if o.removeMode {
		res, err := observe.Remove(dir)
		if err != nil {
			return err
		}
		a.printObserveResult(res)
		if len(res.Removed) == 0 {
			fmt.Fprintf(a.stdout, "nothing to remove: no file in %s carries the %q line\n", dir, observe.Marker)
		}
		if len(res.Volumes) > 0 {
			fmt.Fprintf(a.stdout, "kept the volumes and their data; to delete them: podman volume rm %s\n",
				strings.Join(res.Volumes, " "))
		}
		return nil
	}
	opts := observe.Options{Name: a.global.projectName(dir), Collector: o.collector, BerthMetricsPort: o.berthPort,
		Images: o.images, Without: map[string]bool{}}
	for _, c := range o.without {
		opts.Without[strings.TrimSpace(c)] = true
	}
	res, err := observe.Add(dir, opts)
	if err != nil {
		return err
	}
	if len(res.Diags) > 0 {
		printDiags(a.stderr, res.Diags, dir)
	}
	a.printObserveResult(res)
	st := res.Stack
	fmt.Fprintf(a.stdout, "network %s; %d service(s) scraped\n", st.Network, len(st.Scraped()))
	var urls []string
	for _, c := range []struct {
		comp, name string
		port       int
	}{{observe.CompPrometheus, "Prometheus", observe.PortPrometheus}, {observe.CompGrafana, "Grafana", observe.PortGrafana},
		{observe.CompJaeger, "Jaeger", observe.PortJaegerUI}} {
		if opts.Has(c.comp) {
			urls = append(urls, fmt.Sprintf("%s http://127.0.0.1:%d", c.name, c.port))
		}
	}
	if opts.Has(observe.CompJaeger) || opts.Has(observe.CompCollector) {
		urls = append(urls, fmt.Sprintf("OTLP 127.0.0.1:%d (gRPC) and :%d (HTTP)", observe.PortOTLPGRPC, observe.PortOTLPHTTP))
	}
	if len(urls) > 0 {
		fmt.Fprintln(a.stdout, strings.Join(urls, "  "))
	}
	fmt.Fprintln(a.stdout, "start them with `berth up -d`; Prometheus re-reads its targets by itself when you run this again")
	return nil
}

func (a *app) printObserveResult(res *observe.Result) {
	for _, p := range res.Written {
		fmt.Fprintf(a.stdout, "wrote   %s\n", p)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(a.stdout, "removed %s\n", p)
	}
	for _, p := range res.Kept {
		fmt.Fprintf(a.stdout, "kept    %s (yours: no marker)\n", p)
	}
}
