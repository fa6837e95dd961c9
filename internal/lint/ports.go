package lint

import (
	"net"

	"github.com/berth-dev/berth/internal/quadlet"
)

// Publish is one parsed PublishPort= value (the compiler's reading: every
// verb parses ports alike).
type Publish = quadlet.Publish

// ParsePublish reads [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL] as podman does.
func ParsePublish(v string) (Publish, error) { return quadlet.ParsePublish(v) }

func parsePublish(v string) (Publish, error) { return quadlet.ParsePublish(v) }

func portRange(s string) (lo, hi int, err error) { return quadlet.PortRange(s) }

// overlaps reports whether two publications claim a common host port.
func overlaps(p, q Publish) bool {
	if p.HostLo == 0 || q.HostLo == 0 || p.Proto != q.Proto {
		return false
	}
	if p.HostHi < q.HostLo || q.HostHi < p.HostLo {
		return false
	}
	return p.AllInterfaces() || q.AllInterfaces() || net.ParseIP(p.IP).Equal(net.ParseIP(q.IP))
}
