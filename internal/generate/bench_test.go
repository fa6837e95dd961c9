package generate

import (
	"github.com/berth-dev/berth/internal/testutil/benchdata"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// makeBenchUnits writes 1000 .container, 10 .network and 10 .volume files
// into dir. The containers refer to the networks and volumes, publish a
// port, set environment and labels and are wanted by default.target, so the
// benchmark exercises references, argument building and [Install] links.
func makeBenchUnits(tb testing.TB, dir string) {
	tb.Helper()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range benchdata.Stack() {
		write(f.Name, f.Text)
	}
}

// BenchmarkGenerate1000 runs the generator on 1020 units, printing them
// (dry-run) and writing them with their links into a folder.
func BenchmarkGenerate1000(b *testing.B) {
	units := b.TempDir()
	makeBenchUnits(b, units)
	quiet := &Logger{Stderr: io.Discard}
	run := func(b *testing.B, cfg Config) {
		cfg.Dirs = []string{units}
		cfg.Log = quiet
		cfg.Argv0 = "berth"
		for b.Loop() {
			if err := Run(cfg); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("dryrun", func(b *testing.B) { run(b, Config{DryRun: true, Stdout: io.Discard}) })
	b.Run("write", func(b *testing.B) { run(b, Config{Output: b.TempDir()}) })
}
