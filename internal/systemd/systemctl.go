package systemd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Runner runs a command to completion, writing its standard output to stdout
// (which may be nil). A command that exits non-zero returns a *CmdError.
type Runner interface {
	Run(ctx context.Context, argv []string, stdout io.Writer) error
}

// CmdError is a command that failed: it exited non-zero (Code > 0), was
// killed (Code 128+signal) or could not be started (Code -1, Err set).
type CmdError struct {
	Argv   []string
	Code   int
	Stderr string
	Err    error
}

func (e *CmdError) Error() string {
	cmd := strings.Join(e.Argv, " ")
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", cmd, e.Err)
	}
	msg := fmt.Sprintf("%s: exit status %d", cmd, e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *CmdError) Unwrap() error { return e.Err }

// ExecRunner runs real processes.
type ExecRunner struct{}

// maxStderr bounds the standard error kept for a CmdError.
const maxStderr = 8 << 10

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, argv []string, stdout io.Writer) error {
	if len(argv) == 0 {
		return errors.New("empty command line")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	ce := &CmdError{Argv: argv, Code: -1, Stderr: tail(stderr.String(), maxStderr)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ce.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ce.Code = 128 + int(ws.Signal())
		}
	default:
		ce.Err = err
	}
	return ce
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Systemctl is a Manager over systemctl and journalctl.
type Systemctl struct {
	Scope  Scope
	Runner Runner // nil means ExecRunner
}

// NewSystemctl returns a Manager for the scope's manager on this machine.
func NewSystemctl(scope Scope) *Systemctl { return &Systemctl{Scope: scope, Runner: ExecRunner{}} }

func (s *Systemctl) runner() Runner {
	if s.Runner == nil {
		return ExecRunner{}
	}
	return s.Runner
}

func (s *Systemctl) argv(prog string, args ...string) []string {
	a := []string{prog}
	if s.Scope == User {
		a = append(a, "--user")
	}
	return append(a, args...)
}

func (s *Systemctl) run(ctx context.Context, stdout io.Writer, args ...string) error {
	return s.runner().Run(ctx, s.argv("systemctl", args...), stdout)
}

func (s *Systemctl) unitVerb(ctx context.Context, verb string, units []string) error {
	if len(units) == 0 {
		return nil
	}
	return s.run(ctx, nil, append([]string{verb, "--no-ask-password", "--"}, units...)...)
}

// Start implements Manager; systemctl waits for the start jobs to finish.
func (s *Systemctl) Start(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "start", units)
}

// Stop implements Manager.
func (s *Systemctl) Stop(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "stop", units)
}

// Restart implements Manager.
func (s *Systemctl) Restart(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "restart", units)
}

// Enable implements Manager. Units made by a generator (every quadlet
// service) cannot be enabled: their [Install] section is applied by the
// generator itself.
func (s *Systemctl) Enable(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "enable", units)
}

// Disable implements Manager.
func (s *Systemctl) Disable(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "disable", units)
}

// ResetFailed implements Manager.
func (s *Systemctl) ResetFailed(ctx context.Context, units ...string) error {
	return s.unitVerb(ctx, "reset-failed", units)
}

// DaemonReload implements Manager: systemd reruns its generators.
func (s *Systemctl) DaemonReload(ctx context.Context) error {
	return s.run(ctx, nil, "daemon-reload", "--no-ask-password")
}

// showProps are the properties Status reads.
const showProps = "Id,Description,LoadState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,SourcePath,FragmentPath,MainPID,InvocationID"

// Status implements Manager with `systemctl show`.
func (s *Systemctl) Status(ctx context.Context, units ...string) ([]UnitStatus, error) {
	if len(units) == 0 {
		return nil, nil
	}
	var out bytes.Buffer
	args := append([]string{"show", "--no-pager", "--property=" + showProps, "--"}, units...)
	if err := s.run(ctx, &out, args...); err != nil {
		return nil, err
	}
	sts := ParseShow(out.String())
	if len(sts) != len(units) {
		return nil, fmt.Errorf("systemctl show: asked for %d units, got %d records", len(units), len(sts))
	}
	for i := range sts {
		if sts[i].Name == "" {
			sts[i].Name = units[i]
		}
	}
	return sts, nil
}

// ParseShow reads `systemctl show` output: Key=Value lines, one blank-line
// separated record per unit.
func ParseShow(text string) []UnitStatus {
	var out []UnitStatus
	var cur *UnitStatus
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, UnitStatus{})
			cur = &out[len(out)-1]
		}
		k, v, _ := strings.Cut(line, "=")
		setProp(cur, k, v)
	}
	return out
}

func setProp(u *UnitStatus, k, v string) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch k {
	case "Id":
		u.Name = v
	case "Description":
		u.Description = v
	case "LoadState":
		u.LoadState = v
	case "ActiveState":
		u.ActiveState = v
	case "SubState":
		u.SubState = v
	case "Result":
		u.Result = v
	case "ExecMainCode":
		u.ExecMainCode = atoi(v)
	case "ExecMainStatus":
		u.ExecMainStatus = atoi(v)
	case "SourcePath":
		u.SourcePath = v
	case "FragmentPath":
		u.FragmentPath = v
	case "MainPID":
		u.MainPID = atoi(v)
	case "InvocationID":
		u.InvocationID = v
	}
}

// List implements Manager with `systemctl list-units --all`.
func (s *Systemctl) List(ctx context.Context, patterns ...string) ([]UnitStatus, error) {
	var out bytes.Buffer
	args := append([]string{"list-units", "--all", "--plain", "--no-legend", "--no-pager", "--full", "--"}, patterns...)
	if err := s.run(ctx, &out, args...); err != nil {
		return nil, err
	}
	return ParseListUnits(out.String()), nil
}

// ParseListUnits reads `list-units --plain --no-legend` lines:
// UNIT LOAD ACTIVE SUB DESCRIPTION...
func ParseListUnits(text string) []UnitStatus {
	var out []UnitStatus
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(strings.TrimLeft(line, "●* "))
		if len(f) < 4 {
			continue
		}
		out = append(out, UnitStatus{Name: f[0], LoadState: f[1], ActiveState: f[2], SubState: f[3],
			Description: strings.Join(f[4:], " ")})
	}
	return out
}

// Journal implements Manager with journalctl, which merges the units' lines
// by time.
func (s *Systemctl) Journal(ctx context.Context, o JournalOptions, w io.Writer) error {
	return s.runner().Run(ctx, s.JournalArgv(o), w)
}

// JournalArgv is the journalctl command line for o.
func (s *Systemctl) JournalArgv(o JournalOptions) []string {
	args := []string{"--no-pager", "-o", "short-iso"}
	for _, u := range o.Units {
		args = append(args, "-u", u)
	}
	if o.Follow {
		args = append(args, "-f")
	}
	if o.Lines > 0 {
		args = append(args, "-n", strconv.Itoa(o.Lines))
	}
	if o.Since != "" {
		args = append(args, "--since", o.Since)
	}
	return s.argv("journalctl", args...)
}
