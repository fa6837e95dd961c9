package quadlet

import (
	"slices"

	"github.com/berth-dev/berth/internal/version"
)

// UserWaitNetworkOnline is the user unit that quadlet's user services wait
// on instead of network-online.target, which only the system manager has.
const UserWaitNetworkOnline = "podman-user-wait-network-online.service"

// userWaitSince is the first podman that ships UserWaitNetworkOnline.
var userWaitSince = version.Must("5.3.0")

// SupportUnit is a unit the compiled services rely on that the target
// podman does not ship; whoever writes the services writes it too, where a
// unit the host provides takes precedence (a generator's late folder).
type SupportUnit struct {
	Name string
	Text string
}

// userWaitNetworkOnlineText does what podman 5.3's unit of that name does,
// a oneshot that ends once the system's network-online.target is active,
// with one difference: it stops waiting when the target is inactive and no
// start job for it is queued, since nothing in this boot will then bring
// it up (podman's unit waits its full 90 seconds there, delaying every
// user service). Checked under systemd 252: a queued job is waited for, an
// inactive target without one is not.
const userWaitNetworkOnlineText = `# Written by berth: podman before 5.3 does not ship this unit, on which
# quadlet's user services wait. It waits until the system manager's
# network-online.target is active, or until no start job for it is queued.
[Unit]
Description=Wait for the system's network-online.target (for user services)

[Service]
Type=oneshot
TimeoutStartSec=90s
ExecStart=/bin/sh -c 'until systemctl is-active --quiet network-online.target; do systemctl list-jobs --no-legend network-online.target | grep -q . || exit 0; sleep 0.5; done'
RemainAfterExit=yes
`

// SupportFor lists the support units services compiled with opts need on
// opts.Target.
func SupportFor(services []*Service, opts Options) []SupportUnit {
	if !opts.User || opts.Target.IsZero() || opts.Target.AtLeast(userWaitSince) {
		return nil
	}
	for _, s := range services {
		if slices.Contains(s.File.All("Unit", "Wants"), UserWaitNetworkOnline) {
			return []SupportUnit{{Name: UserWaitNetworkOnline, Text: userWaitNetworkOnlineText}}
		}
	}
	return nil
}
