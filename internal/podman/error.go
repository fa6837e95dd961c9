package podman

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/unitfile"
)

// ExecError is a command that exited non-zero. Argv is already masked: it is
// safe to print.
type ExecError struct {
	Argv   []string
	Code   int
	Stderr string
}

func (e *ExecError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", unitfile.JoinArgs(e.Argv), e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}
