package cli

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/version"
)

// target is the podman version units are compiled for: --podman-version,
// else $BERTH_PODMAN_VERSION, else the installed podman's — asked once per
// run and remembered while the podman binary stays the same
// (podman.VersionCache), so that `berth compile` on a Debian 12 host emits
// units that work with its podman 4.3 — else, with no podman installed, the
// newest release berth knows. Every verb that compiles asks here, so they all agree.
func (a *app) target(ctx context.Context) version.V {
	g := &a.global
	if g.explicit || g.detected {
		return g.target
	}
	g.detected = true
	if a.probePodman == nil {
		return g.target
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if v, err := a.probePodman(ctx); err == nil && !v.IsZero() {
		g.target = v
	}
	return g.target
}

// podmanClient is the client for the podman binary the units name ($PODMAN,
// as podman's generator reads it, else podman from PATH).
func (a *app) podmanClient() *podman.Client {
	c := podman.New()
	c.Path = a.podmanBinary()
	return c
}
