package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this test binary as berth itself (mainEnv=1),
// so that signals reach a real process with berth's own signal handling.
func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

const mainEnv = "BERTH_CLI_TEST_AS_MAIN"

// hangLimit only detects a hang; it is not a speed target.
const hangLimit = 60 * time.Second

// berthProc starts this binary as berth with args in dir.
func berthProc(t *testing.T, dir string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), mainEnv+"=1", "BERTH_PODMAN_VERSION=5.8.0"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// waitExit waits for cmd and returns its exit status (128+n when a signal
// ended it), failing the test if it hangs.
func waitExit(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err == nil {
			return 0
		}
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	case <-time.After(hangLimit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v still running %s later; output:\n%s", cmd.Args[1:], hangLimit, out)
	}
	return -1
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSpecialFilesDoNotBlock: a FIFO and a folder named like units are
// reported at file:line and skipped by every verb, which all finish.
func TestSpecialFilesDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.container"), "[Container]\nImage=docker.io/library/alpine:3\n")
	mkfifo(t, filepath.Join(dir, "a.container"))
	if err := os.Mkdir(filepath.Join(dir, "c.volume"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"compile"}, {"lint", "."}, {"up", "--dry-run"}} {
		cmd, out := berthProc(t, dir, []string{"PODMAN=/bin/false"}, args...)
		code := waitExit(t, cmd, out)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1; output:\n%s", args, code, out)
		}
		for _, want := range []string{"a.container:1:1: error: ", "is a named pipe (FIFO), not a unit file",
			"c.volume:1:1: error: ", "is a folder, not a unit file"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
	// The generator logs as podman's does, and exits 1 as podman's does
	// for a folder (podman's waits forever on the pipe).
	cmd, out := berthProc(t, dir, []string{"QUADLET_UNIT_DIRS=" + dir}, "generate", "-dryrun", "-no-kmsg-log")
	if code := waitExit(t, cmd, out); code != 1 {
		t.Errorf("generate: exit %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{
		`error loading "` + filepath.Join(dir, "a.container") + `", is a named pipe (FIFO), not a unit file`,
		`error loading "` + filepath.Join(dir, "c.volume") + `", is a folder, not a unit file`, "---b.service---"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("generate: output lacks %q:\n%s", want, out)
		}
	}
}

// TestSignalEndsCommand: a command blocked where no context reaches (a
// compose file that is a FIFO nobody writes) ends on SIGTERM and SIGINT,
// whether or not the verb handles signals itself.
func TestSignalEndsCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		sig  syscall.Signal
	}{
		{[]string{"up", "--dry-run", "-f", "compose.yaml"}, syscall.SIGTERM}, // handles signals: the gate ends it
		{[]string{"up", "-d", "-f", "compose.yaml"}, syscall.SIGINT},
		{[]string{"convert", "-f", "compose.yaml", "-o", "out"}, syscall.SIGTERM}, // default disposition
		{[]string{"lint", "-f", "compose.yaml"}, syscall.SIGINT},
	} {
		dir := t.TempDir()
		mkfifo(t, filepath.Join(dir, "compose.yaml"))
		cmd, out := berthProc(t, dir, []string{"PODMAN=/bin/false"}, c.args...)
		time.Sleep(300 * time.Millisecond) // let it reach the read
		if err := cmd.Process.Signal(c.sig); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, out); code != 128+int(c.sig) {
			t.Errorf("%v after %v: exit %d, want %d; output:\n%s", c.args, c.sig, code, 128+int(c.sig), out)
		}
	}
}
