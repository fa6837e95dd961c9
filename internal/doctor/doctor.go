// Package doctor checks the host and a stack and says, for each check, ok,
// warn or fail, and the exact fix. It automates the troubleshooting section
// of a quadlet README: is podman usable here, can a container start, will
// systemd generate the units, is a published port already taken and by
// whom, and for each service that is not running: why.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/version"
)

// Status is a check's verdict.
type Status string

const (
	OK      Status = "ok"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Skipped Status = "skip" // not checked, and why is in the summary
)

// Check is one verdict.
type Check struct {
	Name    string   `json:"name"`
	Status  Status   `json:"status"`
	Summary string   `json:"summary"`
	Fix     string   `json:"fix,omitempty"`
	Details []string `json:"details,omitempty"`
}

// Report is every check, host first, then the stack's services.
type Report struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

// Options select what doctor looks at.
type Options struct {
	Dirs    []string // the stack's quadlet folders; none means host checks only
	Service string   // only this service (unit name, service or container name); "" for all
	User    bool     // the stack runs under a user systemd
	Timeout time.Duration
	// NamePrefix is how berth's executor names the containers of units
	// that set no ContainerName= ("PROJECT-"); "" means podman's
	// "systemd-" (the stack runs under systemd).
	NamePrefix string
}

// Run runs every check against h.
func Run(ctx context.Context, h Host, o Options) *Report {
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	d := &doctor{h: h, ctx: ctx, opts: o, rep: &Report{}, mask: podman.NewMasker()}
	d.hostChecks()
	if len(o.Dirs) > 0 {
		d.stackChecks()
	}
	d.rep.mask(d.mask)
	return d.rep
}

// mask hides credentials in every check's text: container logs, health
// check output and journal lines repeat what the units were given.
func (r *Report) mask(m *podman.Masker) {
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Summary, c.Fix = m.Text(c.Summary), m.Text(c.Fix)
		for j := range c.Details {
			c.Details[j] = m.Text(c.Details[j])
		}
	}
}

// doctor carries what the checks learn from each other.
type doctor struct {
	h      Host
	ctx    context.Context
	opts   Options
	rep    *Report
	podman version.V // zero when podman is missing
	info   *podmanInfo
	image  string // a local image for the trial container, "" if none
	mask   *podman.Masker
}

func (d *doctor) run(argv ...string) (string, string, int, error) {
	return d.h.Run(d.ctx, argv...)
}

// WriteText prints one line per check and the fix under it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %-26s %s\n", c.Status, c.Name, c.Summary)
		for _, d := range c.Details {
			for _, line := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
				fmt.Fprintf(&b, "      %-26s | %s\n", "", line)
			}
		}
		if c.Fix != "" {
			fmt.Fprintf(&b, "      %-26s fix: %s\n", "", c.Fix)
		}
	}
	counts := map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
	}
	fmt.Fprintf(&b, "%d ok, %d warn, %d fail, %d not checked\n", counts[OK], counts[Warn], counts[Fail], counts[Skipped])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report for scripts.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
