package compose

import (
	"fmt"
	"github.com/berth-dev/berth/internal/atomicfile"
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
		if err := atomicfile.Write(filepath.Join(dir, u.Name), []byte(u.File.Format()), 0o644); err != nil {
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

// WriteFiles writes the files the units read (Report.Files) atomically.
func WriteFiles(files []File) error {
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(f.Path, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
