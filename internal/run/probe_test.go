package run

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// fakeConmon runs a process whose command line reads like conmon's:
// /bin/sh with argv[0] "conmon" and "-c" as its script, so the container ID
// the probe reads is the script, "sleep 30".
func fakeConmon(t *testing.T) (pid int, exitFile, logFile string) {
	dir := t.TempDir()
	logFile = filepath.Join(dir, "ctr.log")
	cmd := &exec.Cmd{Path: "/bin/sh", Args: []string{"conmon", "-c", "sleep 30", "--exit-dir", dir, "-l", "k8s-file:" + logFile}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); probeConmon(cmd.Process.Pid) == nil; { // until exec'd
		if time.Now().After(deadline) {
			t.Fatal("the fake conmon did not start")
		}
		time.Sleep(time.Millisecond)
	}
	return cmd.Process.Pid, filepath.Join(dir, "sleep 30"), logFile
}

func TestK8sMessagesJoinPartialLines(t *testing.T) {
	log := "2024-01-01T00:00:00Z stderr F one\n2024-01-01T00:00:00Z stdout P tw\n2024-01-01T00:00:00Z stdout F o\n" +
		"garbage\n2024-01-01T00:00:00Z stderr F three words here\n"
	got := strings.Join(k8sMessages([]byte(log)), "|")
	if got != "one|two|three words here" {
		t.Errorf("got %q", got)
	}
}

// A container whose process ends right after READY=1 fails its start: the
// error names the command (secrets masked) and carries the last log lines,
// read from the log conmon writes, and its dependant is not started.
func TestStartFailsWhenContainerExitsAtOnce(t *testing.T) {
	pid, exitFile, logFile := fakeConmon(t)
	if err := os.WriteFile(logFile, []byte("2024-01-01T00:00:00Z stderr F flag provided but not defined: -bad-flag\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exitFile, []byte("2"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := testStack(t, map[string]string{
		"bad.container": "[Container]\nImage=localhost/web\nExec=-bad-flag\nEnvironment=API_TOKEN=hunter22\n",
		"dep.container": "[Unit]\nRequires=bad.service\nAfter=bad.service\n[Container]\nImage=localhost/client\n",
	})
	stub := &podman.Stub{}
	stub.Replies = append(stub.Replies, podman.Reply{Prefix: []string{"/usr/bin/podman", "run"}, Do: func(ctx context.Context, c podman.Cmd) int {
		for _, kv := range c.Env {
			if path, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
				if conn, err := net.Dial("unixgram", path); err == nil {
					_, _ = fmt.Fprintf(conn, "MAINPID=%d\nREADY=1", pid)
					conn.Close()
				}
			}
		}
		return 0
	}})
	e := testExecutor(t, stub)
	e.Clock = &fakeClock{now: time.Unix(1_000_000, 0)}
	plan, _ := PlanUp(st, nil, Observed{})
	outs := e.Apply(context.Background(), plan)
	var se *StartError
	for _, o := range outs {
		switch o.Step.Unit.Service {
		case "bad":
			if !errors.As(o.Err, &se) {
				t.Fatalf("bad: %v", o.Err)
			}
		case "dep":
			if !errors.Is(o.Err, ErrDependency) {
				t.Errorf("dep: %v", o.Err)
			}
		}
	}
	msg := se.Error()
	for _, want := range []string{"exited with status 2 right after it started", "localhost/web -bad-flag",
		"flag provided but not defined: -bad-flag"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter22") {
		t.Errorf("secret leaked:\n%s", msg)
	}
	if n := strings.Count(strings.Join(stub.Commands(), "\n"), "/usr/bin/podman run"); n != 1 {
		t.Errorf("%d podman run calls, want 1 (dep not started)", n)
	}
}

// A container still running after the settle time is started; a process
// that is not conmon is not probed.
func TestSettleRunningContainer(t *testing.T) {
	pid, _, _ := fakeConmon(t)
	p := probeConmon(pid)
	if p == nil {
		t.Fatal("fake conmon not recognised")
	}
	defer p.close()
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	if _, ended := p.settle(context.Background(), clock, 100*time.Millisecond); ended {
		t.Error("a running container counted as ended")
	}
	if probeConmon(os.Getpid()) != nil {
		t.Error("the test process probed as conmon")
	}
}

func TestPodmanRunsChecks(t *testing.T) {
	rt := t.TempDir()
	h := &sd.Host{User: true, RuntimeDir: rt}
	if podmanRunsChecks("abc123", h) {
		t.Fatal("no timer, yet podman runs the checks")
	}
	dir := filepath.Join(rt, "systemd/transient")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"abc123.timer", "abc123-startup-1f.timer", "abc123-7e3a.timer"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if !podmanRunsChecks("abc123", h) {
			t.Errorf("%s not seen", name)
		}
		os.Remove(p)
	}
	if podmanRunsChecks("", h) {
		t.Error("an unknown container ID matched")
	}
}
