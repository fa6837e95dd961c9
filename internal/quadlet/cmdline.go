package quadlet

import (
	"fmt"

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
	cmd := &cmdline{c: c, args: c.argv.take(n)}
	cmd.args[0] = c.opts.podman()
	for _, m := range c.all("ContainersConfModule") {
		cmd.add("--module=" + m)
	}
	cmd.add(c.args("GlobalArgs")...)
	return cmd
}

// argSlab holds the words of the command lines of one unit's conversion in
// one reused array. No command line outlives its unit's conversion (exec and
// AddArgs join the words into a new string), so Compile hands the same slab
// to every unit it converts: ~1 KB of argv per unit, a ninth of the
// generator's allocations, would otherwise be fresh memory, each page of
// it a page fault.
type argSlab struct {
	buf  []string
	used int
}

// take returns a command line of one word with room for n: from the slab
// when it has room (capped, so growing it copies it away rather than into
// the next command's words), else a new array. A nil slab allocates.
func (s *argSlab) take(n int) []string {
	if s == nil {
		return make([]string, 1, n)
	}
	if s.used+n > len(s.buf) {
		s.buf = make([]string, max(4*n, 256))
		s.used = 0
	}
	a := s.buf[s.used : s.used+1 : s.used+n]
	s.used += n
	return a
}

// reset makes the whole slab free again, for the next unit.
func (s *argSlab) reset() {
	if s != nil {
		clear(s.buf[:s.used]) // keep no words alive for the garbage collector
		s.used = 0
	}
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
func (c *ctx) exec(key string, m *cmdline) { c.svc.AddArgs("Service", key, m.args) }
