package quadlet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Podman CLI features that change what berth emits for older targets.
var (
	sdnotifyHealthy = version.V{Major: 4, Minor: 7, Patch: 0} // run --sdnotify=healthy
	createIgnore    = version.V{Major: 4, Minor: 4, Patch: 0} // network create --ignore, volume create --ignore
	// podman6 is podman's main branch, 6.0 in the making: its generator
	// accepts a Mount= of type volume without a source (an anonymous
	// volume), [Volume] Options= without Device=, keeps a pod's own
	// Restart=, leaves template containers out of their pod's Wants=, and
	// also searches /usr/share/containers/systemd/users for user units.
	podman6 = version.V{Major: 6, Minor: 0, Patch: 0}
)

// startsWithSpecifier reports whether p starts with a systemd specifier (but
// not the %% escape): such paths are resolved by systemd, not here.
func startsWithSpecifier(p string) bool {
	return len(p) > 1 && p[0] == '%' && p[1] != '%' || p == "%"
}

// absPath makes a relative path absolute against the unit file's folder.
func (c *ctx) absPath(p string) string {
	if startsWithSpecifier(p) || filepath.IsAbs(p) {
		return p
	}
	if c.unit.Path != "" {
		return filepath.Join(filepath.Dir(c.unit.Path), p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// requireUnit adds Requires= and After= on another quadlet's service.
func (c *ctx) requireUnit(info *Info) {
	c.svc.Add("Unit", "Requires", info.ServiceFile())
	c.svc.Add("Unit", "After", info.ServiceFile())
}

// imageSource resolves Image=x.image / x.build to the image name.
func (c *ctx) imageSource(image string) (string, error) {
	for _, suffix := range []string{".build", ".image"} {
		if strings.HasSuffix(image, suffix) {
			info, ok := c.infos[image]
			if !ok {
				return "", fmt.Errorf("requested Quadlet image %s was not found", image)
			}
			c.requireUnit(info)
			image = info.ResourceName
		}
	}
	return image, nil
}

// storageSource resolves the source of a volume or mount: relative paths
// become absolute, absolute paths get RequiresMountsFor=, quadlet volumes,
// images and artifacts become their resource names and a dependency.
func (c *ctx) storageSource(source string, checkImage bool) (string, error) {
	if source == "" {
		return "", errors.New("source cannot be empty")
	}
	if source[0] == '.' {
		source = c.absPath(source)
	}
	switch {
	case source[0] == '/':
		c.svc.Add("Unit", "RequiresMountsFor", quoteIfNeeded(source))
	case strings.HasSuffix(source, ".volume"), checkImage && strings.HasSuffix(source, ".image"),
		strings.HasSuffix(source, ".artifact"):
		info, ok := c.infos[source]
		if !ok {
			return "", fmt.Errorf("requested Quadlet source %s was not found", source)
		}
		c.requireUnit(info)
		source = info.ResourceName
	}
	return source, nil
}

func quoteIfNeeded(s string) string { return unitfile.QuoteWord(s) }

func emitNetworks(c *ctx, cmd *cmdline) error {
	for _, l := range c.src.AllLines(c.kind.Group, "Network") {
		network := l.Value
		name, options, hasOptions := strings.Cut(network, ":")
		isNetwork, isContainer := strings.HasSuffix(name, ".network"), strings.HasSuffix(name, ".container")
		if isNetwork || isContainer {
			info, ok := c.infos[name]
			switch {
			case !ok:
				c.diags.Errorf(l.Pos(), "dangling-reference", "requested Quadlet unit %s was not found", name)
				continue
			case info.ResourceName == "":
				c.diags.Errorf(l.Pos(), "unresolvable-name", "cannot get the resource name of %s", name)
				continue
			case hasOptions && isContainer:
				c.diags.Errorf(l.Pos(), "invalid-value", "extra options are not supported when joining another container's network")
				continue
			}
			c.requireUnit(info)
			switch {
			case hasOptions:
				network = info.ResourceName + ":" + options
			case isContainer:
				network = "container:" + info.ResourceName
			default:
				network = info.ResourceName
			}
		}
		cmd.add("--network", network)
	}
	return nil
}

func emitVolumes(c *ctx, cmd *cmdline) error {
	for _, l := range c.src.AllLines(c.kind.Group, "Volume") {
		parts := strings.SplitN(l.Value, ":", 3)
		source, dest, options := "", parts[0], ""
		if len(parts) >= 2 {
			source, dest = parts[0], parts[1]
		}
		if len(parts) == 3 {
			options = ":" + parts[2]
		}
		if source != "" {
			var err error
			if source, err = c.storageSource(source, false); err != nil {
				c.diags.Errorf(l.Pos(), "dangling-reference", "%v", err)
				continue
			}
		}
		cmd.add("-v")
		if source == "" {
			cmd.add(dest)
		} else {
			cmd.add(source + ":" + dest + options)
		}
	}
	return nil
}

// tooNewError is a value the target podman cannot run.
type tooNewError struct{ msg string }

func (e *tooNewError) Error() string { return e.msg }

// mountTypeSince is the first podman whose `run --mount` takes the type,
// for types younger than podman 4.3.
var mountTypeSince = map[string]version.V{"artifact": version.V{Major: 5, Minor: 5, Patch: 0}}

// mountNeedsSource lists the --mount types whose source berth resolves.
var mountNeedsSource = map[string]bool{"volume": true, "bind": true, "glob": true, "image": true, "artifact": true}

func emitMounts(c *ctx, cmd *cmdline) error {
	for _, l := range c.src.AllLines(c.kind.Group, "Mount") {
		words, err := unitfile.SplitQuadletArgs(l.Value)
		if err != nil {
			c.quotingWarning(l.Pos(), "Mount", err)
			if !unitfile.WordsUsable(err) {
				continue
			}
		}
		for _, m := range words {
			resolved, err := c.resolveMount(m)
			if err != nil {
				code := "invalid-value"
				if errors.As(err, new(*tooNewError)) {
					code = "too-new"
				}
				c.diags.Errorf(l.Pos(), code, "%v", err)
				continue
			}
			cmd.add("--mount", resolved)
		}
	}
	return nil
}

// resolveMount resolves the source of one --mount value, written as CSV.
func (c *ctx) resolveMount(m string) (string, error) {
	records, err := csv.NewReader(strings.NewReader(m)).ReadAll()
	if err != nil {
		return "", err
	}
	if len(records) != 1 {
		return "", errors.New("incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]")
	}
	mountType, found := "volume", false
	var tokens []string
	for _, tok := range records[0] {
		kv := strings.Split(tok, "=")
		if !found && len(kv) == 2 && kv[0] == "type" {
			mountType, found = kv[1], true
			continue
		}
		tokens = append(tokens, tok)
	}
	if min, ok := mountTypeSince[mountType]; ok && !c.opts.target().AtLeast(min) {
		return "", &tooNewError{fmt.Sprintf("Mount type=%s needs podman %s or newer (podman run --mount type=%s); the target is podman %s: remove the mount, or target a newer podman with --podman-version",
			mountType, min, mountType, c.opts.target())}
	}
	if !mountNeedsSource[mountType] {
		return m, nil
	}
	srcIndex, src := -1, ""
	for i, tok := range tokens {
		k, val, hasVal := strings.Cut(tok, "=")
		if k == "source" || k == "src" {
			if !hasVal {
				return "", errors.New("source parameter does not include a value")
			}
			srcIndex, src = i, val
		}
	}
	switch {
	case src != "":
		resolved, err := c.storageSource(src, true)
		if err != nil {
			return "", err
		}
		tokens[srcIndex] = "source=" + resolved
	case !c.has(podman6):
		return "", errors.New("source cannot be empty")
	case mountType != "volume":
		return "", fmt.Errorf("source parameter is required for mount type %s", mountType)
	}
	// podman 6: a volume mount without a source is an anonymous volume.
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append([]string{"type=" + mountType}, tokens...))
	w.Flush()
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func emitPod(c *ctx, cmd *cmdline) error {
	pod := c.lookup("Pod")
	if pod == "" {
		return nil
	}
	if !strings.HasSuffix(pod, ".pod") {
		return fmt.Errorf("pod %s is not Quadlet based", pod)
	}
	info, ok := c.infos[pod]
	if !ok {
		return fmt.Errorf("quadlet pod unit %s does not exist", pod)
	}
	cmd.add("--pod", info.ResourceName)
	c.svc.Add("Unit", "BindsTo", info.ServiceFile())
	c.svc.Add("Unit", "After", info.ServiceFile())
	// podman 6 leaves templates (name@.container) out: the pod cannot want
	// a unit that has no instance name.
	if c.boolean("StartWithPod", true) && !(c.has(podman6) && isTemplateName(c.unit.Name)) {
		c.startsWithPod = info // recorded once the container compiles (Compile)
	}
	return nil
}

// isTemplateName reports a template unit file: name@.container.
func isTemplateName(name string) bool {
	return strings.HasSuffix(strings.TrimSuffix(name, filepath.Ext(name)), "@")
}

// userMappings emits UserNS=, UIDMap=, GIDMap=, SubUIDMap=, SubGIDMap= or the
// deprecated Remap* keys.
func (c *ctx) userMappings(cmd *cmdline, supportManual bool) error {
	defined := false
	if userns := c.lookup("UserNS"); userns != "" {
		cmd.add("--userns", userns)
		defined = true
	}
	for _, m := range c.strv("UIDMap") {
		cmd.add("--uidmap", m)
		defined = true
	}
	for _, m := range c.strv("GIDMap") {
		cmd.add("--gidmap", m)
		defined = true
	}
	if s := c.lookup("SubUIDMap"); s != "" {
		cmd.add("--subuidname", s)
		defined = true
	}
	if s := c.lookup("SubGIDMap"); s != "" {
		cmd.add("--subgidname", s)
		defined = true
	}
	if defined {
		if c.present("RemapUid") || c.present("RemapGid") || c.present("RemapUsers") {
			return errRemapWithExplicit
		}
		return nil
	}
	return c.userRemap(cmd, supportManual)
}

func (c *ctx) userRemap(cmd *cmdline, supportManual bool) error {
	uids, gids := c.strv("RemapUid"), c.strv("RemapGid")
	mode := ""
	if l := c.lastLine("RemapUsers"); l != nil {
		mode = l.Value
	}
	switch mode {
	case "":
		if len(uids) > 0 {
			return errors.New("UidMap set without RemapUsers")
		}
		if len(gids) > 0 {
			return errors.New("GidMap set without RemapUsers")
		}
	case "manual":
		if !supportManual {
			return errors.New("RemapUsers=manual is not supported")
		}
		for _, m := range uids {
			cmd.add("--uidmap", m)
		}
		for _, m := range gids {
			cmd.add("--gidmap", m)
		}
	case "auto":
		var opts []string
		for _, m := range uids {
			opts = append(opts, "uidmapping="+m)
		}
		for _, m := range gids {
			opts = append(opts, "gidmapping="+m)
		}
		if size := c.uint32("RemapUidSize"); size > 0 {
			opts = append(opts, fmt.Sprintf("size=%d", size))
		}
		cmd.add("--userns", usernsOpts("auto", opts))
	case "keep-id":
		var opts []string
		if len(uids) > 1 {
			return errors.New("RemapUsers=keep-id supports only a single value for UID mapping")
		}
		if len(gids) > 1 {
			return errors.New("RemapUsers=keep-id supports only a single value for GID mapping")
		}
		if len(uids) == 1 {
			opts = append(opts, "uid="+uids[0])
		}
		if len(gids) == 1 {
			opts = append(opts, "gid="+gids[0])
		}
		cmd.add("--userns", usernsOpts("keep-id", opts))
	default:
		return fmt.Errorf("unsupported RemapUsers option '%s'", mode)
	}
	return nil
}

func usernsOpts(kind string, opts []string) string {
	if len(opts) == 0 {
		return kind
	}
	return kind + ":" + strings.Join(opts, ",")
}

// healthGate makes Notify=healthy work on podman older than 4.7, which has no
// --sdnotify=healthy: conmon says READY when the container runs, and an
// ExecStartPost= loop (healthWaitScript) holds the unit in "activating" until
// podman reports the container healthy, bounded by TimeoutStartSec like the
// real thing.
func (c *ctx) healthGate(name string) {
	notify := c.lookup("Notify")
	if !strings.EqualFold(notify, "healthy") || c.has(sdnotifyHealthy) {
		return
	}
	if c.lookup("HealthCmd") == "" {
		c.warnf("Notify", "health-gate", "Notify=healthy without HealthCmd= relies on the image's HEALTHCHECK")
	}
	script := healthWaitScript(c.opts.podman(), name, healthIntervalSeconds(c.lookup("HealthInterval")))
	c.svc.Add("Service", "ExecStartPost", unitfile.JoinArgs([]string{"/bin/sh", "-c", script}))
}

// healthWaitScript is the ExecStartPost= wait of healthGate. It behaves like
// podman 5's --sdnotify=healthy:
//   - it observes health (podman inspect), it does not judge it: the checks
//     run where podman runs them. podman < 4.7 runs them from a transient
//     systemd timer named after the container ID (ID.timer, ID-startup.timer
//     for a startup check) when it can reach systemd; a second runner would
//     double the rate and use up HealthRetries early. Only when no such timer
//     exists (no systemd, or HealthInterval=disable) does the loop run
//     `podman healthcheck run` itself, every interval seconds, as the timer
//     would;
//   - it is done when the container is healthy; "starting" and "unhealthy"
//     keep it waiting while the container runs (HealthOnFailure= acts);
//   - it fails at once when the container is gone or no longer running
//     (killed by HealthOnFailure=kill, exited, removed by --rm), and when it
//     has no health check at all (podman 5 refuses --sdnotify=healthy then).
//
// The text is written for the unit file: "%%" is systemd's "%", "$x" inside
// a word is left to the shell and "${" is never used (systemd would
// substitute it).
func healthWaitScript(podman, name string, interval int) string {
	return strings.Join([]string{
		fmt.Sprintf("n='%s' p=%s i=%d next=0", name, podman, interval),
		`id=$($p container inspect --format '{{.Id}}{{if not .Config.Healthcheck}} none{{end}}' "$n") || exit 1`,
		`case $id in *" none") echo "container $n has no health check: Notify=healthy needs HealthCmd= or the image's HEALTHCHECK" >&2; exit 1;; esac`,
		`t=/run/systemd/transient/$id u="$XDG_RUNTIME_DIR/systemd/transient/$id"`,
		`while :; do ` +
			`if [ ! -e $t.timer ] && [ ! -e $t-startup.timer ] && [ ! -e "$u.timer" ] && [ ! -e "$u-startup.timer" ] && [ $(date +%%s) -ge $next ]; then ` +
			`$p healthcheck run "$n" >/dev/null 2>&1; next=$(($(date +%%s) + i)); fi; ` +
			`s=$($p container inspect --format '{{.State.Status}} {{.State.Health.Status}}' "$n" 2>/dev/null) || ` +
			`{ echo "container $n is gone before it was healthy" >&2; exit 1; }; ` +
			`case $s in "running healthy") exit 0;; running*|paused*|created*|initialized*) sleep 0.5;; ` +
			`*) echo "container $n is $s before it was healthy" >&2; exit 1;; esac; ` +
			`done`,
	}, "; ")
}

// healthIntervalSeconds is HealthInterval= in whole seconds, rounded up, for
// the loop's own checks: podman's default 30s when unset, 1 when disabled
// (podman then runs no checks at all and the loop is the only runner).
func healthIntervalSeconds(v string) int {
	switch v = strings.TrimSpace(v); v {
	case "":
		return 30
	case "disable", "0":
		return 1
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 30 // podman refuses the value and the container does not start
	}
	return int((d + time.Second - 1) / time.Second)
}

// isURL recognises what podman build takes as a remote context or
// Containerfile rather than a local path. It reads as podman's pattern
// ^((https?)|(git)://)|(github\.com/).+$ does: any value starting with
// http, or with git://, or holding "github.com/" followed by at least one
// character and no newline up to the end (the test checks it against the
// pattern). Written out, because compiling the pattern was ~0.3 M
// instructions, a fifth of a 5-unit generator run.
func isURL(s string) bool {
	if strings.HasPrefix(s, "http") || strings.HasPrefix(s, "git://") {
		return true
	}
	const gh = "github.com/"
	for i := 0; ; {
		j := strings.Index(s[i:], gh)
		if j < 0 {
			return false
		}
		if rest := s[i+j+len(gh):]; rest != "" && !strings.Contains(rest, "\n") {
			return true
		}
		i += j + 1
	}
}

var errNoYaml = errors.New("no Yaml key specified")

// setWorkingDirectory applies SetWorkingDirectory= of .kube and .build units:
// "unit", "yaml" (.kube) and "file" (.build) set [Service] WorkingDirectory=
// to the folder of that file, unless the unit sets one itself; any other
// value (.build only) is the build context, returned for the command line.
func (c *ctx) setWorkingDirectory() (buildContext string, err error) {
	value := c.lookup("SetWorkingDirectory")
	if value == "" {
		return "", nil
	}
	var relativeTo string
	// Kinds are told apart by extension here: this runs from key tables,
	// which the kinds' own initialisation refers to.
	switch strings.ToLower(value) {
	case "yaml":
		if c.kind.Ext != ".kube" {
			return "", fmt.Errorf("SetWorkingDirectory=%s is only supported in .kube files", value)
		}
		yamls := c.src.Strv(c.kind.Group, "Yaml")
		switch len(yamls) {
		case 0:
			return "", errNoYaml
		case 1:
			relativeTo = yamls[0]
		default:
			return "", errors.New("SetWorkingDirectory=yaml is only supported when a single Yaml key is provided")
		}
	case "file":
		if c.kind.Ext != ".build" {
			return "", fmt.Errorf("SetWorkingDirectory=%s is only supported in .build files", value)
		}
		file, ok := c.src.Lookup(c.kind.Group, "File")
		if !ok {
			return "", errors.New("no File key specified")
		}
		relativeTo = file
	case "unit":
		relativeTo = c.unit.Path
	default:
		if c.kind.Ext != ".build" {
			return "", fmt.Errorf("unsupported value for WorkingDirectory: %s", value)
		}
		buildContext = value
		if !filepath.IsAbs(buildContext) {
			relativeTo = c.unit.Path
		}
	}
	if relativeTo == "" || isURL(buildContext) {
		return buildContext, nil
	}
	if wd, ok := c.src.Lookup("Service", "WorkingDirectory"); ok && wd != "" {
		// The unit's own WorkingDirectory= wins; like podman, the build
		// context then falls back to it as well.
		return "", nil
	}
	c.svc.Add("Service", "WorkingDirectory", filepath.Dir(c.absPath(relativeTo)))
	return buildContext, nil
}

// podExitPolicy is the first podman whose pod create has --exit-policy.
var podExitPolicy = version.V{Major: 4, Minor: 2, Patch: 0}

// emitExitPolicy adds --exit-policy, "stop" unless ExitPolicy= says
// otherwise. Podman before 4.2 has no exit policy: its pods behave as with
// "continue", and the flag is left out (ExitPolicy= itself is refused there).
func emitExitPolicy(c *ctx, cmd *cmdline) error {
	if !c.has(podExitPolicy) {
		return nil
	}
	// An empty ExitPolicy= means the default here; podman 5.8 would write an
	// empty word, which systemd drops, and --exit-policy would take the next flag.
	policy := c.lookup("ExitPolicy")
	if policy == "" {
		policy = "stop"
	}
	cmd.add("--exit-policy", policy)
	return nil
}

var errRemapWithExplicit = errors.New("deprecated Remap keys are set along with explicit mapping keys")

// userMappingsEmit returns the Emit of UserNS= and the keys read with it. A
// problem is reported at the deprecated Remap* key it comes from (the one
// to change or remove).
func userMappingsEmit(supportManual bool) func(*ctx, *cmdline) error {
	return func(c *ctx, cmd *cmdline) error {
		if err := c.userMappings(cmd, supportManual); err != nil {
			key := ""
			for _, k := range []string{"RemapUsers", "RemapUid", "RemapGid"} {
				if c.present(k) {
					key = k
					break
				}
			}
			code := "invalid-value"
			if err == errRemapWithExplicit {
				code = "conflicting-keys"
			}
			c.errorf(key, code, "%v", err)
		}
		return nil
	}
}

// defaultKillMode checks KillMode= of a unit that runs containers: only mixed
// and control-group work with conmon; unset means mixed.
func (c *ctx) defaultKillMode() {
	km, ok := c.svc.Lookup("Service", "KillMode")
	switch {
	case !ok:
		c.svc.Set("Service", "KillMode", "mixed")
	case !killModes[km]:
		c.diags.Errorf(c.svc.LastLine("Service", "KillMode").Pos(), "invalid-value", "invalid KillMode '%s'", km)
	}
}
