package compose

import (
	"slices"
	"strconv"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Replicas: a service with scale: N (or deploy.replicas: N) runs N
// containers, <project>-<service>-1..N as docker compose names them, each
// answering to the service's name on its networks. Replica 1 is the
// service's own unit (<project>-<service>.container); replica i > 1 is
// <project>-<service>-<i>.container, a copy that differs only in its
// container name, and the services that depend on the service depend on
// every replica.

// ReplicaFile is the quadlet file of replica i (1-based) of a service.
func ReplicaFile(p *Project, service string, i int) string {
	if i <= 1 {
		return ContainerFile(p, service)
	}
	return p.Name + "-" + service + "-" + strconv.Itoa(i) + ".container"
}

// ReplicaName is the container of replica i of a service.
func ReplicaName(p *Project, service string, i int) string {
	return p.Name + "-" + service + "-" + strconv.Itoa(i)
}

// Replicas is how many containers a service runs.
func Replicas(p *Project, service string) int {
	s, ok := p.Services[service]
	if !ok {
		return 0
	}
	return max(s.GetScale(), 1)
}

// scale adds the replicas of every scaled service once all units exist.
func (c *conv) scale() {
	for _, name := range sortedKeys(c.p.Services) {
		n := Replicas(c.p, name)
		if n <= 1 {
			continue
		}
		if c.p.Services[name].ContainerName != "" {
			c.fail(name, "container_name", "a service with "+strconv.Itoa(n)+" replicas cannot have a fixed container name",
				"remove container_name: or run one replica")
			continue
		}
		first := c.byName[c.containerFile(name)]
		text := first.f.String()
		for i := 2; i <= n; i++ {
			f, _ := unitfile.Parse(ReplicaFile(c.p, name, i), []byte(text))
			f.Set(first.kind.Group, "ContainerName", ReplicaName(c.p, name, i))
			u := &unit{name: ReplicaFile(c.p, name, i), kind: first.kind, f: f}
			c.units = append(c.units, u)
			c.byName[u.name] = u
		}
		c.dependOnReplicas(name, n)
	}
}

// dependOnReplicas makes the units that require replica 1 require the
// others too.
func (c *conv) dependOnReplicas(name string, n int) {
	first := c.containerFile(name)
	for _, u := range c.units {
		for _, rel := range []string{"Requires", "Wants"} {
			if !slices.Contains(u.f.All("Unit", rel), first) {
				continue
			}
			for i := 2; i <= n; i++ {
				if r := ReplicaFile(c.p, name, i); r != u.name {
					u.requires(rel, r)
				}
			}
		}
	}
}
