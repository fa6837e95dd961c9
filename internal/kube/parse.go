package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/berth-dev/berth/internal/quadlet"
)

// maxPortRange is the largest PublishPort= range expanded into single
// ports; Kubernetes has no port ranges.
const maxPortRange = 32

// port is one published or exposed container port.
type port struct {
	HostIP   string
	HostPort int32 // 0: none (exposed only, or a random host port)
	Port     int32
	Protocol corev1.Protocol
}

// parsePublish reads a PublishPort= (or ExposeHostPort=) value with the
// compiler's parser, so that export reads it as compile checked it, and
// expands its ranges into single ports: Kubernetes has no port ranges.
func parsePublish(v string) ([]port, error) {
	p, err := quadlet.ParsePublish(strings.TrimSpace(v))
	if err != nil {
		return nil, err
	}
	ctr := portsString(p.CtrLo, p.CtrHi)
	if p.HostLo != 0 && p.HostHi-p.HostLo != p.CtrHi-p.CtrLo {
		return nil, fmt.Errorf("host range %s and container range %s differ in size", portsString(p.HostLo, p.HostHi), ctr)
	}
	if p.CtrHi-p.CtrLo >= maxPortRange {
		return nil, fmt.Errorf("range %s has more than %d ports", ctr, maxPortRange)
	}
	var out []port
	for i := 0; i <= p.CtrHi-p.CtrLo; i++ {
		pt := port{HostIP: p.IP, Port: int32(p.CtrLo + i), Protocol: corev1.Protocol(strings.ToUpper(p.Proto))}
		if p.HostLo != 0 {
			pt.HostPort = int32(p.HostLo + i)
		}
		out = append(out, pt)
	}
	return out, nil
}

// portsString is "8080", or "8080-8090" for a range.
func portsString(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}

// memoryQuantity turns podman's memory sizes (bytes, or a number with b, k,
// m, g or t, powers of 1024) into a Kubernetes quantity.
func memoryQuantity(v string) (resource.Quantity, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	suffix := map[byte]string{'k': "Ki", 'm': "Mi", 'g': "Gi", 't': "Ti"}
	q := s
	if n := len(s); n > 0 {
		switch last := s[n-1]; {
		case last == 'b':
			q = s[:n-1]
		case suffix[last] != "":
			q = s[:n-1] + suffix[last]
		}
	}
	if _, err := strconv.ParseFloat(strings.TrimRight(q, "KMGTi"), 64); err != nil {
		return resource.Quantity{}, fmt.Errorf("%q is not a memory size (bytes, or a number with k, m, g)", v)
	}
	return resource.ParseQuantity(q)
}

// seconds turns a podman duration ("5s", "1m30s", "500ms"; a bare number is
// seconds) into whole seconds, rounded up, at least 1.
func seconds(v string) (int32, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		n, err2 := strconv.ParseFloat(v, 64)
		if err2 != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 5s, 1m30s)", v)
		}
		d = time.Duration(n * float64(time.Second))
	}
	s := int32(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s, nil
}

// healthCommand reads HealthCmd= as podman does: a JSON array is the exec
// form (a leading "CMD" is dropped, "CMD-SHELL" runs the rest with sh -c);
// anything else runs with /bin/sh -c. "none" disables the check (nil).
func healthCommand(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "none") {
		return nil, nil
	}
	if !strings.HasPrefix(v, "[") {
		return []string{"/bin/sh", "-c", v}, nil
	}
	var words []string
	if err := json.Unmarshal([]byte(v), &words); err != nil {
		return nil, fmt.Errorf("not a JSON array of strings: %v", err)
	}
	if len(words) > 0 {
		switch words[0] {
		case "CMD":
			words = words[1:]
		case "CMD-SHELL":
			words = []string{"/bin/sh", "-c", strings.Join(words[1:], " ")}
		case "NONE":
			return nil, nil
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return words, nil
}

// envFile reads a file named by EnvironmentFile= the way systemd does:
// KEY=VALUE lines, # and ; comments, optional quotes around the value.
func envFile(data []byte) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return out, fmt.Errorf("line %d: no '=' (want KEY=VALUE)", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, [2]string{k, v})
	}
	return out, sc.Err()
}

// mountSpec is a Mount= value: type, source, destination and options.
type mountSpec struct {
	Type, Source, Target string
	ReadOnly             bool
	Size                 string // tmpfs-size
	Other                []string
}

// parseMount reads a Mount= value (comma-separated key=value pairs, as
// podman run --mount takes them).
func parseMount(v string) (mountSpec, error) {
	m := mountSpec{Type: "volume"}
	for _, f := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch strings.ToLower(k) {
		case "type":
			m.Type = val
		case "source", "src":
			m.Source = val
		case "destination", "dst", "target":
			m.Target = val
		case "ro", "readonly":
			m.ReadOnly = val == "" || val == "true" || val == "1"
		case "rw":
			m.ReadOnly = val == "false"
		case "tmpfs-size":
			m.Size = val
		case "":
		default:
			m.Other = append(m.Other, f)
		}
	}
	if m.Target == "" {
		return m, fmt.Errorf("no destination (want type=...,source=...,destination=...)")
	}
	return m, nil
}

// volumeSpec is a Volume= value: [SOURCE:]DESTINATION[:OPTIONS].
type volumeSpec struct {
	Source, Target string
	ReadOnly       bool
}

func parseVolume(v string) (volumeSpec, error) {
	parts := strings.Split(v, ":")
	var s volumeSpec
	switch len(parts) {
	case 1:
		s.Target = parts[0]
	case 2:
		if strings.HasPrefix(parts[1], "/") {
			s.Source, s.Target = parts[0], parts[1]
		} else {
			s.Target = parts[0]
			s.ReadOnly = hasOpt(parts[1], "ro")
		}
	case 3:
		s.Source, s.Target = parts[0], parts[1]
		s.ReadOnly = hasOpt(parts[2], "ro")
	default:
		return s, fmt.Errorf("too many colons (want SOURCE:DESTINATION[:OPTIONS])")
	}
	if !strings.HasPrefix(s.Target, "/") {
		return s, fmt.Errorf("destination %q is not an absolute path", s.Target)
	}
	return s, nil
}

func hasOpt(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}
