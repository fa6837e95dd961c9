// Command berth compiles podman quadlet files into systemd units and runs
// stacks on podman. Linked as berth-system-generator or
// berth-user-generator it is a systemd generator.
package main

import (
	"os"

	"github.com/berth-dev/berth/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
