package cli

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/systemd"
	"github.com/berth-dev/berth/internal/version"
)

// generatorTarget is the podman version a generator run compiles for. Run
// by systemd (through the berth-system-generator or berth-user-generator
// link `berth install` makes), berth gets no flags and no environment of the
// user's, so unless a version was given it asks the installed podman: units
// for a podman 4.3 host must not use flags only newer podmans have.
func (a *app) generatorTarget() version.V {
	if !isGeneratorName(a.argv0) || a.global.podmanVersion != "" {
		return a.global.target
	}
	if a.env.LookupEnv != nil {
		if v, ok := a.env.LookupEnv("BERTH_PODMAN_VERSION"); ok && v != "" {
			return a.global.target
		}
	}
	podman := a.podmanBinary()
	if podman == "" {
		podman = "podman"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v, err := systemd.PodmanVersion(ctx, systemd.ExecRunner{}, podman); err == nil {
		return v
	}
	return a.global.target
}
