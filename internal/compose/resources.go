package compose

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/internal/quadlet"
)

// convertNetwork writes a .network for a network the project creates.
// External networks get no unit: containers join them by name.
func (c *conv) convertNetwork(key string, n types.NetworkConfig) {
	if n.External {
		return
	}
	u, at := c.resourceUnit(c.networkFile(key), quadlet.NetworkKind(), key, n.Name)
	switch n.Driver {
	case "", "bridge":
	case "macvlan", "ipvlan":
		u.set("Driver", n.Driver)
	default:
		c.dropped("", at+".driver", "podman has no "+n.Driver+" network driver; a bridge network is created", "use bridge, macvlan or ipvlan")
	}
	for _, k := range sortedKeys(n.DriverOpts) {
		u.setWords("Options", k+"="+n.DriverOpts[k])
	}
	if n.Internal {
		u.set("Internal", "true")
	}
	if n.EnableIPv6 != nil && *n.EnableIPv6 {
		u.set("IPv6", "true")
	}
	if n.EnableIPv4 != nil && !*n.EnableIPv4 {
		c.dropped("", at+".enable_ipv4", "podman networks always have IPv4", "remove enable_ipv4: false")
	}
	if n.Attachable {
		c.note("", at+".attachable", "swarm-only setting; every podman network is attachable", "")
	}
	c.ipam(u, at, n.Ipam)
	for _, k := range sortedKeys(n.Labels) {
		u.setWords("Label", k+"="+n.Labels[k])
	}
	c.networkExtensions(u, at, n.Extensions)
}

func (c *conv) ipam(u *unit, at string, ipam types.IPAMConfig) {
	if ipam.Driver != "" && ipam.Driver != "default" {
		u.set("IPAMDriver", ipam.Driver)
	}
	if len(ipam.Options) > 0 {
		c.dropped("", at+".ipam.options", "podman has no IPAM driver options", "")
	}
	for _, pool := range ipam.Config {
		if pool == nil || pool.Subnet == "" {
			continue
		}
		u.set("Subnet", pool.Subnet)
		if pool.Gateway != "" {
			u.set("Gateway", pool.Gateway)
		}
		if pool.IPRange != "" {
			u.set("IPRange", pool.IPRange)
		}
		if len(pool.AuxiliaryAddresses) > 0 {
			c.dropped("", at+".ipam.config.aux_addresses", "podman cannot reserve auxiliary addresses", "pick container addresses outside them by hand")
		}
	}
}

// resourceUnit starts the unit (file) of the project's network or volume
// key (explicit: its name: value) and returns the compose key it comes from
// (at). It sets NetworkName=/VolumeName= so podman names the resource as
// compose does; older quadlets name it systemd-<file>.
func (c *conv) resourceUnit(file string, kind *quadlet.Kind, key, explicit string) (u *unit, at string) {
	what := strings.ToLower(kind.Group) // network, volume
	u = c.newUnit(file, kind, "compose "+what+" "+key+" of project "+c.p.Name)
	at = what + "s." + key
	name := resourceName(c.p.Name, key, explicit)
	nameKey := kind.Group + "Name" // NetworkName, VolumeName
	if c.supports(u.kind, nameKey) {
		u.set(nameKey, name)
		return u, at
	}
	c.approx("", at, "the target podman's quadlet cannot name it "+name+"; it is called systemd-"+stemOf(u.name),
		"refer to it through the generated unit, or target podman 4.7 or newer")
	return u, at
}

func stemOf(name string) string {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			return name[:i]
		}
	}
	return name
}

// convertVolume writes a .volume for a named volume the project creates.
func (c *conv) convertVolume(key string, v types.VolumeConfig) {
	if v.External {
		return
	}
	u, at := c.resourceUnit(c.volumeFile(key), quadlet.VolumeKind(), key, v.Name)
	opts := map[string]string{}
	for k, val := range v.DriverOpts {
		opts[k] = val
	}
	switch v.Driver {
	case "", "local":
		c.localVolumeOpts(u, at, opts)
	default:
		if c.supports(u.kind, "Driver") {
			u.set("Driver", v.Driver)
		} else {
			u.podmanArgs("--driver=" + v.Driver)
		}
		for _, k := range sortedKeys(opts) {
			u.podmanArgs("--opt=" + k + "=" + opts[k])
		}
	}
	for _, k := range sortedKeys(v.Labels) {
		u.setWords("Label", k+"="+v.Labels[k])
	}
	for _, k := range sortedKeys(v.Extensions) {
		c.note("", at+"."+k, "x- extension ignored", "")
	}
}

// localVolumeOpts maps the local driver's type/device/o to quadlet keys.
func (c *conv) localVolumeOpts(u *unit, at string, opts map[string]string) {
	if t, ok := opts["type"]; ok {
		u.set("Type", t)
		delete(opts, "type")
	}
	if d, ok := opts["device"]; ok {
		u.set("Device", d)
		delete(opts, "device")
	}
	if o, ok := opts["o"]; ok {
		u.set("Options", o)
		delete(opts, "o")
	}
	for _, k := range sortedKeys(opts) {
		u.podmanArgs("--opt=" + k + "=" + opts[k])
	}
}
