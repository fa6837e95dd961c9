package cli

import (
	"strings"

	"github.com/berth-dev/berth/internal/observe"
)

// executorNetworks gives, for a project `berth up` runs, the stack's
// networks the names up gives them: podman would call net.network
// "systemd-net", berth up "PROJECT-net" (run.NamePrefix). Explicit
// NetworkName= values are kept. Containers need nothing: they also answer
// to podman's names on the project's networks.
func executorNetworks(st *observe.Stack, project string) {
	prefix := executorPrefix(project)
	if prefix == "" || st == nil {
		return
	}
	rename := func(file, name string) string {
		stem := strings.TrimSuffix(file, ".network")
		if name == "systemd-"+stem {
			return prefix + stem
		}
		return name
	}
	for file, name := range st.NetworkNames {
		st.NetworkNames[file] = rename(file, name)
	}
	if !st.Created {
		st.NetworkName = rename(st.Network, st.NetworkName)
	}
}
