package unitexec

import (
	"fmt"
	"syscall"
	"time"
)

// Result is how a service's run ended, in systemd's terms.
type Result string

// Results that matter for Restart=.
const (
	ResultSuccess  Result = "success"
	ResultExitCode Result = "exit-code" // exited non-zero
	ResultSignal   Result = "signal"    // killed by an unclean signal
	ResultCoreDump Result = "core-dump"
	ResultTimeout  Result = "timeout"
	ResultWatchdog Result = "watchdog"
)

// ExitResult classifies a main process's end: code is its exit status, or
// 128+N when killed by signal N (as conmon reports a container's end).
// SIGHUP, SIGINT, SIGTERM and SIGPIPE are clean signals; extra lists
// SuccessExitStatus= codes.
func ExitResult(code int, extra ...int) Result {
	if code == 0 {
		return ResultSuccess
	}
	for _, c := range extra {
		if c == code {
			return ResultSuccess
		}
	}
	if code > 128 && code < 128+65 {
		switch syscall.Signal(code - 128) {
		case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE:
			return ResultSuccess
		case syscall.SIGQUIT, syscall.SIGILL, syscall.SIGABRT, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGBUS,
			syscall.SIGSYS, syscall.SIGTRAP, syscall.SIGXCPU, syscall.SIGXFSZ:
			return ResultCoreDump
		}
		return ResultSignal
	}
	return ResultExitCode
}

// ShouldRestart is the table in systemd.service(5) under Restart=. A stop
// the user asked for never restarts; callers do not ask then.
func ShouldRestart(policy string, r Result) (bool, error) {
	unclean := r == ResultSignal || r == ResultCoreDump
	switch policy {
	case "", "no":
		return false, nil
	case "always":
		return true, nil
	case "on-success":
		return r == ResultSuccess, nil
	case "on-failure":
		return r != ResultSuccess, nil
	case "on-abnormal":
		return unclean || r == ResultTimeout || r == ResultWatchdog, nil
	case "on-abort":
		return unclean, nil
	case "on-watchdog":
		return r == ResultWatchdog, nil
	}
	return false, fmt.Errorf("invalid Restart=%s", policy)
}

// StartLimit is StartLimitIntervalSec= and StartLimitBurst=: at most Burst
// starts within Interval. A zero Interval disables the limit.
type StartLimit struct {
	Interval time.Duration
	Burst    int
	starts   []time.Time
}

// Allow records a start at now and reports whether it is within the limit.
func (l *StartLimit) Allow(now time.Time) bool {
	if l.Interval <= 0 || l.Burst <= 0 {
		return true
	}
	keep := l.starts[:0]
	for _, t := range l.starts {
		if now.Sub(t) < l.Interval {
			keep = append(keep, t)
		}
	}
	l.starts = keep
	if len(l.starts) >= l.Burst {
		return false
	}
	l.starts = append(l.starts, now)
	return true
}

// Reset forgets past starts (systemctl reset-failed).
func (l *StartLimit) Reset() { l.starts = nil }
