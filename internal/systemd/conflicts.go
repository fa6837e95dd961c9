package systemd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
)

// Systemd unit names and podman's names are global: two installed stacks
// must not both provide web.service, nor both name a container, network,
// volume or pod "web" (the second `podman run --replace` would destroy the
// first's container, and uninstalling one would remove the other's
// network). checkConflicts refuses such a stack before anything is
// written, naming the other stack and the file:line that sets the name.

// nameKeys are the keys that name a kind's podman object, by group.
var nameKeys = map[string]string{"Container": "ContainerName", "Network": "NetworkName", "Volume": "VolumeName", "Pod": "PodName"}

// checkConflicts refuses services or podman names another installed stack
// already has.
func checkConflicts(l Layout, stack string, res *quadlet.Result) error {
	ms, _ := Manifests(l)
	services := map[string]string{}  // service -> "stack (file)"
	resources := map[string]string{} // kind + " " + name -> "stack (file)"
	for _, m := range ms {
		if m.Stack == stack {
			continue
		}
		for _, u := range m.Units {
			who := fmt.Sprintf("stack %s (%s)", m.Stack, u.Source)
			services[u.Service] = who
			if u.Resource != "" && nameKeys[groupOf(u.Kind)] != "" {
				resources[u.Kind+" "+u.Resource] = who
			}
		}
	}
	var clashes []string
	for _, s := range res.Services {
		k := quadlet.KindOf(s.Source.Name)
		if k == nil {
			continue
		}
		if who, ok := services[s.Name]; ok {
			at, how := namedAt(s.Source, k.Group, "ServiceName")
			clashes = append(clashes, fmt.Sprintf("%s: %sservice %s is already installed by %s: rename the file or set ServiceName=",
				at, how, s.Name, who))
		}
		info := res.Infos[s.Source.Name]
		key := nameKeys[k.Group]
		if info == nil || info.ResourceName == "" || key == "" {
			continue
		}
		kind := strings.TrimPrefix(k.Ext, ".")
		if who, ok := resources[kind+" "+info.ResourceName]; ok {
			at, how := namedAt(s.Source, k.Group, key)
			clashes = append(clashes, fmt.Sprintf("%s: %s%s %q is already used by %s: set another %s= here",
				at, how, kind, info.ResourceName, who, key))
		}
	}
	if len(clashes) > 0 {
		return errors.New(strings.Join(clashes, "\n") + "\n(nothing was installed; or `berth uninstall` the other stack first)")
	}
	return nil
}

// namedAt is where a unit sets key ("file:line", and "KEY=VALUE: "), or
// the file when the name is the default one.
func namedAt(u *quadlet.Unit, group, key string) (at, how string) {
	if l := u.File.LastLine(group, key); l != nil && l.Value != "" {
		pos := l.Pos()
		if pos.File == "" {
			pos.File = u.Path
		}
		return pos.String(), key + "=" + l.Value + ": "
	}
	return diag.Pos{File: u.Path}.String(), ""
}

// groupOf is the quadlet group of a manifest kind ("container" ->
// "Container").
func groupOf(kind string) string {
	if kind == "" {
		return ""
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}
