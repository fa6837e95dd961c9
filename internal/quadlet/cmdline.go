package quadlet

import (
	"fmt"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// cmdline builds one podman command line.
type cmdline struct {
	c    *ctx
	args []string
}

// podmanCmd starts a command with the podman binary, the
// ContainersConfModule= and GlobalArgs= of the unit's group, with room for
// a short command (stop, rm, start: under 12 words).
func (c *ctx) podmanCmd() *cmdline { return c.podmanCmdCap(12) }

// podmanCmdCap is podmanCmd with room for n words: a podman run line of a
// real unit has 20 to 40, and growing it copies it each time (the
// generator's allocations are most of its page faults).
func (c *ctx) podmanCmdCap(n int) *cmdline {
	cmd := &cmdline{c: c, args: make([]string, 1, n)}
	cmd.args[0] = c.opts.podman()
	for _, m := range c.all("ContainersConfModule") {
		cmd.add("--module=" + m)
	}
	cmd.add(c.args("GlobalArgs")...)
	return cmd
}

func (m *cmdline) add(args ...string) { m.args = append(m.args, args...) }

func (m *cmdline) addf(format string, a ...any) { m.add(fmt.Sprintf(format, a...)) }

// flag adds the arguments of key k. The key's version was checked when the
// unit's keys were, so here it is only recorded.
func (m *cmdline) flag(_ *Key, args ...string) { m.add(args...) }

// addBool adds flag for true and flag=false for false.
func (m *cmdline) addBool(flag string, b bool) {
	if b {
		m.add(flag)
	} else {
		m.add(flag + "=false")
	}
}

// clone copies the command so far.
func (m *cmdline) clone() *cmdline {
	return &cmdline{c: m.c, args: append([]string(nil), m.args...)}
}

// has reports whether the target podman has a feature first released in min.
func (c *ctx) has(min version.V) bool { return c.opts.target().AtLeast(min) }

// exec writes the command as key in [Service].
func (c *ctx) exec(key string, m *cmdline) { c.svc.Add("Service", key, unitfile.JoinArgs(m.args)) }
