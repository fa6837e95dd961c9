package compose

import (
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// networking maps networks, network_mode, ports, expose, dns and hosts.
func (v *svc) networking() {
	s := v.s
	if v.pod == nil {
		v.networkMode()
		for _, key := range s.NetworksByPriority() {
			v.joinNetwork(key, s.Networks[key])
		}
	} else {
		v.podNetworking()
	}
	for i, p := range s.Ports {
		spec := portSpec(p)
		if v.pod != nil {
			v.pod.set("PublishPort", spec)
		} else {
			v.u.set("PublishPort", spec)
		}
		if p.Name != "" || p.AppProtocol != "" {
			v.note("ports."+strconv.Itoa(i), "port name and app_protocol are metadata podman does not keep", "")
		}
	}
	for _, e := range s.Expose {
		v.u.set("ExposeHostPort", e)
	}
	v.dns()
	v.links()
}

// networkMode maps network_mode; service:NAME joins that service's unit.
func (v *svc) networkMode() {
	mode := v.s.NetworkMode
	switch {
	case mode == "":
	case strings.HasPrefix(mode, "service:"):
		other := strings.TrimPrefix(mode, "service:")
		if _, ok := v.p.Services[other]; !ok {
			v.fail("network_mode", "service "+other+" is not in the project (is its profile active?)", "enable the service or change network_mode")
			return
		}
		v.u.setRaw("Network", v.containerFile(other))
	default:
		v.u.set("Network", mode)
	}
}

// joinNetwork adds Network=NAME:alias=SERVICE,... so that the service name
// and its aliases resolve on that network only, as in compose. Network
// options (podman ≥ 4.0) work on every target, unlike NetworkAlias=.
func (v *svc) joinNetwork(key string, cfg *types.ServiceNetworkConfig) {
	net, ok := v.p.Networks[key]
	if !ok {
		v.fail("networks."+key, "network "+key+" is not declared", "declare it under the top-level networks:")
		return
	}
	target := v.networkFile(key)
	if net.External {
		target = resourceName(v.p.Name, key, net.Name)
		if net.Name == "" {
			target = key
		}
	}
	var opts []string
	if cfg.ServiceNameAliasEnabled() {
		opts = append(opts, "alias="+v.name)
	}
	if cfg != nil {
		opts = append(opts, v.networkOptions(key, cfg)...)
	}
	value := target
	if len(opts) > 0 {
		value += ":" + strings.Join(opts, ",")
	}
	if net.External {
		v.u.set("Network", value)
	} else {
		v.u.setRaw("Network", value)
	}
}

func (v *svc) networkOptions(key string, cfg *types.ServiceNetworkConfig) []string {
	var opts []string
	for _, a := range cfg.Aliases {
		if a != v.name {
			opts = append(opts, "alias="+a)
		}
	}
	if cfg.Ipv4Address != "" {
		opts = append(opts, "ip="+cfg.Ipv4Address)
	}
	if cfg.Ipv6Address != "" {
		opts = append(opts, "ip6="+cfg.Ipv6Address)
	}
	if cfg.MacAddress != "" {
		opts = append(opts, "mac="+cfg.MacAddress)
	}
	if cfg.InterfaceName != "" {
		opts = append(opts, "interface_name="+cfg.InterfaceName)
	}
	at := "networks." + key
	if len(cfg.DriverOpts) > 0 {
		v.dropped(at+".driver_opts", "podman has no per-container network driver options", "")
	}
	if len(cfg.LinkLocalIPs) > 0 {
		v.dropped(at+".link_local_ips", "podman cannot assign link-local addresses", "")
	}
	return append(opts, v.serviceNetworkExtensions(at, cfg.Extensions)...)
}

// portSpec writes a compose port as podman's --publish value.
func portSpec(p types.ServicePortConfig) string {
	var b strings.Builder
	if p.HostIP != "" {
		ip := p.HostIP
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		b.WriteString(ip + ":")
	}
	if p.Published != "" || p.HostIP != "" {
		b.WriteString(p.Published + ":")
	}
	b.WriteString(strconv.FormatUint(uint64(p.Target), 10))
	if p.Protocol != "" && p.Protocol != "tcp" {
		b.WriteString("/" + p.Protocol)
	}
	return b.String()
}

// dns maps dns, dns_search, dns_opt and extra_hosts.
func (v *svc) dns() {
	s := v.s
	for _, d := range s.DNS {
		v.keyOr("DNS", d, "--dns")
	}
	for _, d := range s.DNSSearch {
		v.keyOr("DNSSearch", d, "--dns-search")
	}
	for _, d := range s.DNSOpts {
		v.keyOr("DNSOption", d, "--dns-option")
	}
	for _, h := range sortedKeys(s.ExtraHosts) {
		for _, ip := range s.ExtraHosts[h] {
			v.keyOr("AddHost", h+":"+ip, "--add-host")
		}
	}
}

// links: on a shared network every service resolves by name already.
func (v *svc) links() {
	for i, l := range v.s.Links {
		target, alias, hasAlias := strings.Cut(l, ":")
		if hasAlias && alias != target {
			v.approx("links."+strconv.Itoa(i), "link alias "+alias+" for "+target+" is not created",
				"add "+alias+" to the aliases of "+target+" on a shared network")
		}
	}
	if len(v.s.ExternalLinks) > 0 {
		v.dropped("external_links", "podman has no links to containers outside the project", "join a shared external network instead")
	}
}
