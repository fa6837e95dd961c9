package podman

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/version"
)

// BinaryVersion runs `podman --version`. Unlike Version (`podman version
// --format json`) it needs neither storage nor a podman service, so it
// answers on hosts whose podman is installed but not usable yet, which is
// what `berth install` must know to pick a generator.
func (c *Client) BinaryVersion(ctx context.Context) (version.V, error) {
	var out bytes.Buffer
	code, err := c.Runner.Run(ctx, Cmd{Argv: []string{c.bin(), "--version"}, Stdout: &out})
	if err != nil {
		return version.V{}, fmt.Errorf("%s --version: %w", c.bin(), err)
	}
	if code != 0 {
		return version.V{}, &ExecError{Argv: []string{c.bin(), "--version"}, Code: code}
	}
	v, err := ParseVersionLine(out.String())
	if err != nil {
		return version.V{}, fmt.Errorf("%s --version: cannot read a version in %q", c.bin(), out.String())
	}
	return v, nil
}

// ParseVersionLine reads the output of `podman --version`, "podman version
// 4.3.1": the version is the last word.
func ParseVersionLine(s string) (version.V, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return version.V{}, fmt.Errorf("no version in %q", s)
	}
	return version.Parse(f[len(f)-1])
}
