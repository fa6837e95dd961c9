package compose

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-dev/berth/internal/quadlet"
)

// WriteUnits writes each unit into dir atomically: a temporary file in the
// same folder, synced, then renamed over the target, so a reader never sees
// a half-written unit.
func WriteUnits(dir string, units []*quadlet.Unit) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder: %w", err)
	}
	for _, u := range units {
		if err := writeAtomic(filepath.Join(dir, u.Name), []byte(u.File.Format())); err != nil {
			return err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".berth-convert-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, werr)
	}
	return nil
}
