package podman

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Stats is one container's resource usage, from podman stats.
type Stats struct {
	Name     string
	CPU      time.Duration // total CPU time the container used
	MemBytes uint64        // current memory usage
}

// Stats samples the resource usage of the named running containers with one
// `podman stats --no-stream` call, keyed by container name. Containers that
// stopped in between are absent (podman fails the whole call for a name it
// does not know, so the others are asked again without them).
func (c *Client) Stats(ctx context.Context, names ...string) (map[string]Stats, error) {
	if len(names) == 0 {
		return map[string]Stats{}, nil
	}
	out, err := c.Output(ctx, append([]string{"stats", "--no-stream", "--format", "json"}, names...)...)
	if err != nil {
		ee, ok := err.(*ExecError)
		if !ok || !strings.Contains(ee.Stderr, "no such container") && !strings.Contains(ee.Stderr, "not running") {
			return nil, err
		}
		// One of them is gone: ask for each alone, so the rest still count.
		res := map[string]Stats{}
		for _, n := range names {
			o, err := c.Output(ctx, "stats", "--no-stream", "--format", "json", n)
			if err != nil {
				continue
			}
			m, err := ParseStats(o)
			if err != nil {
				return nil, err
			}
			for k, v := range m {
				res[k] = v
			}
		}
		return res, nil
	}
	return ParseStats(out)
}

// ParseStats reads the JSON of `podman stats --no-stream --format json`.
// Podman 4 prints formatted strings (cpu_time "42.4ms", mem_usage
// "6.857MB / 25.28GB"); podman 5 prints its ContainerStats record with
// numbers (CPUNano, MemUsage). Both are understood.
func ParseStats(out []byte) (map[string]Stats, error) {
	res := map[string]Stats{}
	if len(bytes.TrimSpace(out)) == 0 {
		return res, nil
	}
	var raw []struct {
		// podman 4
		Name     string `json:"name"`
		CPUTime  string `json:"cpu_time"`
		MemUsage string `json:"mem_usage"`
		// podman 5
		Name5     string  `json:"Name"`
		CPUNano   *uint64 `json:"CPUNano"`
		MemUsage5 *uint64 `json:"MemUsage"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("podman stats: unexpected output: %v", err)
	}
	for _, r := range raw {
		s := Stats{Name: r.Name}
		if s.Name == "" {
			s.Name = r.Name5
		}
		if s.Name == "" {
			continue
		}
		if r.CPUNano != nil {
			s.CPU = time.Duration(*r.CPUNano)
		} else if d, err := time.ParseDuration(strings.TrimSpace(r.CPUTime)); err == nil {
			s.CPU = d
		}
		if r.MemUsage5 != nil {
			s.MemBytes = *r.MemUsage5
		} else {
			used, _, _ := strings.Cut(r.MemUsage, "/")
			s.MemBytes = parseHumanSize(used)
		}
		res[s.Name] = s
	}
	return res, nil
}

// parseHumanSize reads sizes as podman formats them: "6.857MB" (decimal,
// go-units HumanSize), also binary units ("6.5MiB") and plain bytes.
// Unknown text ("--") is 0.
func parseHumanSize(s string) uint64 {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || n < 0 {
		return 0
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
	}[strings.ToLower(strings.TrimSpace(s[i:]))]
	return uint64(n * mult)
}
