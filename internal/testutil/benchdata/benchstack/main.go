// Command benchstack writes the benchmark stack of package benchdata into a
// folder, for timing berth's generator side by side with podman's
// (scripts/bench-generate.sh). Usage: benchstack DIR [CONTAINERS]; the
// default, 1000 containers, is the 1020-unit stack.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/testutil/benchdata"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: benchstack DIR [CONTAINERS]")
		os.Exit(2)
	}
	n := 1000
	if len(os.Args) == 3 {
		var err error
		if n, err = strconv.Atoi(os.Args[2]); err != nil || n < 1 || n > 50000 {
			fmt.Fprintf(os.Stderr, "benchstack: CONTAINERS must be a number from 1 to 50000, not %q\n", os.Args[2])
			os.Exit(2)
		}
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range benchdata.StackN(n) {
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(f.Text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
