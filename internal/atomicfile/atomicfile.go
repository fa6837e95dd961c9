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
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm, true)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir and returns its name.
func writeTemp(dir, name string, data []byte, perm os.FileMode, sync bool) (string, error) {
	f, err := os.CreateTemp(dir, tempPattern(name))
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	return tmp, err
}

// File is one file of a batch.
type File struct {
	Name string // base name inside the batch's folder
	Data []byte
	Perm os.FileMode
}

// WriteAll writes a batch of files into dir, each atomically, with a single
// flush of the file system instead of one per file: the temporary files are
// written (concurrently, up to workers at a time), syncfs(2) flushes them all,
// and only then are they renamed into place. A crash at any point leaves
// every destination whole, old or new. The error of file i is errs[i].
func WriteAll(dir string, files []File, workers int) (errs []error) {
	errs = make([]error, len(files))
	tmps := make([]string, len(files))
	Parallel(len(files), workers, func(i int) {
		tmps[i], errs[i] = writeTemp(dir, files[i].Name, files[i].Data, files[i].Perm, false)
	})
	if err := syncFS(dir); err != nil {
		// No syncfs (not Linux, or refused): flush each file instead.
		Parallel(len(files), workers, func(i int) {
			if errs[i] == nil {
				errs[i] = syncFile(tmps[i])
			}
		})
	}
	for i := range files {
		if errs[i] == nil {
			errs[i] = os.Rename(tmps[i], filepath.Join(dir, files[i].Name))
		}
		if errs[i] != nil && tmps[i] != "" {
			_ = os.Remove(tmps[i])
		}
	}
	return errs
}

func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
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
