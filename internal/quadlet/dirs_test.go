package quadlet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/version"
)

// makeTree creates folders (ending in /), files and symlinks ("link -> target")
// under root.
func makeTree(t *testing.T, root string, entries []string) {
	t.Helper()
	for _, e := range entries {
		if link, target, ok := strings.Cut(e, " -> "); ok {
			p := filepath.Join(root, link)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		p := filepath.Join(root, e)
		if strings.HasSuffix(e, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchDirs(t *testing.T) {
	const (
		run  = "$R/run/containers/systemd"
		etc  = "$R/etc/containers/systemd"
		usr  = "$R/usr/share/containers/systemd"
		home = "$R/home/u"
	)
	tests := []struct {
		name string
		user bool
		tree []string
		env  map[string]string // $R is the temporary root
		home string
		uid  int
		want []string
		logs []string
		// target is the podman version ("" for today's 5.8)
		target string
	}{
		{
			name: "root: missing folders are listed",
			want: []string{run, etc, usr},
		},
		{
			name: "root: subfolders depth first, drop-ins and users skipped",
			tree: []string{
				"run/containers/systemd/b/", "run/containers/systemd/a/deep/", "run/containers/systemd/a.container",
				"etc/containers/systemd/web.container.d/", "etc/containers/systemd/users/1000/",
				"etc/containers/systemd/users/shared/", "etc/containers/systemd/sub/",
				"usr/share/containers/systemd/",
			},
			want: []string{run, run + "/a", run + "/a/deep", run + "/b", etc, etc + "/sub", usr},
		},
		{
			name: "root: users prefix is a string prefix, as in podman",
			tree: []string{"etc/containers/systemd/users-old/"},
			want: []string{run, etc, usr},
		},
		{
			name: "root: symlinked folders are listed once, by resolved path",
			tree: []string{
				"usr/share/containers/systemd/shared/",
				"etc/containers/systemd/link -> ../../../usr/share/containers/systemd/shared",
				"etc/containers/systemd/loop -> .",
				"etc/containers/systemd/dangling -> nowhere",
			},
			want: []string{run, etc, etc + "/dangling", usr + "/shared", usr},
		},
		{
			name: "user: runtime, config, shared users folders, own uid",
			user: true,
			tree: []string{
				"xdg/containers/systemd/", home + "/.config/containers/systemd/x/",
				"etc/containers/systemd/users/1000/sub/", "etc/containers/systemd/users/1001/",
				"etc/containers/systemd/users/shared/2000/", "etc/containers/systemd/top/",
			},
			env:  map[string]string{"XDG_RUNTIME_DIR": "$R/xdg"},
			home: home,
			uid:  1000,
			want: []string{
				"$R/xdg/containers/systemd", home + "/.config/containers/systemd", home + "/.config/containers/systemd/x",
				etc + "/users", etc + "/users/shared", etc + "/users/shared/2000",
				etc + "/users/1000", etc + "/users/1000/sub",
			},
		},
		{
			name: "user, podman 6: then /usr/share's users folders; another user's left out (deliberately)",
			user: true,
			tree: []string{
				"etc/containers/systemd/users/1000/", "usr/share/containers/systemd/users/1000/app/",
				"usr/share/containers/systemd/users/1001/", "usr/share/containers/systemd/users/shared/",
			},
			home:   home,
			uid:    1000,
			target: "6.0.0",
			want: []string{
				home + "/.config/containers/systemd", etc + "/users", etc + "/users/1000",
				usr + "/users", usr + "/users/shared", usr + "/users/1000", usr + "/users/1000/app",
			},
		},
		{
			name:   "user, podman 5.8: no /usr/share users folders",
			user:   true,
			tree:   []string{"usr/share/containers/systemd/users/1000/"},
			home:   home,
			uid:    1000,
			target: "5.8.2",
			want:   []string{home + "/.config/containers/systemd", etc + "/users", etc + "/users/1000"},
		},
		{
			name:   "root, podman 6: /usr/share's users folder is read, as podman 6 reads it",
			tree:   []string{"usr/share/containers/systemd/users/1000/", "etc/containers/systemd/users/"},
			target: "6.0.0",
			want:   []string{run, etc, usr, usr + "/users", usr + "/users/1000"},
		},
		{
			name: "user: XDG_CONFIG_HOME wins over HOME",
			user: true,
			env:  map[string]string{"XDG_CONFIG_HOME": "$R/cfg"},
			home: home,
			uid:  7,
			want: []string{"$R/cfg/containers/systemd", etc + "/users", etc + "/users/7"},
		},
		{
			name: "user: no HOME stops after the runtime folder",
			user: true,
			env:  map[string]string{"XDG_RUNTIME_DIR": "/r"},
			uid:  7,
			want: []string{"/r/containers/systemd"},
			logs: []string{"Warning: neither $XDG_CONFIG_HOME nor $HOME are defined"},
		},
		{
			name: "user: relative XDG_CONFIG_HOME is refused",
			user: true,
			env:  map[string]string{"XDG_CONFIG_HOME": "cfg"},
			home: home,
			uid:  7,
			logs: []string{"Warning: path in $XDG_CONFIG_HOME is relative"},
		},
		{
			name: "QUADLET_UNIT_DIRS replaces everything and stops at a relative entry",
			user: true,
			tree: []string{"a/sub/", "b/", "a/x.d/"},
			env:  map[string]string{"QUADLET_UNIT_DIRS": "$R/a:$R/b:rel:$R/c", "XDG_RUNTIME_DIR": "/r"},
			home: home,
			want: []string{"$R/a", "$R/a/sub", "$R/b"},
			logs: []string{"rel not a valid file path"},
		},
		{
			name: "QUADLET_UNIT_DIRS: a folder named *.d is skipped, as in podman",
			tree: []string{"units.d/"},
			env:  map[string]string{"QUADLET_UNIT_DIRS": "$R/units.d"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			expand := func(s string) string { return strings.ReplaceAll(s, "$R", root) }
			var tree []string
			for _, e := range tc.tree {
				tree = append(tree, strings.TrimPrefix(strings.ReplaceAll(e, "$R", ""), "/"))
			}
			makeTree(t, root, tree)
			var logs []string
			env := Env{
				LookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return expand(v), ok },
				Home:      expand(tc.home), UID: tc.uid, Root: root,
				Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) },
			}
			if tc.target != "" {
				env.Target = version.Must(tc.target)
			}
			got := SearchDirs(tc.user, env)
			var want []string
			for _, w := range tc.want {
				want = append(want, expand(w))
			}
			if !slices.Equal(got, want) {
				t.Errorf("SearchDirs:\n got %q\nwant %q", got, want)
			}
			if !slices.Equal(logs, tc.logs) {
				t.Errorf("logs:\n got %q\nwant %q", logs, tc.logs)
			}
		})
	}
}

func TestSearchDirsUnknownUID(t *testing.T) {
	root := t.TempDir()
	env := Env{Home: "/home/u", UID: -1, Root: root}
	got := SearchDirs(true, env)
	want := []string{"/home/u/.config/containers/systemd", filepath.Join(root, DirAdmin, "users")}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSearchDirsUnknownUIDPodman6(t *testing.T) {
	root := t.TempDir()
	env := Env{Home: "/home/u", UID: -1, Root: root, Target: version.Main}
	got := SearchDirs(true, env)
	want := []string{"/home/u/.config/containers/systemd", filepath.Join(root, DirAdmin, "users"), filepath.Join(root, DirDistro, "users")}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHostEnv(t *testing.T) {
	t.Setenv("HOME", "/somewhere")
	env := HostEnv()
	if env.Home != "/somewhere" || env.UID != os.Getuid() || env.Root != "" {
		t.Errorf("HostEnv() = %+v", env)
	}
}
