package doctor

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/lint"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// service is one container unit of the stack.
type service struct {
	unit      *quadlet.Unit
	name      string // the service, "db.service"
	container string // podman's container name, "" when only known at run time
	state     *ctrState
}

// ctrState is the part of `podman inspect` doctor reads.
type ctrState struct {
	Status   string `json:"Status"`
	Running  bool   `json:"Running"`
	ExitCode int    `json:"ExitCode"`
	Error    string `json:"Error"`
	OOMKill  bool   `json:"OOMKilled"`
	Health   *struct {
		Status string `json:"Status"`
		Log    []struct {
			ExitCode int    `json:"ExitCode"`
			Output   string `json:"Output"`
		} `json:"Log"`
	} `json:"Health"`
}

func (s *service) running() bool {
	return s.state != nil && s.state.Running && (s.state.Health == nil || s.state.Health.Status != "unhealthy")
}

func (d *doctor) stackChecks() {
	units, loadDiags := quadlet.Load(d.opts.Dirs)
	res := quadlet.Compile(units, quadlet.Options{User: d.opts.User, Target: d.podman, NamePrefix: d.opts.NamePrefix})
	learnSecrets(d.mask, res)
	var services []*service
	for _, u := range units {
		if quadlet.KindOf(u.Name) != quadlet.ContainerKind() {
			continue
		}
		info := res.Infos[u.Name]
		s := &service{unit: u, name: info.ServiceFile(), container: info.ResourceName}
		if s.container != "" {
			s.state = d.inspect(s.container)
		}
		services = append(services, s)
	}
	for _, dg := range loadDiags.Errors() {
		d.rep.add(Check{Name: "load " + filepath.Base(dg.Pos.File), Status: Fail, Summary: dg.Message,
			Fix: "berth lint " + dg.Pos.File})
	}
	d.checkPorts(units, services)
	for _, s := range services {
		if d.opts.Service == "" || d.matches(s) {
			d.checkService(s, services, res)
		}
	}
}

func (d *doctor) matches(s *service) bool {
	want := d.opts.Service
	return want == s.unit.Name || want == s.name || want == strings.TrimSuffix(s.name, ".service") || want == s.container
}

func (d *doctor) inspect(name string) *ctrState {
	out, _, code, err := d.run("podman", "inspect", "--type", "container", "--format", "json", name)
	if err != nil || code != 0 {
		return nil
	}
	var all []struct{ State ctrState }
	if json.Unmarshal([]byte(out), &all) != nil || len(all) == 0 {
		return nil
	}
	return &all[0].State
}

// checkPorts finds the stack's host ports that another process holds.
func (d *doctor) checkPorts(units []*quadlet.Unit, services []*service) {
	listeners := Listeners(d.h)
	running := map[string]bool{}
	for _, s := range services {
		running[s.unit.Name] = s.running() || s.state != nil && s.state.Running
	}
	for _, u := range units {
		k := quadlet.KindOf(u.Name)
		if k != quadlet.ContainerKind() && k != quadlet.PodKind() {
			continue
		}
		for _, l := range u.File.AllLines(k.Group, "PublishPort") {
			p, err := lint.ParsePublish(strings.TrimSpace(l.Value))
			if err != nil || p.HostLo == 0 || running[u.Name] {
				continue
			}
			d.checkPort(u, l.Pos().String(), p, listeners)
		}
	}
}

func (d *doctor) checkPort(u *quadlet.Unit, where string, p lint.Publish, listeners []Listener) {
	name := "port " + p.HostPorts()
	for port := p.HostLo; port <= p.HostHi; port++ {
		taken := conflicts(listeners, p.IP, port, p.Proto)
		if len(taken) == 0 {
			continue
		}
		ip := p.IP
		if ip != "" {
			ip += ":"
		}
		d.rep.add(Check{Name: name, Status: Fail,
			Summary: fmt.Sprintf("%s publishes host port %d/%s, already in use by %s", u.Name, port, p.Proto, taken[0].Owner()),
			Details: []string{"PublishPort at " + where},
			Fix:     fmt.Sprintf("stop that process, or publish on a free host port: PublishPort=%s%d:%d", ip, freePort(listeners, port+1, p.Proto), p.CtrLo+port-p.HostLo)})
		return
	}
	d.rep.add(Check{Name: name, Status: OK, Summary: "free for " + u.Name})
}

// freePort returns the first port from start that nothing listens on.
func freePort(ls []Listener, start int, proto string) int {
	for p := start; p < 65535; p++ {
		if len(conflicts(ls, "", p, proto)) == 0 {
			return p
		}
	}
	return start
}

// learnSecrets tells m the credentials the compiled units hold: their
// Environment= values and the --env/--creds/URL values of their commands.
func learnSecrets(m *podman.Masker, res *quadlet.Result) {
	for _, svc := range res.Services {
		for _, l := range svc.File.Entries("Service") {
			switch {
			case l.Key == "Environment":
				words, _ := unitfile.Split(l.Value, unitfile.SplitOptions{Unquote: true, Relax: true})
				for _, w := range words {
					if k, v, ok := strings.Cut(w, "="); ok {
						m.AddEnv(k, v)
					}
				}
			case strings.HasPrefix(l.Key, "Exec"):
				if argv, err := unitfile.SplitArgs(strings.TrimLeft(l.Value, "-@:+!|")); err == nil {
					m.AddArgv(argv)
				}
			}
		}
	}
}
