package lint

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
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

// ParsePublish reads [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL] as podman does.
func ParsePublish(v string) (Publish, error) { return parsePublish(v) }

func parsePublish(v string) (Publish, error) {
	p := Publish{Proto: "tcp"}
	if v == "" {
		return p, errors.New("empty value")
	}
	if slash := strings.LastIndexByte(v, '/'); slash >= 0 {
		p.Proto = strings.ToLower(v[slash+1:])
		v = v[:slash]
		if p.Proto != "tcp" && p.Proto != "udp" && p.Proto != "sctp" {
			return p, fmt.Errorf("unknown protocol %q (tcp, udp or sctp)", short(p.Proto))
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
		if p.IP != "" && net.ParseIP(p.IP) == nil {
			return p, fmt.Errorf("%q is not an IP address", short(p.IP))
		}
	default:
		return p, errors.New("too many ':'; write an IPv6 address in brackets")
	}
	var err error
	if p.CtrLo, p.CtrHi, err = portRange(ctr); err != nil {
		return p, fmt.Errorf("container port: %v", err)
	}
	if host == "" {
		return p, nil
	}
	if p.HostLo, p.HostHi, err = portRange(host); err != nil {
		return p, fmt.Errorf("host port: %v", err)
	}
	if p.HostHi-p.HostLo != p.CtrHi-p.CtrLo && p.HostHi != p.HostLo {
		return p, errors.New("the host and container port ranges differ in length")
	}
	return p, nil
}

// portRange reads "8080" or "8080-8090".
func portRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = port(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = port(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s ends before it starts", short(s))
		}
	}
	return lo, hi, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q is not a port number", short(s))
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is outside 1-65535", n)
	}
	return n, nil
}

// overlaps reports whether two publications claim a common host port.
func (p Publish) overlaps(q Publish) bool {
	if p.HostLo == 0 || q.HostLo == 0 || p.Proto != q.Proto {
		return false
	}
	if p.HostHi < q.HostLo || q.HostHi < p.HostLo {
		return false
	}
	return p.AllInterfaces() || q.AllInterfaces() || net.ParseIP(p.IP).Equal(net.ParseIP(q.IP))
}
