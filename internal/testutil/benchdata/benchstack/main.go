// Command benchstack writes the benchmark stack of package benchdata into a
// folder, for timing berth's generator side by side with podman's
// (scripts/bench-generate.sh). Usage: benchstack DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-dev/berth/internal/testutil/benchdata"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchstack DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range benchdata.Stack() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(f.Text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
