package run

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestClaimOwnerRelease(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	if o, err := s.Owner(); err != nil || o != (Owner{}) {
		t.Fatalf("no owner yet: %+v %v", o, err)
	}
	release, prev, err := s.Claim(1234, true, clock)
	if err != nil || prev != (Owner{}) {
		t.Fatalf("claim: %+v %v", prev, err)
	}
	if o, _ := s.Owner(); o != (Owner{PID: 1234, Foreground: true, Alive: true}) {
		t.Errorf("owner %+v", o)
	}
	_, _, err = s.Claim(5678, false, clock)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Owner.PID != 1234 || !busy.Owner.Foreground {
		t.Fatalf("second claim: %v", err)
	}
	if got := busy.Error(); got != "the project is supervised by berth up in the foreground (pid 1234)" {
		t.Errorf("message %q", got)
	}
	release()
	if o, _ := s.Owner(); o != (Owner{}) {
		t.Errorf("after release: %+v", o)
	}
}

// A record nobody holds the lock of is a supervisor that died: reported as
// stale, and the next claim takes over and returns it.
func TestClaimAfterStaleOwner(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(s.Dir, "supervisor.pid"), []byte("999 detached\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := s.Owner()
	if err != nil || !o.Stale() || o.PID != 999 || o.Foreground {
		t.Fatalf("stale owner: %+v %v", o, err)
	}
	if o.String() != "the supervisor (pid 999)" {
		t.Errorf("name %q", o)
	}
	release, prev, err := s.Claim(1000, false, &fakeClock{})
	if err != nil || prev.PID != 999 {
		t.Fatalf("claim over a stale record: %+v %v", prev, err)
	}
	defer release()
	if o, _ := s.Owner(); !o.Alive || o.PID != 1000 {
		t.Errorf("owner %+v", o)
	}
}

// The lock dies with its holder, however it ends: a SIGKILLed holder is
// stale at once.
func TestOwnerKilled(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock(1)")
	}
	s := Store{Dir: t.TempDir()}
	path := filepath.Join(s.Dir, "supervisor.pid")
	if err := os.WriteFile(path, []byte("4321 detached\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("flock", "-o", "-x", path, "sleep", "60") // -o: only flock holds it
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for o, _ := s.Owner(); !o.Alive; o, _ = s.Owner() {
		if time.Now().After(deadline) {
			t.Fatal("flock(1) never held the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL) // flock and its sleep
	_ = holder.Wait()
	// The forked sleep may still hold the descriptor for a moment while
	// the kernel tears it down.
	deadline = time.Now().Add(5 * time.Second)
	for o, _ := s.Owner(); !o.Stale(); o, _ = s.Owner() {
		if time.Now().After(deadline) {
			t.Fatalf("after SIGKILL: %+v", o)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
