// Package observe wires a stack to Prometheus, Grafana and Jaeger (berth
// observe add/remove), checks the metrics endpoints a stack declares (berth
// check metrics), and holds berth's own Prometheus metrics and OpenTelemetry
// traces.
//
// A service opts in with labels in its .container quadlet:
//
//	Label=io.berth.metrics=8000/metrics   scraped by Prometheus at NAME:8000/metrics
//	Label=io.berth.otel=true              gets OTEL_EXPORTER_OTLP_ENDPOINT (a drop-in)
package observe

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Labels services declare.
const (
	LabelMetrics = "io.berth.metrics" // PORT[/PATH], path defaulting to /metrics
	LabelOTel    = "io.berth.otel"    // true: inject OTEL_EXPORTER_OTLP_ENDPOINT
)

// Stack is what observe needs to know about a stack folder.
type Stack struct {
	Dir  string
	Name string // the project name; generated units are named NAME-prometheus...
	// Network is the .network quadlet the observability containers join:
	// the stack's own, or NAME-observe.network (Created) when it has none.
	Network     string
	NetworkName string // podman's name of that network
	Created     bool
	Services    []*Service // container quadlets of the user, by file name
	// NetworkNames maps the stack's .network files to podman's names.
	NetworkNames map[string]string
	Diags        diag.List
}

// Service is one of the user's .container quadlets.
type Service struct {
	Unit      string    // "colosseum-agent.container"
	Name      string    // "colosseum-agent"
	Container string    // podman's container name; "" when it has specifiers
	Metrics   *Endpoint // from io.berth.metrics
	OTel      bool      // io.berth.otel=true
	Networks  []string  // the user's Network= values
	Pod       bool      // joins a pod (networking is the pod's)
	UserEnv   map[string]bool
	// The OTEL_* values the user's own files set ("" when unset).
	OTelEndpoint    string   // OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ form)
	OTelProtocol    string   // OTEL_EXPORTER_OTLP_PROTOCOL (or its _TRACES_ form)
	OTelServiceName string   // OTEL_SERVICE_NAME
	OTelPos         diag.Pos // the label or Environment= line that declared tracing
	// Effective are the OTLP settings in force, berth observe's drop-in included.
	Effective OTelEnv
}

// OTelEnv are a service's OTLP exporter settings.
type OTelEnv struct{ Endpoint, Protocol, ServiceName string }

// Traced reports whether the service declares that it sends traces: the
// io.berth.otel=true label, or an OTLP endpoint in its own environment.
func (s *Service) Traced() bool { return s.OTel || s.OTelEndpoint != "" }

// TraceService is the service name its spans carry (OTEL_SERVICE_NAME):
// the user's, else the one berth observe add's drop-in sets.
func (s *Service) TraceService() string {
	if s.Effective.ServiceName != "" {
		return s.Effective.ServiceName
	}
	return s.Name
}

// Endpoint is a declared metrics endpoint.
type Endpoint struct {
	Port int
	Path string
	Pos  diag.Pos // the label's line
}

// Target is host:port of an endpoint on the stack network.
func (s *Service) Target() string { return s.Container + ":" + strconv.Itoa(s.Metrics.Port) }

// URL is the endpoint's address inside the stack network.
func (s *Service) URL() string { return "http://" + s.Target() + s.Metrics.Path }

var nameRe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// ProjectName reduces a folder name to what podman names accept, the way
// berth's CLI names projects.
func ProjectName(dir string) string {
	name := strings.ToLower(nameRe.ReplaceAllString(filepath.Base(dir), "-"))
	return strings.Trim(name, "-.")
}

// LoadStack reads the quadlets of dir (drop-ins merged). name "" means the
// folder's name. Files that berth observe generated are left out.
func LoadStack(dir, name string) (*Stack, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = ProjectName(abs)
	}
	if name == "" {
		return nil, fmt.Errorf("cannot derive a stack name from %q: pass a name (-p NAME)", abs)
	}
	units, diags := quadlet.Load([]string{abs})
	if diags.HasErrors() {
		return nil, diag.ListError(diags.Errors())
	}
	st := &Stack{Dir: abs, Name: name, Diags: diags}
	var own []*quadlet.Unit
	for _, u := range units {
		if !isGenerated(u) {
			own = append(own, u)
		}
	}
	infos := quadlet.Compile(own, quadlet.Options{}).Infos
	networks := map[string]string{} // file -> podman name
	for _, u := range own {
		switch filepath.Ext(u.Name) {
		case ".network":
			networks[u.Name] = networkName(u, infos[u.Name])
		case ".container":
			st.Services = append(st.Services, st.service(u, infos[u.Name]))
		}
	}
	sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Unit < st.Services[j].Unit })
	st.NetworkNames = networks
	st.chooseNetwork(networks)
	return st, nil
}

// isGenerated reports whether a unit's file carries berth observe's marker.
func isGenerated(u *quadlet.Unit) bool {
	data, err := os.ReadFile(u.Path)
	return err == nil && bytes.Contains(data, []byte(Marker))
}

func networkName(u *quadlet.Unit, info *quadlet.Info) string {
	if info != nil && info.ResourceName != "" {
		return info.ResourceName
	}
	if n, ok := u.File.Lookup("Network", "NetworkName"); ok && n != "" {
		return n
	}
	return "systemd-" + strings.TrimSuffix(u.Name, ".network")
}

// userLine reports whether a line comes from the user's files rather than
// from a drop-in berth observe wrote.
func userLine(l *unitfile.Line) bool { return filepath.Base(l.Pos().File) != DropinName }

func (st *Stack) service(u *quadlet.Unit, info *quadlet.Info) *Service {
	s := &Service{Unit: u.Name, Name: strings.TrimSuffix(u.Name, ".container"), UserEnv: map[string]bool{}}
	if info != nil {
		s.Container = info.ResourceName
	}
	for _, l := range u.File.AllLines("Container", "Network") {
		if userLine(l) {
			s.Networks = append(s.Networks, l.Value)
		}
	}
	s.Pod = u.File.Has("Container", "Pod")
	for _, l := range u.File.AllLines("Container", "Environment") {
		words, _ := unitfile.SplitArgs(l.Value)
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			s.readEnv(k, v, l)
		}
	}
	for _, l := range u.File.AllLines("Container", "Label") {
		words, err := unitfile.SplitArgs(l.Value)
		if err != nil {
			continue
		}
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			switch k {
			case LabelMetrics:
				s.Metrics = st.parseEndpoint(v, l.Pos())
			case LabelOTel:
				s.OTel, _ = unitfile.ParseBool(v)
				if s.OTel {
					s.OTelPos = l.Pos()
				}
			}
		}
	}
	if s.Metrics != nil && s.Container == "" {
		st.Diags.Warnf(s.Metrics.Pos, "observe-name", "%s: the container name of %s is not known before systemd runs it (a template or specifiers), so it is not scraped", LabelMetrics, u.Name)
		s.Metrics = nil
	}
	return s
}

// readEnv notes one Environment= entry: the OTLP settings in force (the
// drop-in's included) and those of the user's own files.
func (s *Service) readEnv(k, v string, l *unitfile.Line) {
	user := userLine(l)
	if user {
		s.UserEnv[k] = true
	}
	switch k {
	case "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
		if s.Effective.Endpoint == "" || k == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" {
			s.Effective.Endpoint = v
		}
		if user && (s.OTelEndpoint == "" || k == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
			s.OTelEndpoint, s.OTelPos = v, l.Pos()
		}
	case "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":
		if s.Effective.Protocol == "" || k == "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" {
			s.Effective.Protocol = v
		}
		if user && (s.OTelProtocol == "" || k == "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") {
			s.OTelProtocol = v
		}
	case "OTEL_SERVICE_NAME":
		s.Effective.ServiceName = v
		if user {
			s.OTelServiceName = v
		}
	}
}

// parseEndpoint reads "8000/metrics", "8000" or "8000/" as port and path.
func (st *Stack) parseEndpoint(v string, pos diag.Pos) *Endpoint {
	port, path, _ := strings.Cut(v, "/")
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		st.Diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Warning, Code: "observe-label",
			Message: fmt.Sprintf("%s=%s: want PORT/PATH with a port from 1 to 65535", LabelMetrics, v),
			Hint:    "write e.g. Label=" + LabelMetrics + "=8000/metrics"})
		return nil
	}
	if path == "" {
		path = "metrics"
	}
	return &Endpoint{Port: n, Path: "/" + path, Pos: pos}
}

// chooseNetwork picks the stack network the services use most (then by file
// name), or plans NAME-observe.network when the stack has none.
func (st *Stack) chooseNetwork(networks map[string]string) {
	if len(networks) == 0 {
		st.Network, st.NetworkName, st.Created = st.Name+"-observe.network", st.Name+"-observe", true
		return
	}
	uses := map[string]int{}
	for _, s := range st.Services {
		for _, n := range s.Networks {
			name, _, _ := strings.Cut(n, ":")
			uses[name]++
		}
	}
	files := make([]string, 0, len(networks))
	for f := range networks {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool {
		if uses[files[i]] != uses[files[j]] {
			return uses[files[i]] > uses[files[j]]
		}
		return files[i] < files[j]
	})
	st.Network, st.NetworkName = files[0], networks[files[0]]
}

// onNetwork reports whether a service is on the chosen network; join is true
// when it has no network at all, so that a drop-in can put it there.
func (st *Stack) onNetwork(s *Service) (on, join bool) {
	if s.Pod {
		return false, false
	}
	if len(s.Networks) == 0 {
		return false, true
	}
	for _, n := range s.Networks {
		name, _, _ := strings.Cut(n, ":")
		if name == st.Network || name == st.NetworkName {
			return true, false
		}
	}
	return false, false
}

// Generated reports whether berth observe add wrote the container of a role
// ("prometheus", "jaeger", "otel-collector", "grafana") into the stack.
func (st *Stack) Generated(role string) bool {
	data, err := os.ReadFile(filepath.Join(st.Dir, names{st.Name}.unit(role)))
	return err == nil && bytes.Contains(data, []byte(Marker))
}

// Traced lists the services that declare tracing, by unit name.
func (st *Stack) Traced() []*Service {
	var out []*Service
	for _, s := range st.Services {
		if s.Traced() {
			out = append(out, s)
		}
	}
	return out
}

// Scraped lists the services with a metrics endpoint, by unit name.
func (st *Stack) Scraped() []*Service {
	var out []*Service
	for _, s := range st.Services {
		if s.Metrics != nil {
			out = append(out, s)
		}
	}
	return out
}
