package quadlet

import "github.com/berth-dev/berth/internal/version"

// networkKeys is the [Network] table, in the order of the arguments of
// `podman network create`. Gateway= and IPRange= are emitted with the
// Subnet= they belong to.
var networkKeys = []Key{
	{Name: "DisableDNS", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--disable-dns", Doc: "Disable the DNS plugin of the network (--disable-dns)."},
	{Name: "Internal", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--internal", Doc: "No access outside the network (--internal)."},
	{Name: "IPv6", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Bool, Flag: "--ipv6", Doc: "Enable dual-stack IPv6 (--ipv6)."},
	{Name: "Driver", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Last, Flag: "--driver", Doc: "Network driver: bridge, macvlan or ipvlan (--driver)."},
	{Name: "IPAMDriver", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Last, Flag: "--ipam-driver", Doc: "IP address management driver (--ipam-driver)."},
	{Name: "InterfaceName", Since: version.V{Major: 5, Minor: 6, Patch: 0}, Form: Last, Flag: "--interface-name", Needs: version.V{Major: 4, Minor: 5, Patch: 0},
		Doc: "Bridge name, or host parent device for macvlan/ipvlan (--interface-name)."},
	{Name: "DNS", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: All, Flag: "--dns", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "DNS server for containers on the network (--dns)."},
	{Name: "Subnet", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitSubnets, Doc: "Subnet in CIDR notation (--subnet)."},
	{Name: "Gateway", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Gateway of the Subnet= in the same place (--gateway)."},
	{Name: "IPRange", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Doc: "Address range of the Subnet= in the same place (--ip-range)."},
	{Name: "Options", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--opt", Doc: "Driver options (--opt)."},
	{Name: "Label", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--label", Doc: "Network labels (--label)."},
	{Name: "PodmanArgs", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Flagless, Doc: "Extra podman network create arguments."},
	{Name: "NetworkName", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Custom, Emit: emitNetworkName,
		Doc: "Name of the podman network; default systemd- plus the file's base name."},
	{Name: "NetworkDeleteOnStop", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: NoArg, Doc: "Remove the network when the service stops (ExecStopPost=)."},
	{Name: "ContainersConfModule", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and network."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-network."},
}

// convertNetwork makes a oneshot service that creates the network unless it
// exists, and removes it on stop with NetworkDeleteOnStop=.
func convertNetwork(c *ctx) {
	name := resourceName(c.unit, c.kind.Group, "NetworkName", c.opts.namePrefix())
	if c.boolean("NetworkDeleteOnStop", false) {
		rm := c.podmanCmd()
		rm.add("network", "rm", name)
		c.exec("ExecStopPost", rm)
	}
	c.convertCreate("network", name)
}

// emitSubnets pairs the n-th Gateway= and IPRange= with the n-th Subnet=.
func emitSubnets(c *ctx, cmd *cmdline) error {
	g := c.kind.Group
	subnets, gateways, ranges := c.src.All(g, "Subnet"), c.src.All(g, "Gateway"), c.src.All(g, "IPRange")
	if len(subnets) == 0 {
		for _, key := range []string{"Gateway", "IPRange"} {
			if len(c.src.All(g, key)) > 0 {
				c.errorf(key, "missing-key", "cannot set gateway or range without subnet")
			}
		}
		return nil
	}
	if len(gateways) > len(subnets) {
		c.errorf("Gateway", "invalid-value", "cannot set more gateways than subnets")
	}
	if len(ranges) > len(subnets) {
		c.errorf("IPRange", "invalid-value", "cannot set more ranges than subnets")
	}
	for i, subnet := range subnets {
		cmd.add("--subnet", subnet)
		if i < len(gateways) {
			cmd.add("--gateway", gateways[i])
		}
		if i < len(ranges) {
			cmd.add("--ip-range", ranges[i])
		}
	}
	return nil
}

func emitNetworkName(c *ctx, cmd *cmdline) error {
	cmd.add(resourceName(c.unit, c.kind.Group, "NetworkName", c.opts.namePrefix()))
	return nil
}
