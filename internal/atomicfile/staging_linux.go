package atomicfile

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// putUnnamed writes f to a new unnamed file in the folder (O_TMPFILE) and
// links it into place (placeUnnamed).
func (s *Staging) putUnnamed(f File) error {
	dfd, err := s.folder()
	if err != nil {
		return errNoUnnamed // the named way reports the folder's problem
	}
	mode, chmod := uint32(0o600), true
	if s.umask >= 0 && f.Perm.Perm()&^os.FileMode(s.umask) == f.Perm.Perm() {
		mode, chmod = uint32(f.Perm.Perm()), false // the umask keeps every bit
	}
	// Read and write: should linking fail, it is copied (linkCopy).
	fd, err := unix.Openat(dfd, ".", unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, mode)
	switch {
	case err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL || err == unix.ENOENT:
		return errNoUnnamed // no O_TMPFILE here
	case err != nil:
		return &os.PathError{Op: "create", Path: Join(s.dir, f.Name), Err: err}
	}
	defer unix.Close(fd)
	err = writeFull(fd, f.Data)
	if err == nil && chmod {
		err = unix.Fchmod(fd, uint32(f.Perm.Perm()))
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: Join(s.dir, f.Name), Err: err}
	}
	return s.placeUnnamed(fd, f.Name)
}

// placeUnnamed links the unnamed file fd into the folder as name: directly
// when nothing has that name, else under a temporary name renamed over it.
func (s *Staging) placeUnnamed(fd int, name string) error {
	err := s.linkAs(fd, name)
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	for try := 0; ; try++ {
		tmp := tempName(name, s.pid, -int(s.seq.Add(1)), try)
		err := s.linkAs(fd, tmp)
		if errors.Is(err, unix.EEXIST) && try < 100 {
			continue
		}
		if err != nil {
			return err
		}
		if err := renameRaw(Join(s.dir, tmp), Join(s.dir, name)); err != nil {
			_ = unix.Unlinkat(s.dirFD, tmp, 0)
			return err
		}
		return nil
	}
}

// linkAs links the unnamed file fd into the folder as name (which must
// not exist), the first way that works (s.link remembers it).
func (s *Staging) linkAs(fd int, name string) error {
	way := s.link.Load()
	if way == 0 || way == linkEmptyPath {
		err := unix.Linkat(fd, "", s.dirFD, name, unix.AT_EMPTY_PATH)
		if err != unix.ENOENT && err != unix.EPERM || way == linkEmptyPath {
			s.link.Store(linkEmptyPath)
			return linkErr(name, s.dir, err)
		}
		way = linkProc
		s.link.Store(way)
	}
	if way == linkProc {
		err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), s.dirFD, name, unix.AT_SYMLINK_FOLLOW)
		if err != unix.ENOENT && err != unix.EPERM && err != unix.EACCES {
			return linkErr(name, s.dir, err)
		}
		s.link.Store(linkCopy) // no /proc
	}
	return s.copyAs(fd, name)
}

// copyAs writes the unnamed file's content to a named temporary file,
// renamed to name.
func (s *Staging) copyAs(fd int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return linkErr(name, s.dir, err)
	}
	data := make([]byte, st.Size)
	for off := 0; off < len(data); {
		n, err := unix.Pread(fd, data[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "read", Path: Join(s.dir, name), Err: err}
		}
		if n == 0 {
			data = data[:off]
			break
		}
		off += n
	}
	tmp, err := writeTempRaw(s.dir, File{Name: name, Data: data, Perm: os.FileMode(st.Mode & 0o7777)}, s.pid, -int(s.seq.Add(1)), false, -1)
	if err == nil {
		err = renameRaw(tmp, Join(s.dir, name))
	}
	if err != nil && tmp != "" {
		_ = unix.Unlink(tmp)
	}
	return err
}

func linkErr(name, dir string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: "link", Old: "(unnamed file)", New: Join(dir, name), Err: err}
}
