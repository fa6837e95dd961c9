package doctor

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
)

// logLines is how much of a failed container's log is shown.
const logLines = 10

// checkService gives one verdict per container: running, or why not.
func (d *doctor) checkService(s *service, all []*service, res *quadlet.Result) {
	c := Check{Name: "service " + strings.TrimSuffix(s.name, ".service")}
	if errs := unitErrors(s.unit, res); len(errs) > 0 {
		c.Status, c.Summary = Fail, fmt.Sprintf("%s does not compile: %s", s.unit.Name, errs[0])
		c.Details, c.Fix = errs, "berth lint "+s.unit.Path
		d.rep.add(c)
		return
	}
	if s.running() {
		c.Status, c.Summary = OK, "running as container "+s.container
		if s.state.Health != nil && s.state.Health.Status != "" {
			c.Summary += " (" + s.state.Health.Status + ")"
		}
		d.rep.add(c)
		return
	}
	c.Status = Fail
	switch {
	case s.container == "":
		c.Status, c.Summary = Skipped, "not checked: the container name depends on a specifier resolved at run time"
	case s.state == nil:
		c.Summary = "container " + s.container + " does not exist"
		c.Fix = d.startFix(s)
	default:
		c.Summary = describeState(s)
		c.Details = append(c.Details, d.logs(s.container)...)
		c.Details = append(c.Details, healthLog(s)...)
		c.Fix = stateFix(s, d)
	}
	if held := heldBackBy(s, all); held != "" {
		c.Details = append([]string{held}, c.Details...)
	}
	c.Details = append(c.Details, d.systemdState(s)...)
	d.rep.add(c)
}

// unitErrors are the compiler's errors about the unit's files.
func unitErrors(u *quadlet.Unit, res *quadlet.Result) []string {
	var out []string
	for _, dg := range res.Diags.Errors() {
		if dg.Pos.File == u.Path || strings.HasPrefix(dg.Pos.File, u.Path+".d/") {
			out = append(out, dg.String())
		}
	}
	return out
}

func describeState(s *service) string {
	st := s.state
	switch {
	case st.Running:
		return fmt.Sprintf("container %s runs but is %s", s.container, st.Health.Status)
	case st.OOMKill:
		return fmt.Sprintf("container %s was killed for lack of memory (exit code %d)", s.container, st.ExitCode)
	case st.Error != "":
		return fmt.Sprintf("container %s is %s: %s", s.container, st.Status, firstLine(st.Error))
	}
	return fmt.Sprintf("container %s is %s, exit code %d", s.container, st.Status, st.ExitCode)
}

func stateFix(s *service, d *doctor) string {
	st := s.state
	switch {
	case st.Running:
		return "the health check fails: see its log above; podman healthcheck run " + s.container + " runs it once"
	case st.OOMKill:
		return "raise Memory= in " + s.unit.Name
	case st.ExitCode == 127:
		return "the command is not in the image: fix Exec= (or the image's entrypoint)"
	case st.ExitCode == 126:
		return "the command is not executable: check Exec= and the file's mode in the image"
	}
	return "read the log above, fix the cause, then " + d.restartCmd(s)
}

func (d *doctor) restartCmd(s *service) string {
	if d.systemdPID1() {
		if d.opts.User {
			return "systemctl --user restart " + s.name
		}
		return "systemctl restart " + s.name
	}
	return "berth up -d"
}

func (d *doctor) startFix(s *service) string {
	if d.systemdPID1() {
		return strings.Replace(d.restartCmd(s), "restart", "start", 1) + " (journalctl -xeu " + s.name + " shows why it stopped)"
	}
	return "berth up -d"
}

func (d *doctor) logs(ctr string) []string {
	out, stderr, code, err := d.run("podman", "logs", "--tail", fmt.Sprint(logLines), ctr)
	text := strings.TrimRight(out+stderr, "\n")
	if err != nil || code != 0 || text == "" {
		return nil
	}
	return []string{"last log lines:\n" + text}
}

func healthLog(s *service) []string {
	h := s.state.Health
	if h == nil || len(h.Log) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "health %s; last checks:", h.Status)
	from := max(0, len(h.Log)-3)
	for _, l := range h.Log[from:] {
		fmt.Fprintf(&b, "\nexit %d: %s", l.ExitCode, strings.TrimSpace(l.Output))
	}
	return []string{b.String()}
}

// heldBackBy names a dependency of s that is not running.
func heldBackBy(s *service, all []*service) string {
	deps := map[string]bool{}
	for _, key := range []string{"Requires", "After", "BindsTo", "Wants"} {
		for _, w := range s.unit.File.Strv("Unit", key) {
			deps[w] = true
		}
	}
	if n, ok := s.unit.File.Lookup("Container", "Network"); ok {
		deps[strings.SplitN(n, ":", 2)[0]] = true
	}
	for _, o := range all {
		if o == s || !(deps[o.unit.Name] || deps[o.name]) || o.running() {
			continue
		}
		state := "does not exist"
		if o.state != nil {
			state = o.state.Status
		}
		return fmt.Sprintf("held back by %s: its container %s %s", o.unit.Name, o.container, state)
	}
	return ""
}

// systemdState adds systemd's view when systemd runs the units.
func (d *doctor) systemdState(s *service) []string {
	if !d.systemdPID1() {
		return nil
	}
	argv := []string{"systemctl"}
	if d.opts.User {
		argv = append(argv, "--user")
	}
	argv = append(argv, "show", "-p", "ActiveState,SubState,Result,ExecMainStatus", s.name)
	out, _, code, err := d.run(argv...)
	if err != nil || code != 0 || strings.TrimSpace(out) == "" {
		return nil
	}
	return []string{"systemd: " + strings.Join(strings.Fields(out), " ")}
}
