//go:build !linux

package atomicfile

// putUnnamed: only Linux has O_TMPFILE; Put writes a temporary file and
// renames it.
func (s *Staging) putUnnamed(File) error { return errNoUnnamed }
