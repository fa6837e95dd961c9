package doctor

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/podman"
)

// FakeHost is a Host made of data, for tests: files by path, symlinks, and
// a podman.Stub answering commands.
type FakeHost struct {
	Files map[string]string
	Links map[string]string
	Stub  *podman.Stub
	Uid   int
	User  string
	// Missing lists commands that are not installed (Run fails to start them).
	Missing []string
}

func (f *FakeHost) ReadFile(name string) ([]byte, error) {
	if s, ok := f.Files[name]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (f *FakeHost) ReadDir(name string) ([]string, error) {
	seen := map[string]bool{}
	prefix := strings.TrimSuffix(name, "/") + "/"
	for _, m := range []map[string]string{f.Files, f.Links} {
		for p := range m {
			if rest, ok := strings.CutPrefix(p, prefix); ok {
				first, _, _ := strings.Cut(rest, "/")
				seen[first] = true
			}
		}
	}
	if len(seen) == 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (f *FakeHost) Readlink(name string) (string, error) {
	if s, ok := f.Links[name]; ok {
		return s, nil
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrNotExist}
}

func (f *FakeHost) Exists(name string) bool {
	if _, ok := f.Files[name]; ok {
		return true
	}
	_, err := f.ReadDir(name)
	return err == nil
}

func (f *FakeHost) Run(ctx context.Context, argv ...string) (string, string, int, error) {
	for _, m := range f.Missing {
		if len(argv) > 0 && path.Base(argv[0]) == m {
			return "", "", -1, errors.New("exec: \"" + m + "\": executable file not found in $PATH")
		}
	}
	if f.Stub == nil {
		f.Stub = &podman.Stub{}
	}
	var out, errb strings.Builder
	code, err := f.Stub.Run(ctx, podman.Cmd{Argv: argv, Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code, err
}

func (f *FakeHost) UID() int { return f.Uid }

func (f *FakeHost) UserName() string {
	if f.User == "" {
		return "root"
	}
	return f.User
}
