package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
)

// checkOptions are the flags of berth check metrics and check traces.
type checkOptions struct {
	image      string
	json       bool
	timeout    time.Duration
	service    string
	prometheus string        // metrics: Prometheus's API; "" means the published one if observe add wrote it, "none" skips
	jaeger     string        // traces: Jaeger's query API
	since      time.Duration // traces: the window
}

func (a *app) newCheckCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "check", Short: "Check a running stack from the inside"}
	var o checkOptions
	metrics := &cobra.Command{
		Use:   "metrics [SERVICE]",
		Short: "Fetch every declared metrics endpoint (io.berth.metrics) from inside the stack's network",
		Args:  cobra.MaximumNArgs(1),
		RunE:  withService(&o, a.runCheckMetrics),
	}
	f := metrics.Flags()
	f.StringVar(&o.image, "image", "", "local `IMAGE` with an HTTP client to run in the network (default: "+observe.TestClientImage+", else "+observe.ImagePrometheus+")")
	f.BoolVar(&o.json, "json", false, "print the results as JSON")
	f.DurationVar(&o.timeout, "timeout", 15*time.Second, "time limit per endpoint")
	f.StringVar(&o.prometheus, "prometheus", "", "also ask Prometheus's HTTP API at `URL` whether each target is up (default "+
		observe.DefaultPrometheusURL+" when berth observe add wrote Prometheus; \"none\" skips it)")
	traces := &cobra.Command{
		Use:   "traces [SERVICE]",
		Short: "Ask Jaeger whether each service that declares tracing (io.berth.otel, OTEL_EXPORTER_OTLP_ENDPOINT) sent spans",
		Long: "berth check traces asks Jaeger's query API (/api/services, /api/traces) whether spans of each service\n" +
			"that declares tracing arrived in the last --since, and says what to fix when none did: the endpoint,\n" +
			"the network, the port and protocol, the service name.",
		Args: cobra.MaximumNArgs(1),
		RunE: withService(&o, a.runCheckTraces),
	}
	tf := traces.Flags()
	tf.StringVar(&o.jaeger, "jaeger", observe.DefaultJaegerURL, "Jaeger's query API at `URL`")
	tf.DurationVar(&o.since, "since", 10*time.Minute, "count spans younger than `DURATION`")
	tf.BoolVar(&o.json, "json", false, "print the results as JSON")
	cmd.AddCommand(metrics, traces)
	return cmd
}

// withService runs a check verb with o.service set from its optional
// SERVICE argument.
func withService(o *checkOptions, run func(*cobra.Command, checkOptions) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		if len(args) == 1 {
			o.service = args[0]
		}
		return run(c, *o)
	}
}

var errTracesMissing = errors.New("some services sent no spans")

func (a *app) runCheckTraces(c *cobra.Command, o checkOptions) error {
	st, err := a.observeStack()
	if err != nil {
		return err
	}
	checks, err := observe.CheckTraces(c.Context(), st, observe.HTTPGetter{}, observe.TraceOptions{
		Service: o.service, JaegerURL: o.jaeger, Since: o.since, Collector: st.Generated("otel-collector")})
	if err != nil {
		return err
	}
	return reportChecks(a, o.json, checks, errTracesMissing, func(w io.Writer) {
		tw := newTable(w, "SERVICE", "TRACE SERVICE", "SPANS", "TRACES", "LATEST", "ENDPOINT")
		for _, ch := range checks {
			latest := "-"
			if !ch.Latest.IsZero() {
				latest = ch.Latest.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", ch.Service, ch.TraceService, ch.Spans, ch.Traces, latest, ch.Endpoint)
		}
		_ = tw.Flush()
		for _, ch := range checks {
			if ch.Error != "" {
				fmt.Fprintf(w, "%s: %s\n", ch.Service, ch.Error)
			}
			for _, f := range ch.Fixes {
				fmt.Fprintf(w, "%s: no spans in the last %v: %s\n", ch.Service, o.since, f)
			}
		}
	})
}

// observeStack loads the folder's stack for the check verbs, with the
// network names berth up gives it.
func (a *app) observeStack() (*observe.Stack, error) {
	dir, err := a.global.workDir()
	if err != nil {
		return nil, err
	}
	st, err := observe.LoadStack(dir, a.global.projectName(dir))
	if err != nil {
		return nil, err
	}
	executorNetworks(st, a.global.projectName(dir))
	return st, nil
}

// reportChecks prints checks as JSON, or with table, and returns failed
// when any check is not OK: check metrics and check traces share it.
func reportChecks[T interface{ OK() bool }](a *app, asJSON bool, checks []T, failed error, table func(io.Writer)) error {
	if asJSON {
		if err := writeJSON(a.stdout, checks); err != nil {
			return err
		}
	} else {
		table(a.stdout)
	}
	for _, ch := range checks {
		if !ch.OK() {
			return failed
		}
	}
	return nil
}

var errChecksFailed = errors.New("some metrics endpoints did not answer with metrics, or Prometheus does not scrape them")

// promColumn is the PROMETHEUS column: up=1, down, or - when not asked.
func promColumn(ch observe.MetricsCheck) string {
	p := ch.Prometheus
	switch {
	case p == nil:
		return "-"
	case p.Error != "":
		return "no answer"
	case p.Up != nil:
		return fmt.Sprintf("up=%g", *p.Up)
	case p.Health != "":
		return p.Health
	}
	return "no target"
}

func (a *app) runCheckMetrics(c *cobra.Command, o checkOptions) error {
	st, err := a.observeStack()
	if err != nil {
		return err
	}
	prom := o.prometheus
	switch {
	case prom == "none":
		prom = ""
	case prom == "" && st.Generated("prometheus"):
		prom = observe.DefaultPrometheusURL
	}
	checks, err := observe.CheckMetrics(c.Context(), st, podman.ExecRunner{},
		observe.CheckOptions{Service: o.service, Image: o.image, Timeout: o.timeout, PrometheusURL: prom})
	if err != nil {
		return err
	}
	return reportChecks(a, o.json, checks, errChecksFailed, func(w io.Writer) {
		tw := newTable(w, "SERVICE", "URL", "STATUS", "FAMILIES", "SAMPLES", "PROMETHEUS", "ERROR")
		for _, ch := range checks {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", ch.Service, ch.URL, ch.Status, ch.Families, ch.Samples, promColumn(ch), ch.Error)
		}
		_ = tw.Flush()
		for _, ch := range checks {
			if ch.PromProblem != "" {
				fmt.Fprintf(w, "%s: Prometheus: %s\n", ch.Service, ch.PromProblem)
			}
		}
	})
}
