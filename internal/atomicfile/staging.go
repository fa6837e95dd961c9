package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Staging is WriteAll in two steps, for files made one by one on several
// goroutines: Stage writes each to a temporary file as soon as it is made,
// Commit then flushes them all (unless Volatile) and renames them into
// place. Put writes a file of a Volatile batch into place at once.
type Staging struct {
	dir   string
	pid   int
	umask int
	b     Batch
	// named says Put cannot make unnamed files here (no O_TMPFILE).
	named atomic.Bool
	// dirFD is the folder, opened once for Put (dirErr: it could not be).
	dirOnce sync.Once
	dirFD   int
	dirErr  error
	dirOpen bool
	// link is how Put links unnamed files (linkEmptyPath, linkProc,
	// linkCopy); 0 until the first link.
	link atomic.Int32
	seq  atomic.Int64 // numbers Put's temporary names
}

// Staged is a file Stage wrote, for Commit or Discard.
type Staged struct {
	tmp string
}

// NewStaging prepares writing a batch of n files into dir.
func NewStaging(dir string, n int, b Batch) *Staging {
	// The folder is cleaned once: each file's paths are then joined by Join.
	s := &Staging{dir: filepath.Clean(dir), pid: os.Getpid(), umask: -1, b: b}
	if n >= 8 { // reading it costs three system calls, fchmod one per file
		s.umask = currentUmask()
	}
	return s
}

// Stage writes f.Data (not Fill) to a new temporary file for file i of
// the batch. Calls with different i may run at once.
func (s *Staging) Stage(i int, f File) (Staged, error) {
	tmp, err := writeTempRaw(s.dir, f, s.pid, i, false, s.umask)
	return Staged{tmp: tmp}, err
}

// Put writes f.Data into place at once, whole or not at all as a rename
// would, without flushing it: only for a Volatile batch, and only for a
// name no other file of the batch has (nothing orders Puts). Calls may run
// at once.
//
// Where the system can (Linux, a file system with O_TMPFILE) the file is
// written unnamed and then linked into the folder: one change to the
// folder where a temporary file takes two (its creation and the rename),
// ~25% of the time of writing a thousand small files into tmpfs. A name
// that exists already is replaced the usual way (linked under a temporary
// name, renamed over it). Killed before the link, an unnamed file vanishes
// with the process.
func (s *Staging) Put(i int, f File) error {
	if !s.b.Volatile {
		return errors.New("atomicfile: Put in a batch that is not Volatile")
	}
	if !s.named.Load() {
		err := s.putUnnamed(f)
		if !errors.Is(err, errNoUnnamed) {
			return err
		}
		s.named.Store(true)
	}
	tmp, err := writeTempRaw(s.dir, f, s.pid, i, false, s.umask)
	if err == nil {
		err = renameRaw(tmp, Join(s.dir, f.Name))
	}
	if err != nil && tmp != "" {
		_ = unix.Unlink(tmp)
	}
	return err
}

// errNoUnnamed says the folder's file system (or the system) cannot make
// unnamed files.
var errNoUnnamed = errors.New("no unnamed files here")

// How Put links an unnamed file: by its descriptor (linkat with
// AT_EMPTY_PATH: Linux 6.10 and newer, or with CAP_DAC_READ_SEARCH), by
// its /proc/self/fd link, or (neither works) by copying it to a named
// temporary file.
const (
	linkEmptyPath = iota + 1
	linkProc
	linkCopy
)

// folder is the batch's folder, open.
func (s *Staging) folder() (int, error) {
	s.dirOnce.Do(func() {
		s.dirFD, s.dirErr = unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		s.dirOpen = s.dirErr == nil
	})
	return s.dirFD, s.dirErr
}

// Discard drops a staged file that is not to be committed.
func (s *Staging) Discard(st Staged) {
	if st.tmp != "" {
		_ = unix.Unlink(st.tmp)
	}
}

// Commit renames each staged file whose errs[i] is nil to names[i],
// flushing them all to disk first unless the batch is Volatile, and sets
// errs[i] when that fails. It removes every staged file it does not put
// in place, and is called once, after every Stage and Put.
func (s *Staging) Commit(names []string, staged []Staged, errs []error) {
	if !s.b.Volatile {
		if err := syncFS(s.dir); err != nil {
			// No syncfs (not Linux, or refused): flush each file instead.
			Parallel(len(staged), s.b.Workers, func(i int) {
				if errs[i] == nil && staged[i].tmp != "" {
					errs[i] = syncFile(staged[i].tmp)
				}
			})
		}
	}
	for i, st := range staged {
		if errs[i] == nil && st.tmp != "" {
			errs[i] = renameRaw(st.tmp, Join(s.dir, names[i]))
		}
		if errs[i] != nil && st.tmp != "" {
			_ = unix.Unlink(st.tmp)
		}
	}
	if s.dirOpen {
		_ = unix.Close(s.dirFD)
		s.dirOpen = false
	}
}
