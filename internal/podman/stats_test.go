package podman

import (
	"context"
	"strings"
	"testing"
	"time"
)

// statsPodman4 is what podman 4.3.1 prints for one running container.
const statsPodman4 = `[
 {
  "id": "ba5dacfd8bab",
  "name": "berthstats-probe",
  "cpu_time": "42.426189ms",
  "cpu_percent": "1.95%",
  "avg_cpu": "1.95%",
  "mem_usage": "6.857MB / 25.28GB",
  "mem_percent": "0.03%",
  "net_io": "516B / 1.22kB",
  "block_io": "0B / 0B",
  "pids": "6"
 }
]`

const statsPodman5 = `[{"AvgCPU":1.2,"ContainerID":"abc","Name":"web","CPU":0.5,"CPUNano":2500000000,"MemUsage":7340032,"MemLimit":1000000}]`

func TestParseStats(t *testing.T) {
	m, err := ParseStats([]byte(statsPodman4))
	if err != nil {
		t.Fatal(err)
	}
	got := m["berthstats-probe"]
	if got.CPU != 42426189*time.Nanosecond || got.MemBytes != 6857000 {
		t.Errorf("podman 4: %+v", got)
	}
	m, err = ParseStats([]byte(statsPodman5))
	if err != nil {
		t.Fatal(err)
	}
	if got := m["web"]; got.CPU != 2500*time.Millisecond || got.MemBytes != 7340032 {
		t.Errorf("podman 5: %+v", got)
	}
	if _, err := ParseStats([]byte("Error: nope")); err == nil {
		t.Error("junk parsed")
	}
	for in, want := range map[string]uint64{"0B": 0, "512B": 512, "1.5kB": 1500, "2MiB": 2 << 20, "--": 0, "3GB ": 3e9} {
		if got := parseHumanSize(in); got != want {
			t.Errorf("parseHumanSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestStatsOneCallAndGoneContainers(t *testing.T) {
	stub := &Stub{}
	stub.On("podman stats --no-stream --format json a b", 0, strings.Replace(statsPodman4, "berthstats-probe", "a", 1))
	c := &Client{Runner: stub}
	m, err := c.Stats(context.Background(), "a", "b")
	if err != nil || m["a"].MemBytes != 6857000 || len(stub.Calls) != 1 {
		t.Fatalf("%v %+v %q", err, m, stub.Commands())
	}

	stub = &Stub{}
	stub.Replies = append(stub.Replies,
		Reply{Prefix: []string{"podman", "stats", "--no-stream", "--format", "json", "a", "gone"}, Code: 125,
			Stderr: `Error: unable to get list of containers: unable to look up container gone: no container with name or ID "gone" found: no such container`},
		Reply{Prefix: []string{"podman", "stats", "--no-stream", "--format", "json", "gone"}, Code: 125, Stderr: "no such container"},
		Reply{Prefix: []string{"podman", "stats", "--no-stream", "--format", "json", "a"}, Stdout: statsPodman5})
	c = &Client{Runner: stub}
	m, err = c.Stats(context.Background(), "a", "gone")
	if err != nil || len(m) != 1 || m["web"].MemBytes != 7340032 {
		t.Fatalf("%v %+v %q", err, m, stub.Commands())
	}

	stub = &Stub{}
	stub.Replies = append(stub.Replies, Reply{Prefix: []string{"podman", "stats"}, Code: 125, Stderr: "Error: stats is not supported in rootless mode without cgroups v2"})
	if _, err := (&Client{Runner: stub}).Stats(context.Background(), "a"); err == nil {
		t.Error("a real failure was swallowed")
	}
}
