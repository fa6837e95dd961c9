//go:build e2e

// One lock per project (issue 11, item 3): up and down racing leave no
// supervisor behind, and up -d never starts a second one.
package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// supervisors lists the PIDs of `berth ... supervise` processes of the
// stack's folder, read from /proc (not from berth's own records, which
// the bug deleted).
func (s *stStack) supervisors() []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
		if len(args) > 0 && args[len(args)-1] == "supervise" || containsSeq(args, "supervise") {
			if containsSeq(args, s.dir) {
				if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
}

func containsSeq(args []string, w string) bool {
	for _, a := range args {
		if a == w {
			return true
		}
	}
	return false
}

// A stack whose up takes ~2 s: a web server healthy after 1.5 s gates its
// dependant.
var isoSlowFiles = map[string]string{
	"a.container": "[Container]\nImage=localhost/berth-test/web:latest\nEnvironment=READY_AFTER=1.5\n" +
		"HealthCmd=[\"/web\",\"-check\",\"http://127.0.0.1:8080/healthz\"]\nHealthInterval=1s\nHealthStartPeriod=10s\nNotify=healthy\n" +
		"[Service]\nRestart=always\nRestartSec=1\n",
	"b.container": "[Unit]\nRequires=a.service\nAfter=a.service\n[Container]\nImage=localhost/berth-test/web:latest\n" +
		"[Service]\nRestart=always\nRestartSec=1\n",
}

func TestIsolateUpDownRace(t *testing.T) {
	s := isoStack(t, "", isoSlowFiles)
	for i := 0; i < 3; i++ {
		up := exec.Command(s.berth, "-C", s.dir, "up", "-d", "--metrics-addr", "off")
		var upOut bytes.Buffer
		up.Stdout, up.Stderr = &upOut, &upOut
		if err := up.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		downOut, downErr := s.berthCmd("down")
		upErr := up.Wait()
		if upErr != nil || downErr != nil {
			t.Fatalf("try %d: up: %v\n%s\ndown: %v\n%s", i, upErr, upOut.String(), downErr, downOut)
		}
		time.Sleep(300 * time.Millisecond)
		if pids := s.supervisors(); len(pids) != 0 {
			t.Fatalf("try %d: supervisors %v still run after down\nup:\n%s\ndown:\n%s", i, pids, upOut.String(), downOut)
		}
		if c := s.containers(); len(c) != 0 {
			t.Fatalf("try %d: containers left after down: %q", i, c)
		}
		if _, err := os.Stat(s.stateDir()); err == nil {
			t.Errorf("try %d: state left after down", i)
		}
	}
	// Two concurrent up -d: one supervisor.
	first := exec.Command(s.berth, "-C", s.dir, "up", "-d", "--metrics-addr", "off")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	s.must("up", "-d", "--metrics-addr", "off")
	if err := first.Wait(); err != nil {
		t.Fatalf("first up: %v", err)
	}
	if pids := s.supervisors(); len(pids) != 1 {
		t.Fatalf("supervisors after two ups: %v, want one", pids)
	}
	s.must("down")
	time.Sleep(300 * time.Millisecond)
	if pids := s.supervisors(); len(pids) != 0 {
		t.Fatalf("supervisors %v after the last down", pids)
	}
}

// down also ends a foreground up: no supervising process outlives it.
func TestIsolateDownEndsForegroundUp(t *testing.T) {
	s := isoStack(t, "", isoFiles)
	cmd, out := s.startForeground()
	eventually(t, 30*time.Second, "web ready", func() bool { return strings.Contains(out.String(), "web            ready (") })
	s.must("down")
	waitExit(t, cmd, out)
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after down: %q", c)
	}
	if _, err := os.Stat(s.stateDir()); err == nil {
		t.Errorf("state left after down")
	}
	if !strings.Contains(out.String(), "being taken down") {
		t.Errorf("foreground output:\n%s", out.String())
	}
}
