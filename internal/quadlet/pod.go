package quadlet

import "github.com/berth-dev/berth/internal/version"

// Podman CLI features that change what berth emits for .pod units.
var (
	podInfraName = version.V{Major: 3, Minor: 3, Patch: 0} // pod create --infra-name
	podDNSOption = version.V{Major: 4, Minor: 3, Patch: 0} // pod create --dns-option; before, the same flag was --dns-opt
)

// podKeys is the [Pod] table, in the order the arguments of
// `podman pod create` (ExecStartPre=) are emitted.
var podKeys = []Key{
	{Name: "ExitPolicy", Since: version.V{Major: 5, Minor: 6, Patch: 0}, Form: Custom, Emit: emitExitPolicy, Needs: podExitPolicy,
		Doc: "What the pod does when its last container exits: stop (default) or continue (--exit-policy)."},
	{Name: "UserNS", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Emit: userMappingsEmit(true), Needs: version.V{Major: 3, Minor: 4, Patch: 0},
		Doc: "User namespace mode (--userns)."},
	{Name: "UIDMap", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "UID mapping (--uidmap)."},
	{Name: "GIDMap", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "GID mapping (--gidmap)."},
	{Name: "SubUIDMap", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Named /etc/subuid mapping (--subuidname)."},
	{Name: "SubGIDMap", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Named /etc/subgid mapping (--subgidname)."},
	{Name: "RemapUsers", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Deprecated: use UserNS."},
	{Name: "RemapUid", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Deprecated: use UIDMap."},
	{Name: "RemapGid", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Deprecated: use GIDMap."},
	{Name: "RemapUidSize", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Needs: version.V{Major: 3, Minor: 4, Patch: 0}, Doc: "Deprecated: use UserNS=auto:size=N."},
	{Name: "PublishPort", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: All, Flag: "--publish", Doc: "Published port (--publish)."},
	{Name: "Label", Since: version.V{Major: 5, Minor: 6, Patch: 0}, Form: KeyVals, Flag: "--label", Doc: "Pod labels (--label)."},
	{Name: "Network", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Custom, Emit: emitNetworks,
		Doc: "Network to join (--network); x.network and x.container refer to quadlets."},
	{Name: "IP", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Last, Flag: "--ip", Doc: "Static IPv4 address (--ip)."},
	{Name: "IP6", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Last, Flag: "--ip6", Needs: version.V{Major: 4, Minor: 0, Patch: 0}, Doc: "Static IPv6 address (--ip6)."},
	{Name: "ShmSize", Since: version.V{Major: 5, Minor: 4, Patch: 0}, Form: Last, Flag: "--shm-size", Needs: version.V{Major: 4, Minor: 2, Patch: 0}, Doc: "Size of /dev/shm (--shm-size)."},
	{Name: "NetworkAlias", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--network-alias", Doc: "Network-scoped alias (--network-alias)."},
	{Name: "DNS", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: All, Flag: "--dns", Doc: "DNS server (--dns)."},
	{Name: "DNSOption", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: Custom, Emit: emitPodDNSOption, Doc: "DNS option (--dns-option)."},
	{Name: "DNSSearch", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: All, Flag: "--dns-search", Doc: "DNS search domain (--dns-search)."},
	{Name: "AddHost", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: All, Flag: "--add-host", Doc: "Extra /etc/hosts entry (--add-host)."},
	{Name: "HostName", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: All, Flag: "--hostname", Doc: "Host name of the pod's containers (--hostname)."},
	{Name: "Volume", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Custom, Emit: emitVolumes, Needs: version.V{Major: 4, Minor: 0, Patch: 0},
		Doc: "Volume or bind mount for every container (-v); x.volume refers to a quadlet."},
	{Name: "PodName", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Custom, Emit: emitPodName,
		Doc: "Name of the podman pod; default systemd-NAME."},
	{Name: "PodmanArgs", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: Flagless, Doc: "Extra podman pod create arguments."},
	{Name: "StopTimeout", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Custom, Doc: "Seconds to wait for the pod to stop (pod stop --time); default 10."},
	{Name: "ContainersConfModule", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 5, Minor: 0, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and pod."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-pod."},
}

// convertPod makes a forking service: ExecStartPre creates the pod, whose
// infra container's conmon is the main process (PIDFile=).
func convertPod(c *ctx) {
	name := c.info.ResourceName
	// Containers are converted before pods, so those that start with this
	// one are known: podman lists them first in [Unit]. finishPod adds only
	// those registered later, which the conversion order rules out today.
	for _, s := range c.info.podStarts {
		c.svc.Add("Unit", "Wants", s)
		c.svc.Add("Unit", "Before", s)
	}
	c.info.podStarts = nil
	if !c.src.Has("Service", "SyslogIdentifier") {
		c.svc.Set("Service", "SyslogIdentifier", "%N")
	}
	start := c.podmanCmd()
	start.add("pod", "start", name)
	c.exec("ExecStart", start)

	timeout, ok := c.src.Lookup("Pod", "StopTimeout")
	if !ok {
		timeout = "10"
	}
	stop := c.podmanCmd()
	stop.add("pod", "stop", "--ignore", "--time="+timeout, name)
	c.exec("ExecStop", stop)

	rm := c.podmanCmd()
	rm.add("pod", "rm", "--ignore", "--force", name)
	c.exec("ExecStopPost", rm)

	create := c.podmanCmdCap(32)
	create.add("pod", "create", "--infra-conmon-pidfile=%t/%N.pid", "--replace")
	c.runKeys(create)
	c.exec("ExecStartPre", create)

	c.svc.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	c.svc.Set("Service", "Type", "forking")
	if !c.has(podman6) {
		c.svc.Set("Service", "Restart", "on-failure")
		c.svc.Set("Service", "PIDFile", "%t/%N.pid")
		return
	}
	// podman 6 keeps the pod's own Restart= ([Service] Restart=always
	// restarts a pod whose containers all exited cleanly).
	c.svc.Set("Service", "PIDFile", "%t/%N.pid")
	if _, ok := c.src.Lookup("Service", "Restart"); !ok {
		c.svc.Set("Service", "Restart", "on-failure")
	}
}

// emitPodName names the pod and its infra container. Podman before 3.3
// cannot name the infra container and picks a name itself.
func emitPodName(c *ctx, cmd *cmdline) error {
	name := c.info.ResourceName
	if c.has(podInfraName) {
		cmd.add("--infra-name", name+"-infra")
	}
	cmd.add("--name", name)
	return nil
}

// emitPodDNSOption uses --dns-opt, the same flag's name before podman 4.3.
func emitPodDNSOption(c *ctx, cmd *cmdline) error {
	flag := "--dns-option"
	if !c.has(podDNSOption) {
		flag = "--dns-opt"
	}
	for _, opt := range c.src.All("Pod", "DNSOption") {
		cmd.add(flag, opt)
	}
	return nil
}
