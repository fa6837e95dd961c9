package unitfile

import (
	"fmt"
	"syscall"

	"github.com/berth-dev/berth/internal/diag"
)

// MaxFileSize bounds what is read of one unit file. Units are small; a
// larger file is reported rather than read, by every verb alike.
const MaxFileSize = 4 << 20

// MaxLineLen is the longest line systemd reads in a unit file: a line of
// 1 MiB (LONG_LINE_MAX) or more makes systemd refuse the whole unit ("No
// buffer space available").
const MaxLineLen = 1<<20 - 1

// ReadFile reads the unit file at path. Only regular files are read: a
// folder, a named pipe, a socket or a device named like a unit is reported
// (a pipe is never opened for blocking reads, so nothing waits on a writer
// that never comes), and so is a file larger than MaxFileSize. Like every
// whole-file problem, the diagnostics point at line 1.
func ReadFile(path string) ([]byte, diag.List) { return ReadFileInto(path, nil) }

// ReadFileInto is ReadFile appending the contents to buf, which callers
// reading many files reuse.
func ReadFileInto(path string, buf []byte) ([]byte, diag.List) { return readInto(path, buf, false) }

// ReadRegularInto is ReadFileInto for a path its folder's listing shows as
// a regular file (os.DirEntry.Type, from getdents): it saves the fstat(2).
// Should the file have been replaced by something else since, the read
// fails (a folder: EISDIR, a pipe: nothing to read without blocking) and
// is reported as unreadable.
func ReadRegularInto(path string, buf []byte) ([]byte, diag.List) { return readInto(path, buf, true) }

func readInto(path string, buf []byte, regular bool) ([]byte, diag.List) {
	fd, err := openNonblock(path)
	if err != nil {
		var st syscall.Stat_t
		if syscall.Stat(path, &st) == nil && uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFREG {
			return nil, notRegular(path, uint32(st.Mode))
		}
		return nil, unreadable(path, "cannot read file: "+errnoText(err))
	}
	defer syscall.Close(fd)
	size := int64(-1)
	if !regular {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			return nil, unreadable(path, "cannot read file: "+errnoText(err))
		}
		if uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFREG {
			return nil, notRegular(path, uint32(st.Mode))
		}
		if st.Size > MaxFileSize {
			return nil, tooLarge(path)
		}
		size = st.Size
	}
	start := len(buf)
	if want := start + int(size) + 1; size >= 0 && cap(buf) < want {
		// Room for the whole file and one byte more: a read that returns
		// less than asked reached the end (a regular file's reads are
		// short only there), which saves the read that would return 0.
		buf = append(make([]byte, 0, want), buf...)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		space := cap(buf) - len(buf)
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, unreadable(path, "cannot read file: "+errnoText(err))
		}
		if n == 0 {
			if regular && len(buf) == start {
				// Nothing at all: an empty file, or a pipe that took the
				// listed file's place. Only now is fstat worth it.
				var st syscall.Stat_t
				if syscall.Fstat(fd, &st) == nil && uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFREG {
					return nil, notRegular(path, uint32(st.Mode))
				}
			}
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if n < space && len(buf)-start <= MaxFileSize {
			return buf, nil
		}
		if len(buf)-start > MaxFileSize { // grew while being read
			return nil, tooLarge(path)
		}
	}
}

func openNonblock(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func errnoText(err error) string {
	if e, ok := err.(syscall.Errno); ok {
		return e.Error()
	}
	return err.Error()
}

func unreadable(path, msg string) diag.List {
	return diag.List{{Pos: diag.Pos{File: path, Line: 1, Col: 1}, Severity: diag.Error, Code: CodeUnreadable,
		Message: msg, Hint: "check that the file exists and is readable"}}
}

func tooLarge(path string) diag.List {
	return diag.List{{Pos: diag.Pos{File: path, Line: 1, Col: 1}, Severity: diag.Error, Code: CodeUnreadable,
		Message: fmt.Sprintf("file is larger than %d MiB; it is not a unit file", MaxFileSize>>20),
		Hint:    "check that the path names a quadlet"}}
}

// notRegular reports a path that is not a regular file.
func notRegular(path string, mode uint32) diag.List {
	what := "a special file"
	switch mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		what = "a folder"
	case syscall.S_IFIFO:
		what = "a named pipe (FIFO)"
	case syscall.S_IFSOCK:
		what = "a socket"
	case syscall.S_IFCHR, syscall.S_IFBLK:
		what = "a device"
	}
	return diag.List{{Pos: diag.Pos{File: path, Line: 1, Col: 1}, Severity: diag.Error, Code: CodeNotRegular,
		Message: "is " + what + ", not a unit file: skipped",
		Hint:    "a unit must be a regular file or a link to one; rename or remove it"}}
}
