package compose

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/internal/quadlet"
)

// svc is the conversion of one service into its .container.
type svc struct {
	*conv
	name string
	s    *types.ServiceConfig
	u    *unit
}

func (v *svc) note(key, msg, hint string)    { v.conv.note(v.name, key, msg, hint) }
func (v *svc) approx(key, msg, hint string)  { v.conv.approx(v.name, key, msg, hint) }
func (v *svc) dropped(key, msg, hint string) { v.conv.dropped(v.name, key, msg, hint) }
func (v *svc) fail(key, msg, hint string)    { v.conv.fail(v.name, key, msg, hint) }

// keyOr sets a [Container] key, or passes the flag on older targets.
func (v *svc) keyOr(key, value, flag string) { v.conv.keyOr(v.u, key, value, flag) }

func (c *conv) convertService(name string, s types.ServiceConfig) {
	u := c.newUnit(c.containerFile(name), quadlet.ContainerKind(), "compose service "+name+" of project "+c.p.Name)
	v := &svc{conv: c, name: name, s: &s, u: u}
	v.image()
	v.identity()
	v.command()
	v.environment()
	v.networking()
	v.storage()
	v.secrets()
	v.lifecycle()
	v.healthcheck()
	v.limits()
	v.security()
	v.misc()
	v.unknownKeys()
	if c.pod != nil {
		u.setRaw("Pod", c.podFile())
	}
}

// image sets Image=, building it first when the service has build:.
func (v *svc) image() {
	s := v.s
	switch {
	case s.Extensions["x-podman.rootfs"] != nil:
		// serviceExtensions sets Rootfs=, which replaces the image
		if s.Image != "" || s.Build != nil {
			v.note("image", "x-podman.rootfs replaces the image", "")
		}
	case s.Build != nil:
		v.build()
	case s.Image != "":
		v.u.set("Image", s.Image)
	default:
		v.fail("image", "the service has neither image nor build", "add an image: or a build: section")
	}
	if s.Platform != "" {
		v.u.podmanArgs("--platform=" + s.Platform)
	}
	v.pullPolicy()
}

// pullPolicy maps pull_policy to Pull=.
func (v *svc) pullPolicy() {
	p := v.s.PullPolicy
	switch {
	case p == "" || p == types.PullPolicyBuild:
		return
	case v.s.Build != nil:
		v.note("pull_policy", "the image is built by the .build unit; pull_policy "+p+" is not used", "")
		return
	}
	switch p {
	case types.PullPolicyAlways, types.PullPolicyNever, types.PullPolicyMissing, types.PullPolicyIfNotPresent:
		if p == types.PullPolicyIfNotPresent {
			p = types.PullPolicyMissing
		}
		v.u.set("Pull", p)
	default:
		v.u.set("Pull", "newer")
		v.approx("pull_policy", "podman has no timed pull policy; "+p+" became Pull=newer (pull when the registry has a newer image)",
			"run `podman auto-update` from a timer for scheduled refreshes")
	}
}

// identity maps names, user, working_dir, labels and annotations.
func (v *svc) identity() {
	s := v.s
	v.u.set("ContainerName", ContainerName(v.p, v.name))
	if s.Hostname != "" {
		v.keyOr("HostName", s.Hostname, "--hostname")
	}
	if s.DomainName != "" {
		v.dropped("domainname", "podman has no --domainname", "set a fully qualified hostname: instead")
	}
	if s.User != "" {
		v.u.set("User", s.User)
	}
	if s.WorkingDir != "" {
		v.keyOr("WorkingDir", s.WorkingDir, "--workdir")
	}
	for _, k := range sortedKeys(s.Labels) {
		v.u.setWords("Label", k+"="+s.Labels[k])
	}
	for _, k := range sortedKeys(s.Annotations) {
		v.u.setWords("Annotation", k+"="+s.Annotations[k])
	}
}

// command maps command (Exec=) and entrypoint (Entrypoint=). compose-go
// has already split a string command the way compose does (shell-like
// words, no shell); JoinArgs quotes each word so systemd reads it back.
func (v *svc) command() {
	s := v.s
	if s.Command != nil {
		if len(s.Command) == 0 {
			v.approx("command", "an empty command cannot clear the image's CMD with podman run", "give the command explicitly")
		} else {
			v.u.setWords("Exec", s.Command...)
		}
	}
	if s.Entrypoint == nil {
		return
	}
	ep := ""
	switch len(s.Entrypoint) {
	case 0:
	case 1:
		ep = s.Entrypoint[0]
	default:
		ep = jsonArray(s.Entrypoint)
	}
	if v.supports(v.u.kind, "Entrypoint") {
		v.u.set("Entrypoint", ep)
	} else {
		v.u.podmanArgs("--entrypoint=" + ep)
	}
}

// jsonArray encodes words as podman reads exec-form --entrypoint and
// --health-cmd values.
func jsonArray(words []string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(words)
	return strings.TrimSpace(b.String())
}

// secretish matches variable names whose values are probably secrets.
// Names count whole words where a short word would match too much:
// DB_PASS and PGPASS do, PASSTHROUGH and KEYBOARD do not.
var secretish = regexp.MustCompile(`(?i)(passw|pass($|_)|pwd|secret|token|(^|_)(api_?|private_?)?keys?($|_)|credential|(^|_|o)auth($|_|[^o]))`)

// environment maps environment (inlined, resolved against the project
// environment as compose does) and env_file (EnvironmentFile=).
func (v *svc) environment() {
	for _, k := range sortedKeys(v.s.Environment) {
		val := v.s.Environment[k]
		if val == nil {
			resolved, ok := v.p.Environment[k]
			if !ok {
				continue // compose leaves it unset too
			}
			val = &resolved
		}
		if *val == "" || !secretish.MatchString(k) || strings.HasSuffix(strings.ToUpper(k), "_FILE") {
			v.u.setWords("Environment", k+"="+*val)
			continue
		}
		if v.conv.opts.KeepEnvValues {
			v.u.setWords("Environment", k+"="+*val)
			v.note("environment."+k, "the value is written in plain text into "+v.u.name+" (--keep-env-values)",
				"leave out --keep-env-values to make it a podman secret")
			continue
		}
		v.envSecret(k)
	}
	for i, ef := range v.s.EnvFiles {
		v.envFile(i, ef)
	}
}
