package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/observe"
)

// A taken port never stops the supervisor: the default falls back to a
// free loopback port (several stacks), an explicit one means no metrics.
func TestMetricsListener(t *testing.T) {
	a, _, stderr := testApp("berth", nil)
	if l := a.metricsListener("off"); l != nil {
		t.Errorf("off served on %s", l.Addr())
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if l := a.metricsListener(taken.Addr().String()); l != nil {
		l.Close()
		t.Errorf("a taken explicit address was bound")
	}
	if !strings.Contains(stderr.String(), "continuing without metrics") {
		t.Errorf("no warning: %q", stderr.String())
	}
	def, err := net.Listen("tcp", observe.DefaultMetricsAddr)
	if err != nil {
		t.Skipf("the default port is in use here: %v", err)
	}
	defer def.Close()
	stderr.Reset()
	l := a.metricsListener(observe.DefaultMetricsAddr)
	if l == nil {
		t.Fatalf("no fallback: %s", stderr.String())
	}
	defer l.Close()
	if l.Addr().String() == observe.DefaultMetricsAddr || !strings.Contains(stderr.String(), "serving metrics on "+l.Addr().String()) {
		t.Errorf("fallback %s, warning %q", l.Addr(), stderr.String())
	}
}
