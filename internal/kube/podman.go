package kube

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// forPodman reshapes the workloads for `podman kube play`, which gives pods
// no DNS names on their network (measured with podman 4.3.1: a played pod's
// only alias is its infra container's ID) and runs no Services: the
// containers that ran side by side become one pod, where every name they
// were reached by points at 127.0.0.1 (hostAliases). Jobs stay apart. The
// waits for dependencies cannot be init containers inside one pod; they are
// reported.
func (e *exporter) forPodman() {
	var long, rest []*workload
	for _, w := range e.workloads {
		if w.kind == kindJob {
			rest = append(rest, w)
		} else {
			long = append(long, w)
		}
	}
	if len(long) < 2 {
		return
	}
	name := e.opts.Project
	if name == "" {
		name = long[0].name
	}
	pod := &workload{name: objectName(name), unit: long[0].unit, kind: kindDeployment, replicas: 1,
		labels: map[string]string{}, annotations: map[string]string{}, nameAt: map[string]Loss{}}
	hosts := map[string]bool{}
	for _, w := range long {
		e.mergeInto(pod, w, hosts)
	}
	var names []string
	for h := range hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	if len(names) > 0 {
		pod.spec.HostAliases = append(pod.spec.HostAliases, corev1.HostAlias{IP: "127.0.0.1", Hostnames: names})
	}
	e.workloads = append([]*workload{pod}, rest...)
	for unit, w := range e.byUnit {
		if w.kind != kindJob {
			e.byUnit[unit] = pod
		}
	}
}

// mergeInto moves w's containers, volumes and names into pod.
func (e *exporter) mergeInto(pod, w *workload, hosts map[string]bool) {
	ctrs := map[string]bool{}
	for _, c := range pod.spec.Containers {
		ctrs[c.Name] = true
	}
	for _, c := range w.spec.Containers {
		if ctrs[c.Name] {
			c.Name = objectName(w.name + "-" + c.Name)
		}
		for _, have := range pod.spec.Containers {
			for _, p := range have.Ports {
				for _, q := range c.Ports {
					if p.ContainerPort == q.ContainerPort && p.Protocol == q.Protocol {
						e.loss(w.unit, "", "", Dropped, "in one pod, "+c.Name+" and "+have.Name+" both listen on port "+
							itoa(q.ContainerPort), "give one of them another port")
					}
				}
			}
		}
		pod.spec.Containers = append(pod.spec.Containers, c)
	}
	for _, ic := range w.spec.InitContainers {
		if strings.HasPrefix(ic.Name, "wait-for-") {
			e.loss(w.unit, "Unit", "After", Approximated, "in one pod, "+w.name+" starts beside what it waits for ("+
				strings.TrimPrefix(ic.Name, "wait-for-")+"), not after it is ready", "")
			continue
		}
		pod.spec.InitContainers = append(pod.spec.InitContainers, ic)
	}
	for _, v := range w.spec.Volumes {
		addVolume(pod, v)
	}
	for _, h := range w.dnsNames {
		if len(validation.IsDNS1123Subdomain(h)) == 0 {
			hosts[h] = true
		} else {
			e.nameLoss(w, h, Dropped, "the name "+h+" is not a valid host name for hostAliases", "")
		}
	}
	pod.spec.HostAliases = append(pod.spec.HostAliases, w.spec.HostAliases...)
	pod.spec.HostNetwork = pod.spec.HostNetwork || w.spec.HostNetwork
	for k, v := range w.labels {
		pod.labels[k] = v
	}
	for k, v := range w.annotations {
		pod.annotations[k] = v
	}
	pod.claims = append(pod.claims, w.claims...)
	pod.dnsNames = append(pod.dnsNames, w.dnsNames...)
	for name, at := range w.nameAt {
		if _, ok := pod.nameAt[name]; !ok {
			pod.nameAt[name] = at
		}
	}
	pod.ports = append(pod.ports, w.ports...)
	if pod.restart == "" || w.restart == "always" {
		pod.restart = w.restart
	}
}
