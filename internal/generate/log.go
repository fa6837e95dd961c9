package generate

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// Logger writes the generator's messages the way podman's quadlet does:
// "quadlet-generator[PID]: message", to the kernel log (/dev/kmsg) when it
// can, since that is the only log a generator has at early boot, and to
// stderr otherwise. Debug messages are written only when Debug is set.
type Logger struct {
	Stderr io.Writer
	// Kmsg is the kernel log to try first, usually "/dev/kmsg"; "" writes to
	// Stderr only (podman's -no-kmsg-log and -dryrun).
	Kmsg  string
	Debug bool
	PID   int
	// Buffered collects stderr lines and writes them in large blocks (at
	// 32 KiB and at Flush or Close) instead of one write per line.
	Buffered bool

	mu         sync.Mutex
	buf        []byte
	kmsg       io.WriteCloser
	kmsgFailed bool
}

// NewLogger returns a logger for the running process.
func NewLogger(stderr io.Writer, kmsg string, debug bool) *Logger {
	return &Logger{Stderr: stderr, Kmsg: kmsg, Debug: debug, PID: os.Getpid()}
}

// Logf writes one message. (One formatting per line: a dry run logs a
// line per unit.)
func (l *Logger) Logf(format string, args ...any) {
	line := fmt.Appendf(l.prefix(), format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.toKmsg(string(line)) {
		return
	}
	if l.Stderr == nil {
		return
	}
	if !l.Buffered {
		_, _ = l.Stderr.Write(append(line, '\n'))
		return
	}
	l.buf = append(append(l.buf, line...), '\n')
	if len(l.buf) >= 32<<10 {
		l.flushLocked()
	}
}

// prefix is a new line holding "quadlet-generator[PID]: ", podman's.
func (l *Logger) prefix() []byte {
	b := make([]byte, 0, 128)
	b = append(b, "quadlet-generator["...)
	b = strconv.AppendInt(b, int64(l.PID), 10)
	return append(b, "]: "...)
}

// Flush writes buffered stderr lines.
func (l *Logger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *Logger) flushLocked() {
	if len(l.buf) > 0 && l.Stderr != nil {
		_, _ = l.Stderr.Write(l.buf)
	}
	l.buf = l.buf[:0]
}

// Debugf writes a message only in debug mode (-v, -dryrun).
func (l *Logger) Debugf(format string, args ...any) {
	if l.Debug {
		l.Logf(format, args...)
	}
}

// toKmsg writes one record to the kernel log; false means use stderr.
func (l *Logger) toKmsg(line string) bool {
	if l.Kmsg == "" || l.kmsgFailed {
		return false
	}
	if l.kmsg == nil {
		f, err := os.OpenFile(l.Kmsg, os.O_WRONLY, 0)
		if err != nil {
			l.kmsgFailed = true
			return false
		}
		l.kmsg = f
	}
	if _, err := io.WriteString(l.kmsg, line); err != nil {
		_ = l.kmsg.Close()
		l.kmsg = nil
		return false
	}
	return true
}

// Close flushes stderr and closes the kernel log.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	if l.kmsg == nil {
		return nil
	}
	err := l.kmsg.Close()
	l.kmsg = nil
	return err
}
