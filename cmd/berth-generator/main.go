// Command berth-generator is berth's systemd generator on its own, as
// podman's /usr/libexec/podman/quadlet is podman's: `berth install` links it
// as /etc/systemd/system-generators/berth-system-generator (or
// berth-user-generator), and systemd runs it at every boot and
// daemon-reload. It does what `berth generate` does, with podman's flags
// (-user -dryrun -v -no-kmsg-log -version), but links only the unit-file
// parser, the compiler and the generator: berth itself also links compose-go,
// OpenTelemetry and the Prometheus client, whose initialisation (JSON
// meta-schemas compiled, regexps, registries) takes ~18 ms before a single
// unit is read — longer than podman's generator needs for a small stack.
// cmd/berth-generator's test keeps it that way.
package main

import (
	"os"

	"github.com/berth-dev/berth/internal/gencmd"
)

func main() { os.Exit(gencmd.Main(os.Args, os.Stdout, os.Stderr)) }
