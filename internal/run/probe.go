package run

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sd "github.com/berth-dev/berth/internal/unitexec"
)

// With --sdnotify=conmon, conmon reports READY=1 as soon as the container's
// process runs, so a container whose command fails at once (a bad flag, a
// missing file) looks started, and podman's --rm removes it, with its log,
// a moment later. The executor therefore reads what conmon (the MAINPID) was
// started with: its exit directory, where it writes the container's exit
// status, and its k8s-file log, which it opens at once so that --rm cannot
// take the last lines away; and it gives the container a short time to settle
// before calling it ready.

// defaultSettle is how long a container must keep running after READY=1.
const defaultSettle = 100 * time.Millisecond

// conmonProbe watches one container through its conmon.
type conmonProbe struct {
	exitFile string   // written by conmon when the container's process ends
	log      *os.File // the k8s-file log; nil with other drivers
}

// probeConmon reads /proc/PID/cmdline; nil when pid is not a conmon.
func probeConmon(pid int) *conmonProbe {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return nil
	}
	argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if filepath.Base(argv[0]) != "conmon" {
		return nil
	}
	var id, exitDir, logPath string
	for i := 1; i+1 < len(argv); i++ {
		switch argv[i] {
		case "-c", "--cid":
			id = argv[i+1]
		case "--exit-dir":
			exitDir = argv[i+1]
		case "-l", "--log-path":
			logPath = argv[i+1]
		}
	}
	if id == "" || exitDir == "" {
		return nil
	}
	p := &conmonProbe{exitFile: filepath.Join(exitDir, id)}
	if path, ok := strings.CutPrefix(logPath, "k8s-file:"); ok {
		p.log, _ = os.Open(path)
	} else if logPath != "" && !strings.Contains(logPath, ":") {
		p.log, _ = os.Open(logPath) // k8s-file is the default driver
	}
	return p
}

// exited reports the container's exit status once conmon has written it.
func (p *conmonProbe) exited() (int, bool) {
	if p == nil {
		return 0, false
	}
	b, err := os.ReadFile(p.exitFile)
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return code, err == nil
}

// settle waits up to d for the container to end; it returns its status
// when it did.
func (p *conmonProbe) settle(ctx context.Context, clock Clock, d time.Duration) (int, bool) {
	if p == nil || d <= 0 {
		return 0, false
	}
	deadline := clock.Now().Add(d)
	for {
		if code, ok := p.exited(); ok {
			return code, true
		}
		if !clock.Now().Before(deadline) {
			return 0, false
		}
		select {
		case <-ctx.Done():
			return 0, false
		case <-clock.After(10 * time.Millisecond):
		}
	}
}

// tail returns the last n messages of the k8s-file log ("TIME STREAM TAG
// MESSAGE" lines; tag P is a partial line continued by the next).
func (p *conmonProbe) tail(n int) string {
	if p == nil || p.log == nil {
		return ""
	}
	const maxTail = 64 << 10
	size, err := p.log.Seek(0, io.SeekEnd)
	if err != nil {
		return ""
	}
	off := max(0, size-maxTail)
	b := make([]byte, size-off)
	if _, err := p.log.ReadAt(b, off); err != nil && err != io.EOF {
		return ""
	}
	return strings.Join(lastN(k8sMessages(b), n), "\n")
}

// k8sMessages joins a k8s-file log into messages.
func k8sMessages(b []byte) []string {
	var msgs []string
	var cur strings.Builder
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.SplitN(string(line), " ", 4)
		if len(f) < 4 {
			continue
		}
		cur.WriteString(f[3])
		if f[2] != "P" {
			msgs = append(msgs, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		msgs = append(msgs, cur.String())
	}
	return msgs
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (p *conmonProbe) close() {
	if p != nil && p.log != nil {
		p.log.Close()
	}
}

// podmanRunsChecks reports whether podman runs a container's health checks
// from its own transient systemd timer (ID.timer and ID-startup.timer before
// podman 5, ID-RANDOM.timer since), which it does when it reaches systemd:
// the system manager's for root, the user's for rootless.
func podmanRunsChecks(id string, h *sd.Host) bool {
	if id == "" {
		return false
	}
	dir := "/run/systemd/transient"
	if h != nil && h.User {
		dir = filepath.Join(h.RuntimeDir, "systemd/transient")
	}
	timers, _ := filepath.Glob(filepath.Join(dir, id+"*.timer")) // an ID is hex: no pattern characters
	return len(timers) > 0
}
