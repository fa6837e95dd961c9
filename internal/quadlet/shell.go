package quadlet

import "strings"

// shellQuote returns w as one POSIX shell word: as is when every byte is
// harmless to sh, else in single quotes, where each single quote of w closes
// the quoting, is escaped with a backslash and reopens it. Systemd
// specifiers such as %N and %i are harmless to sh and stay as they are, so
// systemd still expands them.
func shellQuote(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(w); i++ {
		if !shellSafe(w[i]) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func shellSafe(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("%+,-./:=@_", b) >= 0
}

// shellJoin quotes words into one sh command line.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}

// convertCreate finishes a .network or .volume unit: a oneshot service,
// RemainAfterExit=yes, that runs `podman <noun> create` with the unit's keys
// unless the resource exists (execCreate), and records the resource name.
func (c *ctx) convertCreate(noun, name string) {
	create := c.podmanCmdCap(24)
	create.add(noun, "create")
	if c.has(createIgnore) {
		create.add("--ignore")
	}
	c.runKeys(create)
	if c.failed() {
		return
	}
	c.execCreate(noun, name, create)
	c.oneshot(true)
	c.info.ResourceName = name
}

// execCreate writes ExecStart= for a `podman <noun> create ... NAME` command
// line. Podman 4.4 and newer get `create --ignore`, which the caller already
// put in create. Older podman has no --ignore, and create fails when the
// resource exists, so the unit tests for it first:
//
//	/bin/sh -c "podman <noun> exists NAME || exec \"$@\"" sh podman <noun> create ... NAME
//
// The create command stays a list of systemd words, so systemd treats its
// specifiers and $VARIABLES exactly as in podman's own unit; only the exists
// check, with the same --module= and GlobalArgs= (a --root changes where
// podman looks), is quoted for sh.
func (c *ctx) execCreate(noun, name string, create *cmdline) {
	if c.has(createIgnore) {
		c.exec("ExecStart", create)
		return
	}
	exists := c.podmanCmd()
	exists.add(noun, "exists", name)
	script := shellJoin(exists.args) + ` || exec "$@"`
	c.svc.AddArgs("Service", "ExecStart", append([]string{"/bin/sh", "-c", script, "sh"}, create.args...))
}
