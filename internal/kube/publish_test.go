package kube

import (
	"fmt"
	"strings"
	"testing"
)

// TestParsePublish: PublishPort= values read as the compiler reads them,
// ranges expanded into single ports.
func TestParsePublish(t *testing.T) {
	for in, want := range map[string]string{
		"80":                    "[{ 0 80 TCP}]",
		"8080:80":               "[{ 8080 80 TCP}]",
		"127.0.0.1:8080:80/udp": "[{127.0.0.1 8080 80 UDP}]",
		"127.0.0.1::80":         "[{127.0.0.1 0 80 TCP}]",
		"[::1]:8080:80/sctp":    "[{::1 8080 80 SCTP}]",
		"8000-8001:80-81":       "[{ 8000 80 TCP} { 8001 81 TCP}]",
		"5000-5001":             "[{ 0 5000 TCP} { 0 5001 TCP}]",
		" 8080:80 ":             "[{ 8080 80 TCP}]",
		"8080:80/http":          "error: unknown protocol",
		"99999:80":              "error: host port",
		"8000-8002:80-81":       "error: differ",
		"8000:80-81":            "error: host range 8000 and container range 80-81 differ in size",
		"1000-1100":             "error: range 1000-1100 has more than 32 ports",
		"1.2.3.4:5:6:7":         "error: too many",
		"localhost:8080:80":     "error: not an IP address",
	} {
		ps, err := parsePublish(in)
		got := fmt.Sprint(ps)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != want && !(strings.HasPrefix(want, "error: ") && strings.HasPrefix(got, "error: ") && strings.Contains(got, want[len("error: "):])) {
			t.Errorf("parsePublish(%q) = %s; want %s", in, got, want)
		}
	}
}
