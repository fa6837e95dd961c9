package kube

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-dev/berth/internal/unitfile"
)

// networking carries over the names the container is reached by
// (NetworkAlias=), host networking, the hostname, DNS settings and extra
// hosts. Networks themselves have no counterpart: every pod can reach every
// Service of its namespace.
func (s *source) networking(w *workload, c *corev1.Container) {
	for _, l := range s.lines("Network") {
		s.cur = l
		for _, n := range strings.Fields(l.Value) {
			mode, opts, _ := strings.Cut(n, ":")
			for _, o := range strings.Split(opts, ",") {
				if alias, ok := strings.CutPrefix(o, "alias="); ok && alias != "" {
					w.addName(alias, s, "Network", l)
				}
			}
			switch {
			case mode == "host":
				w.spec.HostNetwork = true
			case mode == "none":
				s.loss("Network", Dropped, "a pod without a network has no counterpart", "")
			case strings.HasPrefix(mode, "container") || strings.HasPrefix(mode, "ns"):
				s.loss("Network", Dropped, "sharing another container's network: put both in one .pod", "")
			}
		}
	}
	for _, l := range s.lines("NetworkAlias") {
		s.cur = l
		for _, alias := range strings.Fields(l.Value) {
			w.addName(alias, s, "NetworkAlias", l)
		}
	}
	if v, ok := s.last("HostName"); ok && v != "" {
		if len(validation.IsDNS1123Label(v)) == 0 {
			w.spec.Hostname = v
		} else {
			s.loss("HostName", Dropped, v+" is not a DNS label, as a pod's hostname must be", "")
		}
	}
	s.dns(w)
	for _, l := range s.lines("AddHost") {
		s.cur = l
		host, ip, ok := strings.Cut(l.Value, ":")
		if !ok {
			s.loss("AddHost", Dropped, "AddHost="+l.Value+": want HOST:IP", "")
			continue
		}
		w.spec.HostAliases = append(w.spec.HostAliases, corev1.HostAlias{IP: ip, Hostnames: []string{host}})
	}
}

func (s *source) dns(w *workload) {
	var cfg corev1.PodDNSConfig
	for _, l := range s.lines("DNS") {
		s.cur = l
		cfg.Nameservers = append(cfg.Nameservers, strings.Fields(l.Value)...)
	}
	for _, l := range s.lines("DNSSearch") {
		s.cur = l
		cfg.Searches = append(cfg.Searches, strings.Fields(l.Value)...)
	}
	for _, l := range s.lines("DNSOption") {
		s.cur = l
		for _, o := range strings.Fields(l.Value) {
			name, val, hasVal := strings.Cut(o, ":")
			opt := corev1.PodDNSConfigOption{Name: name}
			if hasVal {
				opt.Value = &val
			}
			cfg.Options = append(cfg.Options, opt)
		}
	}
	if cfg.Nameservers == nil && cfg.Searches == nil && cfg.Options == nil {
		return
	}
	if cfg.Nameservers != nil {
		w.spec.DNSPolicy = corev1.DNSNone // only the given servers, as podman's --dns
		s.loss("DNS", Approximated, "the pod uses only these servers: Service names no longer resolve in it", "")
	}
	w.spec.DNSConfig = &cfg
}

// podLabels puts Label= and Annotation= on the pod template; berth's own
// labels steer the export and are not copied.
func (s *source) podLabels(w *workload) {
	for _, kv := range s.keyVals("Label") {
		if !kv.HasValue {
			kv.Value = ""
		}
		if strings.HasPrefix(kv.Key, "io.berth.kube.") {
			w.labels[kv.Key] = kv.Value // read by workloadKind
			continue
		}
		if kv.Key == "io.berth.metrics" {
			scrapeAnnotations(w, kv.Value)
		}
		if len(validation.IsQualifiedName(kv.Key)) != 0 { // an annotation needs a qualified name too
			s.lossFor("Label", kv.Key, Dropped, "label "+kv.Key+" is not a valid Kubernetes label or annotation name", "")
			continue
		}
		if len(validation.IsValidLabelValue(kv.Value)) == 0 {
			w.labels[kv.Key] = kv.Value
			continue
		}
		w.annotations[kv.Key] = kv.Value
		if !strings.HasPrefix(kv.Key, "io.berth.") {
			s.lossFor("Label", kv.Key, Approximated, "label "+kv.Key+"="+kv.Value+" is not a valid Kubernetes label: it is an annotation", "")
		}
	}
	for _, kv := range s.keyVals("Annotation") {
		if len(validation.IsQualifiedName(kv.Key)) != 0 {
			s.lossFor("Annotation", kv.Key, Dropped, "annotation "+kv.Key+" is not a valid Kubernetes annotation name", "")
			continue
		}
		w.annotations[kv.Key] = kv.Value
	}
}

// serviceSection reads the [Service] keys that have a counterpart:
// Restart= (the pod's restart policy) and the stop timeout.
func (s *source) serviceSection(w *workload) {
	if v, ok := lookup(s.f, "Service", "Restart"); ok {
		w.restart = v
	}
	stop, ok := s.last("StopTimeout")
	if !ok {
		stop, ok = lookup(s.f, "Service", "TimeoutStopSec")
	}
	if ok && stop != "" {
		n, err := seconds(stop)
		if err != nil {
			n64, err2 := strconv.ParseInt(stop, 10, 64)
			if err2 != nil {
				return
			}
			n = int32(n64)
		}
		grace := int64(n)
		w.spec.TerminationGracePeriodSeconds = &grace
	}
}

// unitDeps records the stack units this one waits for: those named by
// Requires=, BindsTo= or After= in [Unit].
func (s *source) unitDeps(w *workload) {
	seen := map[string]bool{}
	for _, key := range []string{"Requires", "BindsTo", "After"} {
		for _, l := range s.f.AllLines("Unit", key) {
			for _, name := range strings.Fields(l.Value) {
				s.unitDep(w, seen, key, name, l)
			}
		}
	}
}

// unitDep records one dependency named on line l.
func (s *source) unitDep(w *workload, seen map[string]bool, key, name string, l *unitfile.Line) {
	unit := name
	if stem, ok := strings.CutSuffix(name, ".service"); ok {
		unit = stem + ".container"
		if s.e.units[unit] == nil {
			unit = stem + ".pod"
		}
	}
	if seen[unit] || s.e.units[unit] == nil || !(strings.HasSuffix(unit, ".container") || strings.HasSuffix(unit, ".pod")) {
		return
	}
	seen[unit] = true
	w.deps = append(w.deps, dependency{from: s.u, on: unit, key: key, pos: l.Pos()})
}

// dependencies turns each workload's dependencies into init containers that
// wait until the dependency's Service accepts connections (a Service sends
// traffic only to ready pods, so this also waits for its health check).
func (e *exporter) dependencies() {
	for _, w := range e.workloads {
		done := map[string]bool{}
		for _, d := range w.deps {
			dep := e.byUnit[d.on]
			if dep == nil || dep == w || done[dep.name] {
				continue
			}
			done[dep.name] = true
			if len(dep.ports) == 0 || len(dep.dnsNames) == 0 {
				e.rep.add(Loss{Pos: d.pos, Unit: d.from.Name, Key: d.key, Severity: Dropped,
					Message: "waits for " + e.describe(d.on) + ", which publishes no port to wait on",
					Hint: e.say("declare ExposeHostPort= on "+d.on, "add expose: to "+e.describe(d.on)) +
						" so a Service can be made and waited for"})
				continue
			}
			host, p := serviceName(dep.dnsNames[0]), dep.ports[0].Port
			w.spec.InitContainers = append(w.spec.InitContainers, corev1.Container{
				Name:    objectName("wait-for-" + dep.name),
				Image:   e.opts.WaitImage,
				Command: []string{"sh", "-c", waitScript(host, p)},
			})
		}
	}
}

// waitScript waits with nc (busybox and most images), or with bash's
// /dev/tcp where the image has bash but no nc.
func waitScript(host string, port int32) string {
	p := strconv.Itoa(int(port))
	return "until nc -z -w 2 " + host + " " + p + " 2>/dev/null || bash -c 'exec 3<>/dev/tcp/" + host + "/" + p +
		"' 2>/dev/null; do echo waiting for " + host + ":" + p + "; sleep 2; done"
}

// scrapeAnnotations turns berth's io.berth.metrics=PORT/PATH label into the
// prometheus.io annotations that Prometheus's Kubernetes discovery
// configurations commonly read.
func scrapeAnnotations(w *workload, v string) {
	port, path, _ := strings.Cut(v, "/")
	if _, err := strconv.Atoi(port); err != nil {
		return
	}
	w.annotations["prometheus.io/scrape"] = "true"
	w.annotations["prometheus.io/port"] = port
	w.annotations["prometheus.io/path"] = "/" + path
}
