package doctor

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Listener is a socket bound on the host, with the process holding it when
// it can be found.
type Listener struct {
	Proto   string // tcp or udp
	IP      net.IP
	Port    int
	Inode   string
	PID     int    // 0 when unknown
	Process string // comm of the process, "" when unknown
	Cmdline string
}

// Owner describes who holds the socket.
func (l Listener) Owner() string {
	if l.PID == 0 {
		return "an unknown process (run berth doctor as root to see other users' processes)"
	}
	s := fmt.Sprintf("%s (pid %d)", l.Process, l.PID)
	if l.Cmdline != "" && l.Cmdline != l.Process {
		s += ": " + shorten(l.Cmdline, 80)
	}
	return s
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// procNet lists the files of bound sockets and the state that means bound:
// LISTEN for TCP, unconnected for UDP.
var procNet = []struct{ file, proto, state string }{
	{"/proc/net/tcp", "tcp", "0A"}, {"/proc/net/tcp6", "tcp", "0A"},
	{"/proc/net/udp", "udp", "07"}, {"/proc/net/udp6", "udp", "07"},
}

// Listeners reads the host's bound TCP and UDP sockets from /proc/net and
// finds their processes through /proc/*/fd.
func Listeners(h Host) []Listener {
	var out []Listener
	for _, pn := range procNet {
		data, err := h.ReadFile(pn.file)
		if err != nil {
			continue
		}
		out = append(out, parseProcNet(string(data), pn.proto, pn.state)...)
	}
	owners := socketOwners(h)
	for i := range out {
		if pid, ok := owners[out[i].Inode]; ok {
			out[i].PID = pid
			comm, _ := h.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			out[i].Process = strings.TrimSpace(string(comm))
			cmd, _ := h.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			out[i].Cmdline = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

// parseProcNet reads /proc/net/{tcp,udp}{,6}: "sl local rem st ... inode".
func parseProcNet(data, proto, state string) []Listener {
	var out []Listener
	for _, line := range strings.Split(data, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != state {
			continue
		}
		addr, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		ip := parseProcIP(addr)
		if err != nil || ip == nil {
			continue
		}
		out = append(out, Listener{Proto: proto, IP: ip, Port: int(port), Inode: f[9]})
	}
	return out
}

// parseProcIP decodes the kernel's hex address: 32-bit words in host
// (little-endian) order.
func parseProcIP(s string) net.IP {
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b)
}

// socketOwners maps socket inodes to the first process holding them.
func socketOwners(h Host) map[string]int {
	owners := map[string]int{}
	pids, _ := h.ReadDir("/proc")
	for _, p := range pids {
		pid, err := strconv.Atoi(p)
		if err != nil {
			continue
		}
		fds, _ := h.ReadDir("/proc/" + p + "/fd")
		for _, fd := range fds {
			target, err := h.Readlink("/proc/" + p + "/fd/" + fd)
			if inode, ok := strings.CutPrefix(target, "socket:["); ok && err == nil {
				inode = strings.TrimSuffix(inode, "]")
				if _, seen := owners[inode]; !seen {
					owners[inode] = pid
				}
			}
		}
	}
	return owners
}

// conflicts returns the listeners that hold port/proto on an address that
// overlaps ip ("" or 0.0.0.0 for all interfaces).
func conflicts(ls []Listener, ip string, port int, proto string) []Listener {
	var out []Listener
	want := net.ParseIP(ip)
	for _, l := range ls {
		if l.Port != port || l.Proto != proto {
			continue
		}
		if want == nil || want.IsUnspecified() || l.IP.IsUnspecified() || l.IP.Equal(want) {
			out = append(out, l)
		}
	}
	return out
}
