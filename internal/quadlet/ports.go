package quadlet

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
)

// Publish is one parsed PublishPort= value.
type Publish struct {
	IP             string // "" for all interfaces
	HostLo, HostHi int    // 0 when podman picks the host port
	CtrLo, CtrHi   int
	Proto          string // tcp, udp or sctp
}

// AllInterfaces reports whether the port is bound on every address.
func (p Publish) AllInterfaces() bool {
	return p.IP == "" || p.IP == "0.0.0.0" || p.IP == "::"
}

// HostPorts describes the host side, e.g. "127.0.0.1:5432/tcp".
func (p Publish) HostPorts() string {
	r := strconv.Itoa(p.HostLo)
	if p.HostHi != p.HostLo {
		r += "-" + strconv.Itoa(p.HostHi)
	}
	ip := p.IP
	if ip == "" {
		ip = "*"
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + r + "/" + p.Proto
}

// ParsePublish reads [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL] as podman
// run does; the error says what podman refuses.
func ParsePublish(v string) (Publish, error) {
	p := Publish{Proto: "tcp"}
	if v == "" {
		return p, errors.New("empty value")
	}
	if slash := strings.LastIndexByte(v, '/'); slash >= 0 {
		p.Proto = strings.ToLower(v[slash+1:])
		v = v[:slash]
		if p.Proto != "tcp" && p.Proto != "udp" && p.Proto != "sctp" {
			return p, fmt.Errorf("unknown protocol %q (tcp, udp or sctp)", shortValue(p.Proto))
		}
	}
	var parts []string
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 || end+1 >= len(v) || v[end+1] != ':' {
			return p, errors.New("an IPv6 address in brackets must be followed by :HOST-PORT:CONTAINER-PORT")
		}
		parts = append([]string{v[1:end]}, strings.Split(v[end+2:], ":")...)
		if len(parts) != 3 {
			return p, errors.New("want [IPv6]:HOST-PORT:CONTAINER-PORT")
		}
	} else {
		parts = strings.Split(v, ":")
	}
	var host, ctr string
	switch len(parts) {
	case 1:
		ctr = parts[0]
	case 2:
		host, ctr = parts[0], parts[1]
	case 3:
		p.IP, host, ctr = parts[0], parts[1], parts[2]
		if _, err := netip.ParseAddr(p.IP); p.IP != "" && err != nil {
			return p, fmt.Errorf("%q is not an IP address", shortValue(p.IP))
		}
	default:
		return p, errors.New("too many ':'; write an IPv6 address in brackets")
	}
	var err error
	if p.CtrLo, p.CtrHi, err = publishRange(ctr); err != nil {
		return p, fmt.Errorf("container port: %v", err)
	}
	if host == "" {
		return p, nil
	}
	if p.HostLo, p.HostHi, err = publishRange(host); err != nil {
		return p, fmt.Errorf("host port: %v", err)
	}
	if p.HostHi-p.HostLo != p.CtrHi-p.CtrLo && p.HostHi != p.HostLo {
		return p, errors.New("the host and container port ranges differ in length")
	}
	return p, nil
}

// publishRange reads "8080" or "8080-8090".
func publishRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = portNumber(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = portNumber(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s ends before it starts", shortValue(s))
		}
	}
	return lo, hi, nil
}

// PortRange reads an ExposeHostPort=-style "8080" or "8080-8090".
func PortRange(s string) (lo, hi int, err error) { return publishRange(s) }

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q is not a port number", shortValue(s))
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is outside 1-65535", n)
	}
	return n, nil
}

func shortValue(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// checkPublish reports PublishPort= values podman run refuses (Strict).
func (c *ctx) checkPublish() {
	for _, l := range c.src.AllLines(c.kind.Group, "PublishPort") {
		v := unquoteValue(l.Value)
		if v == "" || strings.Contains(v, "%") {
			continue
		}
		if _, err := ParsePublish(v); err != nil {
			c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: "invalid-port",
				Message: fmt.Sprintf("PublishPort=%s: %v", shortValue(v), err),
				Hint:    "write [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL], e.g. 127.0.0.1:8080:80"})
		}
	}
}
