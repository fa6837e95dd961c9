package quadlet

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// The checks below find what podman's generator passes on unchanged but
// podman or systemd then refuse: the unit fails to load or its service
// fails to start. They run when Options.Strict is set (compile, up, install,
// lint); the generator leaves them off and writes what podman's writes.
// Each rule names podman's or systemd's own check it mirrors.

// Codes of the refusals.
const (
	CodeSpecifier   = "bad-specifier"
	CodeName        = "invalid-name"
	CodePodOwned    = "pod-owned"
	CodeKeyValue    = "bad-key-value"
	CodeSecret      = "bad-secret"
	CodeAddress     = "bad-address"
	CodeMissingFile = "missing-file"
	CodeUnitName    = "bad-unit-name"
	CodeVolume      = "bad-volume"
)

// refusals returns the unit's refusals, apart from its other diagnostics.
func (c *ctx) refusals() diag.List {
	saved := c.diags
	c.diags = nil
	c.checkRefusals()
	out := c.diags
	c.diags = saved
	return out
}

// mergeRefusals adds the refusals to the converter's diagnostics, leaving
// out those the converter reported at the same line with the same code.
func mergeRefusals(diags, refusals diag.List) diag.List {
	have := map[string]bool{}
	for _, d := range diags {
		have[fmt.Sprintf("%s:%d:%s", d.Pos.File, d.Pos.Line, d.Code)] = true
	}
	for _, d := range refusals {
		if !have[fmt.Sprintf("%s:%d:%s", d.Pos.File, d.Pos.Line, d.Code)] {
			diags = append(diags, d)
		}
	}
	return diags
}

func (c *ctx) checkRefusals() {
	c.checkUnitName()
	c.checkResourceRefs()
	c.checkServiceValues()
	c.checkSpecifiers()
	c.checkResourceName()
	switch c.kind {
	case &containerKind, &podKind, &kubeKind:
		c.checkPublish()
	}
	switch c.kind {
	case &containerKind:
		c.checkVolumeOptions()
		c.checkPodOwned()
		c.checkKeyValues()
		c.checkSecretOptions()
	case &podKind:
		c.checkVolumeOptions()
	case &networkKind:
		c.checkAddresses()
	case &kubeKind:
		c.checkKubeYaml()
	}
}

// knownSpecifiers are the specifiers of systemd.unit(5) (systemd 252-262);
// systemd refuses a unit whose command line holds any other ("Failed to
// resolve unit specifiers ... Invalid slot") and ignores any other setting
// that does.
const knownSpecifiers = "aAbBCdDEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY%"

// badSpecifier returns the byte offset of the first unknown specifier in
// v and its letter, or -1. A "%" at the very end is kept as it is.
func badSpecifier(v string) (int, byte) {
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if !strings.ContainsRune(knownSpecifiers, rune(v[i+1])) {
			return i, v[i+1]
		}
		i++
	}
	return -1, 0
}

// checkSpecifiers checks every value systemd reads: the unit's own group
// (which becomes the podman command line), [Unit], [Service] and [Install].
func (c *ctx) checkSpecifiers() {
	for _, section := range []string{c.kind.Group, "Unit", "Service", "Install"} {
		for _, l := range c.src.Entries(section) {
			at, letter := badSpecifier(l.Value)
			if at < 0 {
				continue
			}
			effect := "systemd refuses the unit: Failed to resolve unit specifiers"
			if section == "Unit" || section == "Service" || section == "Install" {
				effect = "systemd ignores the setting or refuses the unit"
			}
			c.diags.Add(diag.Diagnostic{Pos: valuePos(l, at), Severity: diag.Error, Code: CodeSpecifier,
				Message: fmt.Sprintf("%s=: %%%c is not a systemd specifier: %s", l.Key, letter, effect),
				Hint:    "write %% for a literal %; systemd.unit(5) lists the specifiers"})
		}
	}
}

// valuePos points at byte at of l's value, when the line is one physical
// line; else at the line.
func valuePos(l *unitfile.Line, at int) diag.Pos {
	p := l.Pos()
	text := l.Text()
	eq := strings.IndexByte(text, '=')
	if strings.Contains(text, "\n") || eq < 0 {
		return p
	}
	i := eq + 1
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if !strings.HasPrefix(text[i:], l.Value) {
		return p
	}
	p.Col = i + at + 1
	return p
}

// checkUnitName refuses a template without a name before "@": systemd does
// not load "@.service" (an invalid unit name).
func (c *ctx) checkUnitName() {
	base, _, isTemplate := templateParts(c.unit.Name)
	if isTemplate && base == "" {
		c.diags.Add(diag.Diagnostic{Pos: diag.Pos{File: c.unit.displayPath(), Line: 1}, Severity: diag.Error, Code: CodeUnitName,
			Message: fmt.Sprintf("%s compiles to %s, which systemd refuses: a template needs a name before @", c.unit.Name, c.info.ServiceFile()),
			Hint:    "rename the file, e.g. web@" + strings.TrimPrefix(c.unit.Name, "@")})
	}
}

// podmanName is podman's rule for container, pod, network and volume names
// (libpod define.NameRegex).
var podmanName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

var nameKeys = map[*Kind]string{&containerKind: "ContainerName", &podKind: "PodName", &networkKind: "NetworkName", &volumeKind: "VolumeName"}

// checkResourceName checks the name podman gives the object. Specifiers
// are resolved by systemd first: each stands for a valid name part here.
func (c *ctx) checkResourceName() {
	key := nameKeys[c.kind]
	l := c.src.LastLine(c.kind.Group, key)
	if key == "" || l == nil || l.Value == "" {
		return
	}
	name := unquoteValue(l.Value)
	probe := specifierRe().ReplaceAllString(name, "x")
	if podmanName().MatchString(probe) {
		return
	}
	noun := strings.ToLower(strings.TrimSuffix(key, "Name"))
	c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: CodeName,
		Message: fmt.Sprintf("%s=%s: podman refuses the %s name: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", key, quoteCtl(name), noun),
		Hint:    "use letters, digits, _ . and -, starting with a letter or digit"})
}

var specifierRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`%[A-Za-z]`) })

// quoteCtl quotes a value holding control characters or blanks, so that a
// message shows exactly what is in the file.
func quoteCtl(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return strconv.Quote(s)
		}
	}
	return s
}

// podOwned are a container's keys podman refuses when the container joins
// a pod (specgen: "must be defined when the pod is created"; podman 4.3.1
// measured: --ip, --add-host, --hostname, --userns with --pod fail, while
// --network and --dns are taken), with what the pod unit uses instead.
// Network= is lint's network-in-pod warning: podman accepts it, and the
// container leaves the pod's network.
var podOwned = []struct{ key, why, instead string }{
	{"IP", "networks must be defined when the pod is created", "IP="},
	{"IP6", "networks must be defined when the pod is created", "IP6="},
	{"PublishPort", "published ports must be defined when the pod is created", "PublishPort="},
	{"AddHost", "extra host entries must be specified on the pod", "AddHost="},
	{"HostName", "a container cannot set its hostname in the pod's UTS namespace", "HostName="},
	{"UserNS", "a container cannot set its user namespace when it joins a pod", "UserNS="},
}

func (c *ctx) checkPodOwned() {
	pod, _ := c.src.Lookup("Container", "Pod")
	if pod == "" {
		return
	}
	for _, o := range podOwned {
		l := c.src.LastLine("Container", o.key)
		if l == nil || strings.TrimSpace(l.Value) == "" {
			continue
		}
		if o.key == "UserNS" && strings.EqualFold(unquoteValue(l.Value), "host") {
			continue
		}
		c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: CodePodOwned,
			Message: fmt.Sprintf("%s= on a container in a pod (Pod=%s): podman refuses it (%s)", o.key, pod, o.why),
			Hint:    fmt.Sprintf("set %s in %s: the pod owns it for all its containers", o.instead, pod)})
	}
}

// checkKeyValues refuses what podman run refuses: an annotation without
// =VALUE, an environment assignment without a name.
func (c *ctx) checkKeyValues() {
	for _, l := range c.src.AllLines("Container", "Annotation") {
		for _, w := range words(l.Value) {
			if !strings.Contains(w, "=") {
				c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: CodeKeyValue,
					Message: fmt.Sprintf("Annotation=%s has no =VALUE: podman run refuses it: annotations must be formatted KEY=VALUE", quoteCtl(w)),
					Hint:    "write " + w + "=VALUE, e.g. " + w + "=true"})
			}
		}
	}
	for _, l := range c.src.AllLines("Container", "Environment") {
		for _, w := range words(l.Value) {
			if strings.HasPrefix(w, "=") {
				c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: CodeKeyValue,
					Message: fmt.Sprintf("Environment=%s has no variable name: podman run refuses it as an invalid variable", quoteCtl(w)),
					Hint:    "write NAME=VALUE"})
			}
		}
	}
}

func words(v string) []string {
	w, _ := unitfile.SplitQuadletArgs(v)
	return w
}

// checkSecretOptions parses Secret= as podman run does (specgenutil
// parseSecrets) and reports what it refuses.
func (c *ctx) checkSecretOptions() {
	for _, l := range c.src.AllLines("Container", "Secret") {
		for _, w := range words(l.Value) {
			if msg := secretProblem(w); msg != "" {
				c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: CodeSecret,
					Message: fmt.Sprintf("Secret=%s: podman refuses it: %s", quoteCtl(w), msg),
					Hint:    "Secret=NAME[,type=mount|env][,target=...][,uid=,gid=,mode= only with type=mount]"})
			}
		}
	}
}

func secretProblem(val string) string {
	opts := strings.Split(val, ",")
	if len(opts) == 1 {
		return ""
	}
	source, kind, mountOnly := "", "", ""
	if !strings.Contains(opts[0], "=") {
		source, opts = opts[0], opts[1:]
	}
	for _, o := range opts {
		name, value, ok := strings.Cut(o, "=")
		if !ok {
			return fmt.Sprintf("option %s must be in form option=value", o)
		}
		var err error
		switch name {
		case "source":
			source = value
		case "target":
		case "type":
			if kind != "" {
				return "more than one type"
			}
			if value != "mount" && value != "env" {
				return fmt.Sprintf("type %s is invalid (mount or env)", value)
			}
			kind = value
		case "mode":
			mountOnly, err = name, parseUint(value, 8)
		case "uid", "UID", "gid", "GID":
			mountOnly, err = name, parseUint(value, 10)
		default:
			return fmt.Sprintf("option %s is not known", o)
		}
		if err != nil {
			return fmt.Sprintf("%s %s is invalid", name, value)
		}
	}
	switch {
	case source == "":
		return "no secret name"
	case kind == "env" && mountOnly != "":
		return mountOnly + "= can only be set with type=mount"
	}
	return ""
}

func parseUint(s string, base int) error {
	_, err := strconv.ParseUint(s, base, 32)
	return err
}

// checkAddresses checks Subnet=, Gateway= and IPRange= as podman network
// create does: each gateway and range pairs with the subnet of its index
// (more of them than subnets, or none, podman's generator refuses itself).
// It uses net/netip, not net: net links cgo (the C resolver), and with it
// the C library's start-up at every run of the generator.
func (c *ctx) checkAddresses() {
	subnets := c.src.AllLines("Network", "Subnet")
	nets := make([]netip.Prefix, len(subnets))
	for i, l := range subnets {
		n, err := netip.ParsePrefix(unquoteValue(l.Value))
		if err != nil {
			c.addressError(l, "not a subnet in CIDR notation (10.89.0.0/24, fd00::/64)")
			continue
		}
		nets[i] = n.Masked()
	}
	for _, key := range []string{"Gateway", "IPRange"} {
		lines := c.src.AllLines("Network", key) // more than subnets: the converter refuses it, as podman's does
		for i, l := range lines {
			var subnet netip.Prefix
			if i < len(nets) {
				subnet = nets[i]
			}
			if msg := addressProblem(key, unquoteValue(l.Value), subnet); msg != "" {
				c.addressError(l, msg)
			}
		}
	}
}

// parseIP is net.ParseIP's reading: no zone, an IPv4-mapped IPv6 address
// is the IPv4 one.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func addressProblem(key, v string, subnet netip.Prefix) string {
	var ips []netip.Addr
	if key == "Gateway" {
		ip, ok := parseIP(v)
		if !ok {
			return "not an IP address"
		}
		ips = append(ips, ip)
	} else if start, end, ok := strings.Cut(v, "-"); ok {
		a, okA := parseIP(start)
		b, okB := parseIP(end)
		if !okA || !okB {
			return "not a range (CIDR, or START-END addresses)"
		}
		ips = append(ips, a, b)
	} else if p, err := netip.ParsePrefix(v); err != nil {
		return "not a range (CIDR, or START-END addresses)"
	} else {
		ips = append(ips, p.Addr().Unmap())
	}
	for _, ip := range ips {
		if subnet.IsValid() && !subnet.Contains(ip) {
			return fmt.Sprintf("%s is outside the subnet %s", ip, subnet)
		}
	}
	return ""
}

func (c *ctx) addressError(l *unitfile.Line, msg string) {
	c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: CodeAddress,
		Message: fmt.Sprintf("%s=%s: %s; podman network create refuses it", l.Key, quoteCtl(unquoteValue(l.Value)), msg),
		Hint:    "e.g. Subnet=10.89.0.0/24, Gateway=10.89.0.1, IPRange=10.89.0.128/25; gateways and ranges pair with subnets in order"})
}

// checkKubeYaml reports a Yaml= file that does not exist on this host:
// podman kube play fails when the service starts.
func (c *ctx) checkKubeYaml() {
	if c.opts.HostFile == nil || c.unit.Path == "" {
		return
	}
	for _, l := range c.src.AllLines("Kube", "Yaml") {
		p := unquoteValue(l.Value)
		if p == "" || specifierRe().MatchString(p) {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(c.unit.Path), p)
		}
		if !c.opts.HostFile(p) {
			c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: CodeMissingFile,
				Message: fmt.Sprintf("Yaml=%s: %s does not exist; podman kube play fails when the service starts", quoteCtl(l.Value), p),
				Hint:    "a relative path is read from the unit's folder"})
		}
	}
}

// unquoteValue reads a single value as podman does: trailing blanks
// dropped, one pair of surrounding double quotes removed.
func unquoteValue(v string) string {
	v = strings.TrimRight(v, " \t\r\n\v\f")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// volumeOptionGroups are the Volume= options podman run takes (common's
// parse.ValidateVolumeOpts), by group: at most one of each group.
var volumeOptionGroups = map[string]string{
	"exec": "exec", "noexec": "exec", "dev": "dev", "nodev": "dev", "suid": "suid", "nosuid": "suid",
	"rw": "rw", "ro": "rw", "z": "label", "Z": "label", "O": "label", "U": "U",
	"private": "propagation", "rprivate": "propagation", "shared": "propagation", "rshared": "propagation",
	"slave": "propagation", "rslave": "propagation", "unbindable": "propagation", "runbindable": "propagation",
	"bind": "bind", "rbind": "bind", "copy": "copy", "nocopy": "copy", "no-dereference": "no-dereference",
	"cached": "", "delegated": "", "nocreate": "",
}

// checkVolumeOptions reports Volume= values podman run refuses: more than
// SOURCE:DEST:OPTIONS, an unknown option, or two options of one kind.
func (c *ctx) checkVolumeOptions() {
	for _, l := range c.src.AllLines(c.kind.Group, "Volume") {
		v := unquoteValue(l.Value)
		parts := strings.Split(v, ":")
		if len(parts) > 3 {
			c.volumeError(l, v, "more than SOURCE:DEST:OPTIONS")
			continue
		}
		if len(parts) < 3 {
			continue
		}
		seen := map[string]string{}
		for _, o := range strings.Split(parts[2], ",") {
			group, known := volumeOptionGroups[o]
			switch {
			case strings.Contains(o, "upperdir") || strings.Contains(o, "workdir") || strings.HasPrefix(o, "idmap"):
				group, known = o[:min(len(o), 5)], true
			case !known:
				c.volumeError(l, v, fmt.Sprintf("invalid option %q", o))
				continue
			}
			if prev, dup := seen[group]; dup && group != "" {
				c.volumeError(l, v, fmt.Sprintf("options %s and %s exclude each other", prev, o))
			}
			seen[group] = o
		}
	}
}

func (c *ctx) volumeError(l *unitfile.Line, v, msg string) {
	c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: CodeVolume,
		Message: fmt.Sprintf("Volume=%s: %s; podman run refuses it", quoteCtl(v), msg),
		Hint:    "SOURCE:DEST[:OPTIONS], options such as ro, z, Z, U, nocopy, rshared, comma-separated"})
}

// checkResourceRefs reports every quadlet a resource key names that is not
// in the stack. The converter stops at a unit's first problem, as podman's
// does; this names them all (duplicates of the converter's are dropped).
func (c *ctx) checkResourceRefs() {
	for _, l := range c.src.Entries(c.kind.Group) {
		for _, name := range ResourceRefs(l.Key, unquoteValue(l.Value)) {
			if _, ok := c.infos[name]; !ok {
				c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: "dangling-reference",
					Message: fmt.Sprintf("requested Quadlet unit %s was not found", name),
					Hint:    l.Key + "= names a quadlet that is not in the search path; add it or fix the name"})
			}
		}
	}
}

// ResourceRefs returns the quadlet unit names a [Container]-style key's
// value refers to (Network=, Volume=, Pod=, Image=, Mount=); names with a
// specifier are left out, since they resolve only per instance.
func ResourceRefs(key, v string) []string {
	var names []string
	switch key {
	case "Network":
		name, _, _ := strings.Cut(v, ":")
		names = append(names, name)
	case "Volume":
		if src, _, found := strings.Cut(v, ":"); found {
			names = append(names, src)
		}
	case "Pod", "Image":
		names = append(names, v)
	case "Mount":
		for _, opt := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(opt, "=")
			if k == "source" || k == "src" {
				names = append(names, val)
			}
		}
	}
	var out []string
	for _, n := range names {
		ext := filepath.Ext(n)
		ok := IsQuadlet(n) && !strings.Contains(n, "%")
		switch key {
		case "Network":
			ok = ok && (ext == ".network" || ext == ".container")
		case "Volume":
			ok = ok && ext == ".volume"
		case "Pod":
			ok = ok && ext == ".pod"
		case "Image":
			ok = ok && (ext == ".image" || ext == ".build")
		case "Mount":
			ok = ok && (ext == ".volume" || ext == ".image")
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}
