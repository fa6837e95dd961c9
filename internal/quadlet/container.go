package quadlet

import (
	"fmt"
	"github.com/berth-dev/berth/internal/version"
	"regexp"
	"strings"
	"sync"
)

// containerKeys is the [Container] table, in the order the arguments of
// `podman run` are emitted.
var containerKeys = []Key{
	{Name: "ContainerName", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitRunPrefix,
		Doc: "Name of the podman container; default systemd-%N."},
	{Name: "LogDriver", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--log-driver", Doc: "Log driver (--log-driver)."},
	{Name: "LogOpt", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Strv, Flag: "--log-opt", Doc: "Log driver options (--log-opt)."},
	{Name: "CgroupsMode", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Emit: emitCgroups,
		Doc: "Cgroups mode (--cgroups); default split."},
	{Name: "Entrypoint", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Custom, Emit: emitEntrypoint,
		Doc: "Override the image entrypoint (--entrypoint); empty clears it."},
	{Name: "Timezone", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Last, Flag: "--tz", Doc: "Timezone (--tz)."},
	{Name: "PidsLimit", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Last, Flag: "--pids-limit", Doc: "Process limit (--pids-limit)."},
	{Name: "ShmSize", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Last, Flag: "--shm-size", Doc: "Size of /dev/shm (--shm-size)."},
	{Name: "WorkingDir", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Last, Flag: "--workdir", Doc: "Working directory inside the container (--workdir)."},
	{Name: "IP", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--ip", Doc: "Static IPv4 address (--ip)."},
	{Name: "IP6", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--ip6", Doc: "Static IPv6 address (--ip6)."},
	{Name: "HostName", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Last, Flag: "--hostname", Doc: "Host name (--hostname)."},
	{Name: "StopSignal", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Last, Flag: "--stop-signal", Doc: "Stop signal (--stop-signal)."},
	{Name: "StopTimeout", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Last, Flag: "--stop-timeout", Doc: "Seconds to wait before killing (--stop-timeout)."},
	{Name: "Pull", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Last, Flag: "--pull", Doc: "Image pull policy (--pull)."},
	{Name: "Memory", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--memory", Doc: "Memory limit (--memory)."},
	{Name: "Retry", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry", Needs: version.V{Major: 5, Minor: 0, Patch: 0}, Doc: "Pull retries (--retry)."},
	{Name: "RetryDelay", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry-delay", Needs: version.V{Major: 5, Minor: 0, Patch: 0}, Doc: "Delay between pull retries (--retry-delay)."},
	{Name: "NetworkAlias", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--network-alias", Doc: "Network-scoped alias (--network-alias)."},
	{Name: "Ulimit", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: All, Flag: "--ulimit", Doc: "Resource limit (--ulimit)."},
	{Name: "DNS", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: All, Flag: "--dns", Doc: "DNS server (--dns)."},
	{Name: "DNSOption", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: All, Flag: "--dns-option", Doc: "DNS option (--dns-option)."},
	{Name: "DNSSearch", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: All, Flag: "--dns-search", Doc: "DNS search domain (--dns-search)."},
	{Name: "GroupAdd", Since: version.V{Major: 5, Minor: 1, Patch: 0}, Form: All, Flag: "--group-add", Doc: "Supplementary group (--group-add)."},
	{Name: "AddHost", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: All, Flag: "--add-host", Doc: "Extra /etc/hosts entry (--add-host)."},
	{Name: "Tmpfs", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: All, Flag: "--tmpfs", Doc: "tmpfs mount (--tmpfs)."},
	{Name: "RunInit", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--init", Doc: "Run an init inside the container (--init)."},
	{Name: "EnvironmentHost", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--env-host", Doc: "Pass the host environment (--env-host)."},
	{Name: "HttpProxy", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Bool, Flag: "--http-proxy", Doc: "Pass proxy variables (--http-proxy)."},
	{Name: "ReadOnlyTmpfs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Bool, Flag: "--read-only-tmpfs", Doc: "tmpfs on /tmp etc. with ReadOnly (--read-only-tmpfs)."},
	{Name: "Network", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitNetworks,
		Doc: "Network to join (--network); x.network and x.container refer to quadlets."},
	{Name: "Notify", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitNotify,
		Doc: "sd_notify source: no (conmon), yes (the container), healthy (the health check)."},
	{Name: "NoNewPrivileges", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitSecurity,
		Doc: "Forbid gaining privileges (--security-opt=no-new-privileges)."},
	{Name: "SecurityLabelDisable", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Doc: "--security-opt label=disable."},
	{Name: "SecurityLabelNested", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Custom, Doc: "--security-opt label=nested."},
	{Name: "SecurityLabelType", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Doc: "--security-opt label=type:TYPE."},
	{Name: "SecurityLabelFileType", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Doc: "--security-opt label=filetype:TYPE."},
	{Name: "SecurityLabelLevel", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Doc: "--security-opt label=level:LEVEL."},
	{Name: "AppArmor", Since: version.V{Major: 5, Minor: 8, Patch: 0}, Form: Custom, Doc: "--security-opt apparmor=PROFILE."},
	{Name: "AddDevice", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitDevices,
		Doc: "Device to add (--device); a leading - skips a missing device."},
	{Name: "SeccompProfile", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitSeccomp, Doc: "--security-opt seccomp=PATH."},
	{Name: "DropCapability", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitCaps, Doc: "Capabilities to drop (--cap-drop)."},
	{Name: "AddCapability", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Capabilities to add (--cap-add)."},
	{Name: "Sysctl", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Strv, Flag: "--sysctl", Doc: "Namespaced kernel parameter (--sysctl)."},
	{Name: "ReadOnly", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--read-only", Doc: "Read-only root file system (--read-only)."},
	{Name: "VolatileTmp", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolatileTmp, Doc: "Deprecated: tmpfs on /tmp."},
	{Name: "User", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitUser, Doc: "User to run as (--user)."},
	{Name: "Group", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Group to run as, with User."},
	{Name: "UserNS", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Emit: userMappingsEmit(true), Doc: "User namespace mode (--userns)."},
	{Name: "UIDMap", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Doc: "UID mapping (--uidmap)."},
	{Name: "GIDMap", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Doc: "GID mapping (--gidmap)."},
	{Name: "SubUIDMap", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Doc: "--subuidname."},
	{Name: "SubGIDMap", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Doc: "--subgidname."},
	{Name: "RemapUsers", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Deprecated: use UserNS."},
	{Name: "RemapUid", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Deprecated: use UIDMap."},
	{Name: "RemapGid", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Deprecated: use GIDMap."},
	{Name: "RemapUidSize", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Deprecated: use UserNS=auto:size=N."},
	{Name: "Volume", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolumes,
		Doc: "Volume or bind mount (-v); x.volume refers to a quadlet."},
	{Name: "AutoUpdate", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Custom, Emit: emitAutoUpdate,
		Doc: "podman auto-update policy (label io.containers.autoupdate)."},
	{Name: "ExposeHostPort", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitExpose, Doc: "Exposed port (--expose)."},
	{Name: "PublishPort", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: All, Flag: "--publish", Doc: "Published port (--publish)."},
	{Name: "Environment", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--env", Doc: "Environment variables (--env)."},
	{Name: "Label", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--label", Doc: "Container labels (--label)."},
	{Name: "Annotation", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--annotation", Doc: "OCI annotations (--annotation)."},
	{Name: "Mask", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Custom, Emit: emitMasks, Doc: "Paths to mask (--security-opt mask=)."},
	{Name: "Unmask", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Custom, Doc: "Paths to unmask (--security-opt unmask=)."},
	{Name: "EnvironmentFile", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitEnvFiles,
		Doc: "File of environment variables (--env-file); relative to the unit file."},
	{Name: "Secret", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Words, Flag: "--secret", Doc: "Podman secret to expose (--secret)."},
	{Name: "Mount", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Emit: emitMounts, Doc: "Mount (--mount); source=x.volume/x.image refer to quadlets."},
	{Name: "HealthCmd", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-cmd", Doc: "Health check command (--health-cmd)."},
	{Name: "HealthInterval", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-interval", Doc: "--health-interval."},
	{Name: "HealthOnFailure", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-on-failure", Needs: version.V{Major: 4, Minor: 3, Patch: 0}, Doc: "--health-on-failure."},
	{Name: "HealthLogDestination", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Last, Flag: "--health-log-destination", Needs: version.V{Major: 5, Minor: 3, Patch: 0}, Doc: "--health-log-destination."},
	{Name: "HealthMaxLogCount", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Last, Flag: "--health-max-log-count", Needs: version.V{Major: 5, Minor: 3, Patch: 0}, Doc: "--health-max-log-count."},
	{Name: "HealthMaxLogSize", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Last, Flag: "--health-max-log-size", Needs: version.V{Major: 5, Minor: 3, Patch: 0}, Doc: "--health-max-log-size."},
	{Name: "HealthRetries", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-retries", Doc: "--health-retries."},
	{Name: "HealthStartPeriod", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-start-period", Doc: "--health-start-period."},
	{Name: "HealthTimeout", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-timeout", Doc: "--health-timeout."},
	{Name: "HealthStartupCmd", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-startup-cmd", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "--health-startup-cmd."},
	{Name: "HealthStartupInterval", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-startup-interval", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "--health-startup-interval."},
	{Name: "HealthStartupRetries", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-startup-retries", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "--health-startup-retries."},
	{Name: "HealthStartupSuccess", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-startup-success", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "--health-startup-success."},
	{Name: "HealthStartupTimeout", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Last, Flag: "--health-startup-timeout", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "--health-startup-timeout."},
	{Name: "Pod", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Custom, Emit: emitPod, Doc: "Quadlet pod to join (--pod); x.pod."},
	{Name: "StartWithPod", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Doc: "Start with the pod (default yes)."},
	{Name: "PodmanArgs", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Flagless, Doc: "Extra podman run arguments."},
	{Name: "Image", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitImage, Doc: "Image to run; x.image or x.build refer to quadlets."},
	{Name: "Rootfs", Since: version.V{Major: 4, Minor: 5, Patch: 0}, Form: Custom, Doc: "Root file system instead of an image (--rootfs)."},
	{Name: "Exec", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitExec, Doc: "Command and arguments after the image."},
	{Name: "ContainersConfModule", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and run."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service."},
	{Name: "ReloadCmd", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: NoArg, Doc: "ExecReload= runs this in the container."},
	{Name: "ReloadSignal", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: NoArg, Doc: "ExecReload= sends this signal."},
}

var killModes = map[string]bool{"mixed": true, "control-group": true}

func convertContainer(c *ctx) {
	image, rootfs := c.lookup("Image"), c.lookup("Rootfs")
	switch {
	case image == "" && rootfs == "":
		c.errorf("", "missing-key", "no Image or Rootfs key specified")
		return
	case image != "" && rootfs != "":
		c.errorf("Rootfs", "conflicting-keys", "the Image And Rootfs keys conflict can not be specified together")
		return
	case image != "":
		resolved, err := c.imageSource(image)
		if err != nil {
			c.errorf("Image", "invalid-value", "%v", err)
			return
		}
		c.image = resolved
	}
	name := c.containerName()
	c.svc.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	if km, ok := c.svc.Lookup("Service", "KillMode"); !ok || !killModes[km] {
		if ok {
			c.diags.Errorf(c.svc.LastLine("Service", "KillMode").Pos(), "invalid-value", "invalid KillMode '%s'", km)
			return
		}
		c.svc.Set("Service", "KillMode", "mixed")
	}
	stop := c.podmanCmd()
	stop.add("rm", "-v", "-f", "-i", name)
	c.exec("ExecStop", stop)
	stop.args[0] = "-" + stop.args[0]
	c.exec("ExecStopPost", stop)
	c.execReload(name)

	c.svc.Add("Service", "Delegate", "yes")
	if t, ok := c.svc.Lookup("Service", "Type"); ok && t != "notify" && t != "oneshot" {
		c.diags.Errorf(c.svc.LastLine("Service", "Type").Pos(), "invalid-value", "invalid service Type '%s'", t)
		return
	}
	run := c.podmanCmdCap(48)
	c.runKeys(run)
	if c.failed() {
		return
	}
	if !c.src.Has("Service", "SyslogIdentifier") {
		c.svc.Set("Service", "SyslogIdentifier", "%N")
	}
	c.exec("ExecStart", run)
	c.healthGate(name)
}

// runKeys walks the key table in order, emitting each key's arguments.
func (c *ctx) runKeys(cmd *cmdline) {
	for i := range c.kind.keys.Keys {
		k := &c.kind.keys.Keys[i]
		if k.Emit != nil {
			if err := k.Emit(c, cmd); err != nil {
				c.errorf(k.Name, "invalid-value", "%v", err)
			}
			continue
		}
		if k.Form != Custom && k.Form != NoArg && c.assigned[i] {
			c.emitGeneric(k, cmd)
		}
	}
}

// execReload adds ExecReload= for ReloadCmd= or ReloadSignal=.
func (c *ctx) execReload(name string) {
	sig := c.lookup("ReloadSignal")
	if sig == "" && !c.present("ReloadCmd") {
		return
	}
	words, hasCmd, err := c.src.LastArgs(c.kind.Group, "ReloadCmd")
	if err != nil {
		c.quotingWarning(c.pos("ReloadCmd"), "ReloadCmd", err)
	}
	hasCmd = hasCmd && len(words) > 0
	switch {
	case hasCmd && sig != "":
		c.errorf("ReloadSignal", "conflicting-keys", "ReloadCmd and ReloadSignal are mutually exclusive but both are set")
	case hasCmd:
		cmd := c.podmanCmd()
		cmd.add("exec", name)
		cmd.add(words...)
		c.exec("ExecReload", cmd)
	case sig != "":
		cmd := c.podmanCmd()
		cmd.add("kill", "--signal", sig, name)
		c.exec("ExecReload", cmd)
	}
}

func (c *ctx) lookup(key string) string {
	if !c.present(key) {
		return ""
	}
	val, _ := c.src.Lookup(c.kind.Group, key)
	return val
}

func (c *ctx) boolean(key string, def bool) bool {
	if !c.present(key) {
		return def
	}
	if b, ok := c.src.LookupBool(c.kind.Group, key); ok {
		return b
	}
	return def
}

func emitRunPrefix(c *ctx, cmd *cmdline) error {
	cmd.add("run", "--name", c.containerName(), "--replace", "--rm")
	return nil
}

func emitCgroups(c *ctx, cmd *cmdline) error {
	if mode := c.lookup("CgroupsMode"); mode != "" {
		cmd.add("--cgroups", mode)
	} else {
		cmd.add("--cgroups=split")
	}
	return nil
}

func emitEntrypoint(c *ctx, cmd *cmdline) error {
	if !c.present("Entrypoint") {
		return nil
	}
	if val, ok := c.src.Lookup("Container", "Entrypoint"); ok {
		cmd.add("--entrypoint=" + val)
	}
	return nil
}

func emitNotify(c *ctx, cmd *cmdline) error {
	if t, _ := c.svc.Lookup("Service", "Type"); t == "oneshot" {
		return nil
	}
	notify := c.lookup("Notify")
	switch {
	case strings.EqualFold(notify, "healthy"):
		if c.has(sdnotifyHealthy) {
			cmd.add("--sdnotify=healthy")
		} else {
			// Older podman: conmon says READY when the container runs and
			// ExecStartPost waits for the health check (see healthGate).
			cmd.add("--sdnotify=conmon")
		}
	case c.boolean("Notify", false):
		cmd.add("--sdnotify=container")
	default:
		cmd.add("--sdnotify=conmon")
	}
	c.svc.Set("Service", "Type", "notify")
	c.svc.Set("Service", "NotifyAccess", "all")
	cmd.add("-d")
	return nil
}

func emitSecurity(c *ctx, cmd *cmdline) error {
	if c.boolean("NoNewPrivileges", false) {
		cmd.add("--security-opt=no-new-privileges")
	}
	if c.boolean("SecurityLabelDisable", false) {
		cmd.add("--security-opt", "label=disable")
	}
	if c.boolean("SecurityLabelNested", false) {
		cmd.add("--security-opt", "label=nested")
	}
	for _, opt := range []struct{ key, format string }{
		{"SecurityLabelType", "label=type:%s"},
		{"SecurityLabelFileType", "label=filetype:%s"},
		{"SecurityLabelLevel", "label=level:%s"},
		{"AppArmor", "apparmor=%s"},
	} {
		if val := c.lookup(opt.key); val != "" {
			cmd.add("--security-opt", fmt.Sprintf(opt.format, val))
		}
	}
	return nil
}

func emitDevices(c *ctx, cmd *cmdline) error {
	for _, dev := range c.strv("AddDevice") {
		if strings.HasPrefix(dev, "-") {
			dev = dev[1:]
			host, _, _ := strings.Cut(dev, ":")
			if c.opts.Exists != nil && !c.opts.Exists(host) {
				continue
			}
		}
		cmd.add("--device", dev)
	}
	return nil
}

func emitSeccomp(c *ctx, cmd *cmdline) error {
	if !c.present("SeccompProfile") {
		return nil
	}
	if val, ok := c.src.Lookup("Container", "SeccompProfile"); ok {
		cmd.add("--security-opt", "seccomp="+val)
	}
	return nil
}

func emitCaps(c *ctx, cmd *cmdline) error {
	for _, capName := range c.strv("DropCapability") {
		cmd.add("--cap-drop", strings.ToLower(capName))
	}
	for _, capName := range c.strv("AddCapability") {
		cmd.add("--cap-add", strings.ToLower(capName))
	}
	return nil
}

func emitVolatileTmp(c *ctx, cmd *cmdline) error {
	if c.boolean("VolatileTmp", false) && !c.boolean("ReadOnly", false) {
		cmd.add("--tmpfs", "/tmp:rw,size=512M,mode=1777")
	}
	return nil
}

func emitUser(c *ctx, cmd *cmdline) error {
	user, group := c.lookup("User"), c.lookup("Group")
	switch {
	case user == "" && group != "":
		c.errorf("Group", "missing-key", "invalid Group set without User")
	case user != "" && group != "":
		cmd.add("--user", user+":"+group)
	case user != "":
		cmd.add("--user", user)
	}
	return nil
}

func emitAutoUpdate(c *ctx, cmd *cmdline) error {
	if val := c.lookup("AutoUpdate"); val != "" {
		cmd.add("--label", "io.containers.autoupdate="+val)
	}
	return nil
}

// portRange is podman's check of an ExposeHostPort= value, compiled on
// first use: a package-level regexp costs every generator run its compile
// time at start-up (~0.3 M instructions each), used or not.
var portRange = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\d+(-\d+)?(/udp|/tcp)?$`) })

func emitExpose(c *ctx, cmd *cmdline) error {
	if !c.present("ExposeHostPort") {
		return nil
	}
	for _, l := range c.src.AllLines("Container", "ExposeHostPort") {
		port := strings.TrimSpace(l.Value)
		if !portRange().MatchString(port) {
			c.diags.Errorf(l.Pos(), "invalid-value", "invalid port format '%s'", port)
			continue
		}
		cmd.add("--expose", port)
	}
	return nil
}

func emitMasks(c *ctx, cmd *cmdline) error {
	for _, m := range c.args("Mask") {
		cmd.add("--security-opt", "mask="+m)
	}
	for _, m := range c.args("Unmask") {
		cmd.add("--security-opt", "unmask="+m)
	}
	return nil
}

func emitEnvFiles(c *ctx, cmd *cmdline) error {
	for _, f := range c.args("EnvironmentFile") {
		cmd.add("--env-file", c.absPath(f))
	}
	return nil
}

func emitImage(c *ctx, cmd *cmdline) error {
	if c.image == "" {
		cmd.add("--rootfs", c.lookup("Rootfs"))
		return nil
	}
	cmd.add(c.image)
	return nil
}

func emitExec(c *ctx, cmd *cmdline) error {
	words, ok, err := c.src.LastArgs("Container", "Exec")
	if err != nil {
		c.quotingWarning(c.pos("Exec"), "Exec", err)
	}
	if ok {
		cmd.add(words...)
	}
	return nil
}
