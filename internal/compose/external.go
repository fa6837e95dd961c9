package compose

import "sort"

// External is a network or volume the compose file declares external: the
// project uses it but never creates or removes it.
type External struct {
	Kind string // "network" or "volume"
	Key  string // the key under networks: or volumes:
	Name string // podman's name for it
}

// Externals lists the project's external networks and volumes, networks
// first, each sorted by name. docker compose refuses to start when one is
// missing (podman would create a missing volume silently), so the run verbs
// check them before anything starts.
func (p *Project) Externals() []External {
	var out []External
	for _, key := range sortedKeys(p.Networks) {
		if n := p.Networks[key]; n.External {
			out = append(out, External{Kind: "network", Key: key, Name: externalName(key, n.Name)})
		}
	}
	var vols []External
	for _, key := range sortedKeys(p.Volumes) {
		if v := p.Volumes[key]; v.External {
			vols = append(vols, External{Kind: "volume", Key: key, Name: externalName(key, v.Name)})
		}
	}
	sort.SliceStable(vols, func(i, j int) bool { return vols[i].Name < vols[j].Name })
	return append(out, vols...)
}

func externalName(key, name string) string {
	if name != "" {
		return name
	}
	return key
}

// Missing is the error for an external resource that does not exist, in
// docker compose's words, with the command that creates it.
func (e External) Missing() string {
	if e.Kind == "network" {
		return "network " + e.Name + " declared as external, but could not be found (create it with `podman network create " + e.Name + "`)"
	}
	return "external volume \"" + e.Name + "\" not found (create it with `podman volume create " + e.Name + "`)"
}
