package quadlet

// networkKeys is the [Network] table, in the order of the arguments of
// `podman network create`. Gateway= and IPRange= are emitted with the
// Subnet= they belong to.
var networkKeys = []Key{
	{Name: "DisableDNS", Since: v("4.4.0"), Form: Bool, Flag: "--disable-dns", Doc: "Disable the DNS plugin of the network (--disable-dns)."},
	{Name: "Internal", Since: v("4.4.0"), Form: Bool, Flag: "--internal", Doc: "No access outside the network (--internal)."},
	{Name: "IPv6", Since: v("4.4.0"), Form: Bool, Flag: "--ipv6", Doc: "Enable dual-stack IPv6 (--ipv6)."},
	{Name: "Driver", Since: v("4.4.0"), Form: Last, Flag: "--driver", Doc: "Network driver: bridge, macvlan or ipvlan (--driver)."},
	{Name: "IPAMDriver", Since: v("4.4.0"), Form: Last, Flag: "--ipam-driver", Doc: "IP address management driver (--ipam-driver)."},
	{Name: "InterfaceName", Since: v("5.6.0"), Form: Last, Flag: "--interface-name", Needs: v("4.5.0"),
		Doc: "Bridge name, or host parent device for macvlan/ipvlan (--interface-name)."},
	{Name: "DNS", Since: v("4.7.0"), Form: All, Flag: "--dns", Needs: v("4.4.0"), Doc: "DNS server for containers on the network (--dns)."},
	{Name: "Subnet", Since: v("4.4.0"), Form: Custom, Emit: emitSubnets, Doc: "Subnet in CIDR notation (--subnet)."},
	{Name: "Gateway", Since: v("4.4.0"), Form: Custom, Doc: "Gateway of the Subnet= in the same place (--gateway)."},
	{Name: "IPRange", Since: v("4.4.0"), Form: Custom, Doc: "Address range of the Subnet= in the same place (--ip-range)."},
	{Name: "Options", Since: v("4.4.0"), Form: KeyVals, Flag: "--opt", Doc: "Driver options (--opt)."},
	{Name: "Label", Since: v("4.4.0"), Form: KeyVals, Flag: "--label", Doc: "Network labels (--label)."},
	{Name: "PodmanArgs", Since: v("4.6.0"), Form: Flagless, Doc: "Extra podman network create arguments."},
	{Name: "NetworkName", Since: v("4.7.0"), Form: Custom, Emit: emitNetworkName,
		Doc: "Name of the podman network; default systemd- plus the file's base name."},
	{Name: "NetworkDeleteOnStop", Since: v("5.5.0"), Form: NoArg, Doc: "Remove the network when the service stops (ExecStopPost=)."},
	{Name: "ContainersConfModule", Since: v("4.8.0"), Form: NoArg, Needs: v("4.7.0"), Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: v("4.8.0"), Form: NoArg, Doc: "Arguments between podman and network."},
	{Name: "ServiceName", Since: v("5.3.0"), Form: NoArg, Doc: "Name of the generated service; default NAME-network."},
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
