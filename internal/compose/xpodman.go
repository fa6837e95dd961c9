package compose

import (
	"fmt"
	"strings"
)

// podman-compose reads some x-podman extensions; berth honours those it can
// express and reports the rest, never dropping one silently. Other x- keys
// are the user's own and only noted.

// serviceExtensions maps a service's x-podman.* keys.
func (v *svc) serviceExtensions() {
	for _, k := range sortedKeys(v.s.Extensions) {
		val := v.s.Extensions[k]
		switch k {
		case "x-podman.uidmaps", "x-podman.gidmaps":
			key, flag := "UIDMap", "--uidmap"
			if k == "x-podman.gidmaps" {
				key, flag = "GIDMap", "--gidmap"
			}
			for _, m := range extStrings(val) {
				v.keyOr(key, m, flag)
			}
		case "x-podman.rootfs":
			// image() left Image= out for it
			v.keyOr("Rootfs", fmt.Sprint(val), "--rootfs")
		case "x-podman.no_hosts":
			if extBool(val) {
				v.u.podmanArgs("--no-hosts")
			}
		case "x-podman.passwd":
			v.u.podmanArgs("--passwd=" + fmt.Sprint(extBool(val)))
		default:
			if strings.HasPrefix(k, "x-podman") {
				v.dropped(k, "berth does not know this podman-compose extension", "use the matching compose key, or PodmanArgs= in a converted unit")
			} else {
				v.note(k, "x- extension ignored", "")
			}
		}
	}
}

// serviceNetworkExtensions maps x-podman keys of a service's network entry
// to options of Network=.
func (v *svc) serviceNetworkExtensions(at string, ext map[string]any) []string {
	var opts []string
	for _, k := range sortedKeys(ext) {
		switch k {
		case "x-podman.mac_address":
			opts = append(opts, "mac="+fmt.Sprint(ext[k]))
		case "x-podman.interface_name":
			opts = append(opts, "interface_name="+fmt.Sprint(ext[k]))
		default:
			if strings.HasPrefix(k, "x-podman") {
				v.dropped(at+"."+k, "berth does not know this podman-compose extension", "")
			} else {
				v.note(at+"."+k, "x- extension ignored", "")
			}
		}
	}
	return opts
}

// networkExtensions maps a top-level network's x-podman keys.
func (c *conv) networkExtensions(u *unit, at string, ext map[string]any) {
	for _, k := range sortedKeys(ext) {
		switch k {
		case "x-podman.disable_dns":
			if extBool(ext[k]) {
				u.set("DisableDNS", "true")
			}
		case "x-podman.dns":
			for _, d := range extStrings(ext[k]) {
				c.keyOr(u, "DNS", d, "--dns")
			}
		case "x-podman.routes":
			for _, r := range extStrings(ext[k]) {
				u.podmanArgs("--route=" + r)
			}
		default:
			if strings.HasPrefix(k, "x-podman") {
				c.dropped("", at+"."+k, "berth does not know this podman-compose extension", "")
			} else {
				c.note("", at+"."+k, "x- extension ignored", "")
			}
		}
	}
}

// projectExtensions reads the top-level x-podman settings. berth's names
// and networks are docker compose's, which is what podman-compose's
// compatibility switches select; asking for podman-compose's own older
// behaviour is reported.
func (c *conv) projectExtensions() {
	for _, name := range sortedKeys(c.p.Extensions) {
		if name != "x-podman" {
			c.note("", name, "x- extension ignored", "")
			continue
		}
		m, ok := c.p.Extensions[name].(map[string]any)
		if !ok {
			c.dropped("", name, "x-podman must be a mapping", "")
			continue
		}
		for _, k := range sortedKeys(m) {
			at := "x-podman." + k
			switch k {
			case "docker_compose_compat", "name_separator_compat", "default_net_name_compat", "default_net_behavior_compat":
				if !extBool(m[k]) {
					c.approx("", at, "berth always names and networks services as docker compose does (the compatible behaviour)",
						"remove the setting")
				}
			case "in_pod":
				if extBool(m[k]) && !c.opts.Pod {
					c.approx("", at, "containers run without a pod, as with docker compose", "berth convert --pod puts them in one")
				}
			case "pod_args":
				if c.opts.Pod {
					c.dropped("", at, "the pod's settings come from the compose file, not from podman pod create arguments", "")
				}
			default:
				c.dropped("", at, "berth does not know this podman-compose setting", "")
			}
		}
	}
}

func extBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true") || b == "1" || strings.EqualFold(b, "yes")
	}
	return false
}

func extStrings(v any) []string {
	switch l := v.(type) {
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case string:
		return []string{l}
	}
	return nil
}
