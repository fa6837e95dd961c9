//go:build e2e

package doctor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EPortTaken holds a port on the real host and checks that doctor,
// with the real podman and /proc, names this very process as its holder.
func TestE2EPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	unit := fmt.Sprintf("[Container]\nContainerName=berth-e2e-doctor\nImage=localhost/none:1\nPublishPort=127.0.0.1:%d:80\n", port)
	if err := os.WriteFile(filepath.Join(dir, "web.container"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), OSHost{}, Options{Dirs: []string{dir}})
	var text strings.Builder
	_ = rep.WriteText(&text)
	t.Log("\n" + text.String())
	got := byName(rep)
	c, ok := got[fmt.Sprintf("port 127.0.0.1:%d/tcp", port)]
	if !ok {
		t.Fatalf("no port check")
	}
	want := fmt.Sprintf("(pid %d)", os.Getpid())
	if c.Status != Fail || !strings.Contains(c.Summary, want) {
		t.Errorf("port check: %+v, want a failure naming %s", c, want)
	}
	if p := got["podman"]; p.Status != OK {
		t.Errorf("podman check: %+v", p)
	}
	if s := got["service web"]; s.Status != Fail || !strings.Contains(s.Summary, "does not exist") {
		t.Errorf("service check: %+v", s)
	}
}
