package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A project has at most one supervising process: the `berth supervise` that
// `up -d` leaves, or a foreground `berth up`. It holds an exclusive flock on
// supervisor.pid in the state directory for as long as it runs, and writes
// its PID and mode there. The kernel drops the lock when the process ends,
// however it ends, so "is a supervisor alive" never depends on a PID that
// may have been reused; a record left in a file nobody holds is a
// supervisor that died without cleaning up (SIGKILL, a crash, a host
// restart when the state directory is not on a tmpfs).

// Owner is the process that supervises a project, as recorded.
type Owner struct {
	PID        int
	Foreground bool // a foreground `berth up`, which stops the stack when it ends
	Alive      bool // it holds the lock now
}

// String names the owner for messages.
func (o Owner) String() string {
	if o.Foreground {
		return fmt.Sprintf("berth up in the foreground (pid %d)", o.PID)
	}
	return fmt.Sprintf("the supervisor (pid %d)", o.PID)
}

// Stale reports a recorded owner that is gone.
func (o Owner) Stale() bool { return o.PID > 0 && !o.Alive }

// BusyError is a claim refused because another process supervises the
// project.
type BusyError struct{ Owner Owner }

func (e *BusyError) Error() string { return "the project is supervised by " + e.Owner.String() }

func (s Store) ownerPath() string { return filepath.Join(s.Dir, "supervisor.pid") }

// Owner reads who supervises the project. The zero Owner means none was
// recorded (or the last one ended cleanly).
func (s Store) Owner() (Owner, error) {
	f, err := os.Open(s.ownerPath())
	if errors.Is(err, os.ErrNotExist) {
		return Owner{}, nil
	}
	if err != nil {
		return Owner{}, err
	}
	defer f.Close()
	o := readOwner(f)
	if o.PID == 0 {
		return Owner{}, nil
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return o, nil
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		o.Alive = true
		return o, nil
	}
	return o, err
}

func readOwner(f *os.File) Owner {
	b := make([]byte, 64)
	n, _ := f.ReadAt(b, 0)
	pid, mode, _ := strings.Cut(strings.TrimSpace(string(b[:n])), " ")
	o := Owner{Foreground: mode == "foreground"}
	o.PID, _ = strconv.Atoi(pid)
	return o
}

// Claim makes process pid the project's supervisor until release is called
// (or the process ends). prev is a recorded owner that died without
// releasing, for the caller to report; a live owner is a *BusyError. A
// reader's brief shared lock (Owner) may collide with the claim, so a
// refused lock is retried for a little while, on clock.
func (s Store) Claim(pid int, foreground bool, clock Clock) (release func(), prev Owner, err error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, Owner{}, err
	}
	f, err := os.OpenFile(s.ownerPath(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, Owner{}, err
	}
	for i := 0; ; i++ {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) || i == 10 {
			break
		}
		<-clock.After(20 * time.Millisecond)
	}
	if err != nil {
		o := readOwner(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			o.Alive = true
			return nil, Owner{}, &BusyError{Owner: o}
		}
		return nil, Owner{}, err
	}
	prev = readOwner(f)
	mode := "detached"
	if foreground {
		mode = "foreground"
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(fmt.Sprintf("%d %s\n", pid, mode)), 0)
	}
	if err != nil {
		f.Close()
		return nil, Owner{}, err
	}
	return func() {
		_ = f.Truncate(0) // ended cleanly: no record
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, prev, nil
}
