package quadlet

import (
	"errors"
	"github.com/berth-dev/berth/internal/version"
	"strings"
)

// Podman CLI features that change what berth emits for .kube units.
var (
	kubeServiceContainer = version.V{Major: 4, Minor: 2, Patch: 0} // play kube --service-container: needed for Type=notify
	kubeCommandGroup     = version.V{Major: 4, Minor: 3, Patch: 0} // `podman kube play|down`; older podman has `play kube [--down]`
	kubeDownForce        = version.V{Major: 4, Minor: 4, Patch: 0} // kube down --force
)

// autoUpdateLabel is the annotation podman auto-update reads.
const autoUpdateLabel = "io.containers.autoupdate"

// kubeKeys is the [Kube] table, in the order the arguments of
// `podman kube play` are emitted; the YAML files come last.
var kubeKeys = []Key{
	{Name: "ExitCodePropagation", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Custom, Emit: emitExitCodePropagation, Needs: version.V{Major: 4, Minor: 6, Patch: 0},
		Doc: "How container failures fail the service: all, any or none (--service-exit-code-propagation)."},
	// An empty LogDriver= is left out: podman 5.8 writes an empty word there,
	// which systemd drops, so that --log-driver swallows the next flag.
	{Name: "LogDriver", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--log-driver", Doc: "Log driver of the containers (--log-driver)."},
	{Name: "LogOpt", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Strv, Flag: "--log-opt", Needs: version.V{Major: 4, Minor: 0, Patch: 0}, Doc: "Log driver options (--log-opt)."},
	{Name: "UserNS", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Emit: userMappingsEmit(false), Needs: version.V{Major: 4, Minor: 2, Patch: 0},
		Doc: "User namespace mode (--userns)."},
	{Name: "RemapUsers", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Needs: version.V{Major: 4, Minor: 2, Patch: 0}, Doc: "Deprecated: use UserNS (auto or keep-id; manual is refused)."},
	{Name: "RemapUid", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Needs: version.V{Major: 4, Minor: 2, Patch: 0}, Doc: "Deprecated: UID mapping for RemapUsers=auto or keep-id."},
	{Name: "RemapGid", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Needs: version.V{Major: 4, Minor: 2, Patch: 0}, Doc: "Deprecated: GID mapping for RemapUsers=auto or keep-id."},
	{Name: "RemapUidSize", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Needs: version.V{Major: 4, Minor: 2, Patch: 0}, Doc: "Deprecated: use UserNS=auto:size=N."},
	{Name: "Network", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitNetworks,
		Doc: "Network of the pods (--network); x.network refers to a quadlet."},
	{Name: "AutoUpdate", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Custom, Emit: emitKubeAutoUpdate, Needs: version.V{Major: 4, Minor: 1, Patch: 0},
		Doc: "podman auto-update policy, POLICY or CONTAINER/POLICY (--annotation)."},
	{Name: "ConfigMap", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitConfigMaps,
		Doc: "Kubernetes ConfigMap YAML (--configmap); relative to the unit file."},
	{Name: "PublishPort", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: All, Flag: "--publish", Needs: version.V{Major: 4, Minor: 4, Patch: 0},
		Doc: "Published port, merged with the YAML's (--publish)."},
	{Name: "PodmanArgs", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Flagless, Doc: "Extra podman kube play arguments."},
	{Name: "Yaml", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitYamls,
		Doc: "Kubernetes YAML to play; required, relative to the unit file."},
	{Name: "KubeDownForce", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Needs: kubeDownForce,
		Doc: "Remove volumes too when stopping (kube down --force)."},
	{Name: "SetWorkingDirectory", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Custom,
		Doc: "Set WorkingDirectory= to the folder of the unit (unit) or of the YAML file (yaml)."},
	{Name: "ContainersConfModule", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and kube."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME."},
}

// convertKube makes a notify service around `podman kube play`, whose
// service container reports readiness; `kube down` cleans up afterwards.
func convertKube(c *ctx) {
	if !c.has(kubeServiceContainer) {
		c.errorf("", "too-new", "a .kube unit needs podman %s or newer (kube play --service-container); the target is podman %s",
			kubeServiceContainer, c.opts.target())
	}
	yamls := c.kubeYamls()
	if len(yamls) == 0 {
		c.errorf("Yaml", "missing-key", "%v", errNoYaml)
	}
	c.defaultKillMode()
	c.svc.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	serviceType, ok := c.svc.Lookup("Service", "Type")
	if ok && serviceType != "notify" && serviceType != "oneshot" {
		c.diags.Errorf(c.svc.LastLine("Service", "Type").Pos(), "invalid-value", "invalid service Type '%s'", serviceType)
	}
	if serviceType != "oneshot" {
		c.svc.Set("Service", "Type", "notify")
		c.svc.Set("Service", "NotifyAccess", "all")
	}
	if !c.src.Has("Service", "SyslogIdentifier") {
		c.svc.Set("Service", "SyslogIdentifier", "%N")
	}

	play := c.podmanCmdCap(32)
	c.kubeVerb(play, "play")
	play.add("--replace", "--service-container=true")
	c.runKeys(play)

	down := c.podmanCmd()
	c.kubeVerb(down, "down")
	// An empty KubeDownForce= reads as false, --force=false: older podman,
	// which has no --force, gets nothing, the same.
	if force, ok := c.src.LookupBool("Kube", "KubeDownForce"); ok && c.has(kubeDownForce) {
		down.addBool("--force", force)
	}
	down.add(yamls...)

	c.exec("ExecStart", play)
	// ExecStopPost, not ExecStop: it also cleans up after a failed start.
	c.exec("ExecStopPost", down)
	// A missing Yaml= is reported above already.
	if _, err := c.setWorkingDirectory(); err != nil && !errors.Is(err, errNoYaml) {
		c.errorf("SetWorkingDirectory", "invalid-value", "%v", err)
	}
}

// kubeVerb adds `kube play` / `kube down`, or on podman before 4.3, which
// has no kube command group, the equivalent `play kube` / `play kube --down`.
func (c *ctx) kubeVerb(cmd *cmdline, verb string) {
	switch {
	case c.has(kubeCommandGroup):
		cmd.add("kube", verb)
	case verb == "down":
		cmd.add("play", "kube", "--down")
	default:
		cmd.add("play", "kube")
	}
}

// kubeYamls lists the YAML files, made absolute against the unit's folder.
func (c *ctx) kubeYamls() []string {
	var out []string
	for _, y := range c.src.Strv("Kube", "Yaml") {
		out = append(out, c.absPath(y))
	}
	return out
}

func emitYamls(c *ctx, cmd *cmdline) error {
	cmd.add(c.kubeYamls()...)
	return nil
}

func emitExitCodePropagation(c *ctx, cmd *cmdline) error {
	if how := c.lookup("ExitCodePropagation"); how != "" {
		cmd.add("--service-exit-code-propagation=" + how)
	}
	return nil
}

// emitKubeAutoUpdate turns "registry" into the pod-wide annotation and
// "web/local" into the one for container web.
func emitKubeAutoUpdate(c *ctx, cmd *cmdline) error {
	for _, policy := range c.src.Strv("Kube", "AutoUpdate") {
		annotation := autoUpdateLabel
		if container, p, ok := strings.Cut(policy, "/"); ok {
			annotation += "/" + container
			policy = p
		}
		cmd.add("--annotation=" + annotation + "=" + policy)
	}
	return nil
}

func emitConfigMaps(c *ctx, cmd *cmdline) error {
	for _, m := range c.src.Strv("Kube", "ConfigMap") {
		cmd.add("--configmap", c.absPath(m))
	}
	return nil
}
