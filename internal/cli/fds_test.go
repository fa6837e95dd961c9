package cli

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestInheritedFDsNotPassedOn: a descriptor berth inherited (here: opened
// without close-on-exec, as flock(1) passes its lock) does not reach the
// processes berth starts, which may outlive it.
func TestInheritedFDsNotPassedOn(t *testing.T) {
	fd, err := syscall.Open(filepath.Join(t.TempDir(), "lock"), syscall.O_CREAT|syscall.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	probe := func() bool {
		out, err := exec.Command("/bin/sh", "-c", "ls /proc/self/fd").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(" "+strings.Join(strings.Fields(string(out)), " ")+" ", " "+strconv.Itoa(fd)+" ")
	}
	if !probe() {
		t.Skip("this Go does not pass inherited descriptors on; nothing to test")
	}
	closeInheritedFDs()
	if probe() {
		t.Errorf("descriptor %d still reaches children", fd)
	}
}
