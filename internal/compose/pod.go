package compose

import (
	"github.com/berth-dev/berth/internal/quadlet"
)

// newPod starts the project's .pod: every container joins it and shares its
// network namespace, so the pod joins the networks and publishes the ports.
func (c *conv) newPod() {
	if !c.supports(quadlet.PodKind(), "PodName") {
		c.fail("", "", "--pod needs .pod units, which the target podman's quadlet lacks", "target podman 5.0 or newer, or convert without --pod")
		return
	}
	c.pod = c.newUnit(c.podFile(), quadlet.PodKind(), "compose project "+c.p.Name)
	c.pod.set("PodName", c.p.Name)
	joined := map[string]bool{}
	for _, name := range sortedKeys(c.p.Services) {
		s := c.p.Services[name]
		for _, key := range s.NetworksByPriority() {
			if joined[key] {
				continue
			}
			joined[key] = true
			if net, ok := c.p.Networks[key]; ok && bool(net.External) {
				c.pod.set("Network", resourceName(c.p.Name, key, net.Name))
			} else if ok {
				c.pod.setRaw("Network", c.networkFile(key))
			}
		}
	}
	for _, name := range sortedKeys(c.p.Services) {
		c.keyOr(c.pod, "AddHost", name+":127.0.0.1", "--add-host")
	}
}

// podNetworking: in a pod the containers share localhost, and every
// service name resolves to it through the pod's AddHost= entries.
func (v *svc) podNetworking() {
	if v.s.NetworkMode != "" {
		v.dropped("network_mode", "containers of a pod share the pod's network", "convert without --pod")
	}
	for _, key := range v.s.NetworksByPriority() {
		cfg := v.s.Networks[key]
		if cfg != nil && (len(cfg.Aliases) > 0 || cfg.Ipv4Address != "" || cfg.Ipv6Address != "") {
			v.approx("networks."+key, "aliases and addresses are per pod, not per container, in a pod",
				"convert without --pod to keep them")
		}
	}
}
