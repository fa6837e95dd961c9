// Package atomicfile writes files so that a reader, or a crash, sees the old
// content or the new, never a part: data goes to a temporary file in the same
// folder, is flushed to disk, and is renamed over the destination. It is the
// one place berth does this; every writer of units, manifests, state and
// generated configuration goes through it.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// tempPattern names temporary files: hidden, and ending in .tmp so that
// systemd (which reads only known unit suffixes) and quadlet ignore them.
func tempPattern(name string) string { return "." + name + ".berth-*.tmp" }

// Write writes data to path with mode perm, creating the folder if needed.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the folder of %s: %w", path, err)
	}
	tmp, err := writeTempRaw(dir, File{Name: filepath.Base(path), Data: data, Perm: perm}, os.Getpid(), 0, true, -1)
	if err == nil {
		err = renameRaw(tmp, path)
	}
	if err != nil {
		if tmp != "" {
			_ = unix.Unlink(tmp)
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// File is one file of a batch.
type File struct {
	Name string // base name inside the batch's folder
	Data []byte
	// Fill, when Data is nil, appends the contents to a buffer WriteAll
	// reuses from file to file: a batch of generated files then never holds
	// all their texts at once (a megabyte of fresh memory, and its page
	// faults, per thousand units).
	Fill func([]byte) []byte
	Perm os.FileMode
}

// Batch says how WriteAll writes.
type Batch struct {
	// Workers is how many files are written at once (<= 1: one at a time).
	Workers int
	// Volatile skips the flush to disk. Right only for files that are
	// rebuilt from their sources whenever they are needed, such as a
	// generator's output (systemd reruns generators at every boot and
	// daemon-reload, into /run): there a power cut loses nothing that the
	// next run does not write again, while a flush of the whole file system
	// can wait seconds for other programs' data. Each file still appears
	// whole or not at all.
	Volatile bool
}

// WriteAll writes a batch of files into dir, each atomically, with a single
// flush of the file system instead of one per file: the temporary files are
// written (concurrently, up to b.Workers at a time), syncfs(2) flushes them
// all, and only then are they renamed into place. A crash at any point
// leaves every destination whole, old or new. The error of file i is
// errs[i]. The files are written with plain system calls: on a thousand
// files the os package's extra calls (poller registration, flag queries, a
// stat before each rename) cost more than the writing.
func WriteAll(dir string, files []File, b Batch) (errs []error) {
	s := NewStaging(dir, len(files), b)
	errs = make([]error, len(files))
	staged := make([]Staged, len(files))
	var bufs sync.Pool // for Fill: about one buffer per writing goroutine
	Parallel(len(files), b.Workers, func(i int) {
		f := files[i]
		if f.Data != nil || f.Fill == nil {
			staged[i], errs[i] = s.Stage(i, f)
			return
		}
		bp, _ := bufs.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		f.Data = f.Fill((*bp)[:0])
		staged[i], errs[i] = s.Stage(i, f)
		*bp = f.Data[:0]
		bufs.Put(bp)
	})
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	s.Commit(names, staged, errs)
	return errs
}

// writeTempRaw writes f to a new temporary file in dir, named after the
// process and the file's place in the batch (unique within a run; a name
// left by an earlier, killed run, or taken by a concurrent Write, is
// skipped), flushing it to disk with sync. umask is the process's (-1:
// unknown).
func writeTempRaw(dir string, f File, pid, i int, sync bool, umask int) (string, error) {
	for try := 0; ; try++ {
		tmp := Join(dir, tempName(f.Name, pid, i, try))
		mode, chmod := uint32(0o600), true
		if umask >= 0 && f.Perm.Perm()&^os.FileMode(umask) == f.Perm.Perm() {
			mode, chmod = uint32(f.Perm.Perm()), false // the umask keeps every bit
		}
		fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, mode)
		if err == unix.EEXIST && try < 100 {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "create", Path: tmp, Err: err}
		}
		err = writeFull(fd, f.Data)
		if err == nil && sync {
			err = unix.Fsync(fd)
		}
		if err == nil && chmod {
			// fchmod, not the mode of open(2): that one is cut by the umask.
			err = unix.Fchmod(fd, uint32(f.Perm.Perm()))
		}
		if cerr := unix.Close(fd); err == nil {
			err = cerr
		}
		if err != nil {
			return tmp, &os.PathError{Op: "write", Path: tmp, Err: err}
		}
		return tmp, nil
	}
}

// tempName is ".NAME.berth-PID-I-TRY.tmp" (tempPattern), built without
// fmt: a generator run names a thousand of them.
func tempName(name string, pid, i, try int) string {
	b := make([]byte, 0, len(name)+40)
	b = append(append(append(b, '.'), name...), ".berth-"...)
	b = append(strconv.AppendInt(b, int64(pid), 10), '-')
	b = append(strconv.AppendInt(b, int64(i), 10), '-')
	b = append(strconv.AppendInt(b, int64(try), 10), ".tmp"...)
	return string(b)
}

// Join is filepath.Join(dir, rel) for a clean dir (filepath.Clean's): when
// every element of rel is a plain name, the path is the two joined by a
// separator, without cleaning the whole path again (a generator joins a few
// thousand).
func Join(dir, rel string) string {
	if !PlainRel(rel) {
		return filepath.Join(dir, rel)
	}
	switch dir {
	case ".":
		return rel
	case string(filepath.Separator):
		return dir + rel
	}
	return dir + string(filepath.Separator) + rel
}

// Dir is filepath.Dir(Join(dir, rel)) for a clean dir, cut rather than
// cleaned again when rel is a path of plain names.
func Dir(dir, rel string) string {
	if !PlainRel(rel) {
		return filepath.Dir(filepath.Join(dir, rel))
	}
	i := strings.LastIndexByte(rel, filepath.Separator)
	if i < 0 {
		return dir
	}
	return Join(dir, rel[:i])
}

// PlainRel reports whether rel is a relative path of plain names: none
// empty, "." or "..".
func PlainRel(rel string) bool {
	if rel == "" || filepath.IsAbs(rel) || filepath.Separator != '/' && strings.ContainsRune(rel, '/') {
		return false
	}
	for {
		elem, rest, more := strings.Cut(rel, string(filepath.Separator))
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if !more {
			return true
		}
		rel = rest
	}
}

// currentUmask is the process's umask as /proc/self/status reports it
// (Linux 4.7+); -1 when unknown (then every file is fchmod'ed). When the
// umask keeps a file's permission bits, open(2) gives them and the fchmod
// is saved: one system call per unit the generator writes. It is read per
// batch, not cached: the umask can change. (umask(2) itself cannot be read
// without setting it, which would race with goroutines creating files.)
func currentUmask() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return -1
}

func writeFull(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func renameRaw(from, to string) error {
	if err := unix.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return syncfs(int(f.Fd()))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// SyncDir makes the renames in dir durable.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Symlink points path at target, replacing whatever link or file is there in
// one step; the folder is created if needed.
func Symlink(target, path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A symlink cannot be created with O_EXCL semantics under a random name
	// by the os package, so derive one from a temporary file's name.
	f, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	if err := os.Remove(tmp); err != nil {
		return err
	}
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// IsTemp reports whether name is one of this package's temporary files, for
// callers that list folders.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".berth-") && strings.HasSuffix(name, ".tmp")
}

// Parallel calls fn(0..n-1) on up to workers goroutines.
func Parallel(n, workers int, fn func(int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var mu sync.Mutex
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i < n; i = take() {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
