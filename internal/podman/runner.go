// Package podman is the only place berth starts processes: podman itself and
// the other programs a compiled unit's Exec lines name (/bin/sh for quadlet's
// "exists || create" wrappers). Everything goes through the Runner seam so that
// unit tests can replace the machine with a Stub and see every command line.
package podman

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Cmd is one process to run.
type Cmd struct {
	Argv   []string // Argv[0] is looked up in PATH when it has no slash
	Path   string   // executable to run instead of Argv[0] (systemd's @ prefix); "" means Argv[0]
	Env    []string // full environment; nil means the caller's
	Dir    string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Foreground hands the terminal to the process (exec -it, shell): the
	// caller's own stdin/stdout/stderr are used and the context only kills.
	Foreground bool
}

// Runner runs a command to completion and returns its exit code. The error is
// non-nil only when the process could not be started or was killed by a
// signal (the code is then 128+signal, as a shell reports it).
type Runner interface {
	Run(ctx context.Context, c Cmd) (int, error)
}

// ExecRunner runs real processes.
type ExecRunner struct {
	// StopGrace is how long a cancelled process gets after SIGTERM before
	// SIGKILL; zero means 10 s (systemd's default TimeoutStopSec is longer,
	// but podman commands react to SIGTERM quickly).
	StopGrace time.Duration
}

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, c Cmd) (int, error) {
	if len(c.Argv) == 0 {
		return -1, errors.New("empty command line")
	}
	path := c.Path
	if path == "" {
		path = c.Argv[0]
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = c.Argv
	cmd.Env, cmd.Dir = c.Env, c.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	if c.Foreground {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = r.StopGrace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	err := cmd.Run()
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return -1, err
}
