package cli

import (
	"os"
	"strconv"
	"syscall"
)

// closeInheritedFDs marks the file descriptors berth inherited beyond
// stdin, stdout and stderr close-on-exec. Go starts children with every
// inherited descriptor that lacks the flag, and berth's children outlive
// it: the supervisor of `up -d` and the conmon of every `podman run` would
// hold a caller's descriptor for as long as they run - a flock(1) lock (seen:
// one leaked supervisor held a shared test lock and stalled every run), or
// the write end of a pipe the caller reads to its end.
func closeInheritedFDs() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
