package doctor

import (
	"bytes"
	"context"
	"os"
	"os/user"
	"sort"
	"strconv"

	"github.com/berth-dev/berth/internal/podman"
)

// Host is the machine doctor examines: its files (/proc included), the
// commands it runs (through internal/podman's Runner seam) and who runs
// berth. Tests use a FakeHost.
type Host interface {
	ReadFile(name string) ([]byte, error)
	// ReadDir lists the names in a folder, sorted.
	ReadDir(name string) ([]string, error)
	Readlink(name string) (string, error)
	Exists(name string) bool
	// Run runs argv and returns its output and exit code; err is non-nil
	// only when it could not be started.
	Run(ctx context.Context, argv ...string) (stdout, stderr string, code int, err error)
	UID() int
	UserName() string
}

// OSHost is the real machine.
type OSHost struct {
	Runner podman.Runner // nil means podman.ExecRunner{}
}

func (OSHost) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

func (OSHost) ReadDir(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

func (OSHost) Readlink(name string) (string, error) { return os.Readlink(name) }

func (OSHost) Exists(name string) bool { _, err := os.Stat(name); return err == nil }

func (h OSHost) Run(ctx context.Context, argv ...string) (string, string, int, error) {
	r := h.Runner
	if r == nil {
		r = podman.ExecRunner{}
	}
	var out, errb bytes.Buffer
	code, err := r.Run(ctx, podman.Cmd{Argv: argv, Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code, err
}

func (OSHost) UID() int { return os.Getuid() }

func (OSHost) UserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}
