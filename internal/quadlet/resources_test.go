package quadlet

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// compileOne compiles in-memory units for a target and returns the
// ExecStart= of want (a service name) and every diagnostic as text.
func compileOne(t *testing.T, target string, files map[string]string, want string) (string, string) {
	t.Helper()
	var units []*Unit
	for name, src := range files {
		f, diags := unitfile.Parse(name, []byte(src))
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		units = append(units, &Unit{Name: name, File: f})
	}
	opts := Options{}
	if target != "" {
		opts.Target = version.Must(target)
	}
	res := Compile(units, opts)
	var diags []string
	for _, d := range res.Diags {
		diags = append(diags, d.String())
	}
	for _, s := range res.Services {
		if s.Name == want {
			exec, _ := s.File.Lookup("Service", "ExecStart")
			return exec, strings.Join(diags, "\n")
		}
	}
	return "", strings.Join(diags, "\n")
}

func TestResourceTargets(t *testing.T) {
	tests := []struct {
		name, target, file, src, service string
		exec, diag                       string // expected ExecStart=, a substring of the diagnostics
	}{
		{name: "network on 4.3.1 checks before creating", target: "4.3.1",
			file: "net.network", src: "[Network]\nSubnet=10.1.0.0/24\n", service: "net-network.service",
			exec: `/bin/sh -c "/usr/bin/podman network exists systemd-net || exec \"$@\"" sh /usr/bin/podman network create --subnet 10.1.0.0/24 systemd-net`},
		{name: "network on 4.4.0 uses --ignore", target: "4.4.0",
			file: "net.network", src: "[Network]\n", service: "net-network.service",
			exec: "/usr/bin/podman network create --ignore systemd-net"},
		{name: "network for the latest podman", target: "",
			file: "net.network", src: "[Network]\n", service: "net-network.service",
			exec: "/usr/bin/podman network create --ignore systemd-net"},
		{name: "exists gets the global arguments", target: "4.3.1",
			file: "v.volume", src: "[Volume]\nVolumeName=data\nGlobalArgs=--root /srv/c\n", service: "v-volume.service",
			exec: `/bin/sh -c "/usr/bin/podman --root /srv/c volume exists data || exec \"$@\"" sh /usr/bin/podman --root /srv/c volume create data`},
		{name: "template volume keeps %i for systemd", target: "4.3.1",
			file: "c@.volume", src: "[Volume]\n", service: "c-volume@.service",
			exec: `/bin/sh -c "/usr/bin/podman volume exists systemd-c-%i || exec \"$@\"" sh /usr/bin/podman volume create systemd-c-%i`},
		{name: "network DNS needs 4.4.0", target: "4.3.1",
			file: "net.network", src: "[Network]\nInternal=yes\nDNS=1.1.1.1\n",
			diag: "net.network:3: error: [too-new] key DNS needs podman 4.4.0 or newer; the target is podman 4.3.1"},
		{name: "network DNS on 4.4.0", target: "4.4.0",
			file: "net.network", src: "[Network]\nDNS=1.1.1.1\n", service: "net-network.service",
			exec: "/usr/bin/podman network create --ignore --dns 1.1.1.1 systemd-net"},
		{name: "network InterfaceName needs 4.5.0", target: "4.4.1",
			file: "net.network", src: "[Network]\nInterfaceName=br9\n",
			diag: "net.network:2: error: [too-new] key InterfaceName needs podman 4.5.0 or newer; the target is podman 4.4.1"},
		{name: "image DecryptionKey needs 4.4.0", target: "4.3.1",
			file: "i.image", src: "[Image]\nImage=quay.io/a/b\nDecryptionKey=/k.pem\n",
			diag: "i.image:3: error: [too-new] key DecryptionKey needs podman 4.4.0 or newer"},
		{name: "image Policy needs 5.6.0", target: "5.5.2",
			file: "i.image", src: "[Image]\nImage=quay.io/a/b\nPolicy=always\n",
			diag: "i.image:3: error: [too-new] key Policy needs podman 5.6.0 or newer"},
		{name: "image Retry needs 5.0.0", target: "4.9.5",
			file: "i.image", src: "[Image]\nImage=quay.io/a/b\nRetry=3\n",
			diag: "i.image:3: error: [too-new] key Retry needs podman 5.0.0 or newer"},
		{name: "image pulls work on 4.3.1", target: "4.3.1",
			file: "i.image", src: "[Image]\nImage=quay.io/a/b\nAllTags=yes\n", service: "i-image.service",
			exec: "/usr/bin/podman image pull --all-tags quay.io/a/b"},
		{name: "artifact on 4.3.1 is one error for the file", target: "4.3.1",
			file: "a.artifact", src: "[Artifact]\nArtifact=quay.io/a/b\nRetry=2\nTLSVerify=no\n",
			diag: "a.artifact:1: error: [too-new] a.artifact needs podman 5.4.0 or newer: .artifact units run podman artifact pull; the target is podman 4.3.1"},
		{name: "artifact on 5.3.2 is refused", target: "5.3.2",
			file: "a.artifact", src: "[Artifact]\nArtifact=quay.io/a/b\n",
			diag: "needs podman 5.4.0 or newer"},
		{name: "artifact on 5.4.0 pulls", target: "5.4.0",
			file: "a.artifact", src: "[Artifact]\nArtifact=quay.io/a/b\nRetry=2\n", service: "a-artifact.service",
			exec: "/usr/bin/podman artifact pull --retry 2 quay.io/a/b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exec, diags := compileOne(t, tc.target, map[string]string{tc.file: tc.src}, tc.service)
			if exec != tc.exec {
				t.Errorf("ExecStart=\n got %s\nwant %s", exec, tc.exec)
			}
			if tc.diag == "" && diags != "" || !strings.Contains(diags, tc.diag) {
				t.Errorf("diagnostics:\n got %s\nwant %s", diags, tc.diag)
			}
			if tc.diag != "" && strings.Count(diags, "\n") > 0 {
				t.Errorf("want one diagnostic, got:\n%s", diags)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "''",
		"plain-word_1.2":    "plain-word_1.2",
		"systemd-db-%i":     "systemd-db-%i",
		"--opt=a,b:c@d+e":   "--opt=a,b:c@d+e",
		"two words":         "'two words'",
		"it's":              `'it'\''s'`,
		"$HOME":             "'$HOME'",
		`back\slash "q"`:    `'back\slash "q"'`,
		"semi;colon|pipe&x": "'semi;colon|pipe&x'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCreateWrapperRuns runs the 4.3-compatible ExecStart= the way systemd
// would (split into words, then executed) with a fake podman, in a folder
// whose name needs quoting, and checks what podman receives.
func TestCreateWrapperRuns(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := filepath.Join(t.TempDir(), "bin dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	podman, log := filepath.Join(dir, "podman"), filepath.Join(dir, "log")
	script := "#!/bin/sh\n{ printf '%s\\n' \"$0\"; for a; do printf '%s\\n' \"$a\"; done; echo ---; } >> \"$LOG\"\n" +
		"for a; do [ \"$a\" = exists ] && exit \"$EXISTS\"; done\nexit 0\n"
	if err := os.WriteFile(podman, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "[Network]\nNetworkName=back-end\nLabel=\"owner=Jo's team\" cost=$5\nGlobalArgs=--root \"/srv/my root\"\n"
	f, _ := unitfile.Parse("n.network", []byte(src))
	res := Compile([]*Unit{{Name: "n.network", File: f}}, Options{Target: version.Must("4.3.1"), Podman: podman})
	if len(res.Services) != 1 {
		t.Fatal(res.Diags)
	}
	line, _ := res.Services[0].File.Lookup("Service", "ExecStart")
	argv, err := unitfile.SplitArgs(line)
	if err != nil {
		t.Fatal(err)
	}
	create := []string{podman, "--root", "/srv/my root", "network", "create",
		"--label", "cost=$5", "--label", "owner=Jo's team", "back-end"}
	exists := []string{podman, "--root", "/srv/my root", "network", "exists", "back-end"}
	for _, tc := range []struct {
		exists string
		calls  [][]string
	}{
		{"1", [][]string{exists, create}}, // missing: created
		{"0", [][]string{exists}},         // present: left alone
	} {
		os.Remove(log)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "LOG="+log, "EXISTS="+tc.exists)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		data, _ := os.ReadFile(log)
		var calls [][]string
		for _, call := range strings.Split(strings.TrimSuffix(string(data), "---\n"), "---\n") {
			calls = append(calls, strings.Split(strings.TrimSuffix(call, "\n"), "\n"))
		}
		if !reflect.DeepEqual(calls, tc.calls) {
			t.Errorf("exists=%s: podman calls\n got %q\nwant %q", tc.exists, calls, tc.calls)
		}
	}
}

// TestResourceTables checks the key tables of the resource types: podman
// 5.8's key counts and podman 6.0's (Volume's UID=/GID= came after 5.8),
// one row per key, and a version and a description on every row.
func TestResourceTables(t *testing.T) {
	for kind, n := range map[*Kind][2]int{&volumeKind: {14, 16}, &networkKind: {18, 18}, &imageKind: {18, 18}, &artifactKind: {13, 13}} {
		keys := kind.Keys().Keys
		in58 := 0
		for _, k := range keys {
			if !version.Latest.Less(k.Since) {
				in58++
			}
		}
		if in58 != n[0] || len(keys) != n[1] {
			t.Errorf("%s: %d keys in podman 5.8, %d in 6.0; want %d, %d", kind.Group, in58, len(keys), n[0], n[1])
		}
		seen := map[string]bool{}
		for _, k := range keys {
			switch {
			case seen[k.Name]:
				t.Errorf("%s: %s twice", kind.Group, k.Name)
			case k.Since.IsZero() || k.Doc == "":
				t.Errorf("%s: %s lacks Since or Doc", kind.Group, k.Name)
			case k.Since.Less(kind.Since) || version.Main.Less(k.Since) || version.Main.Less(k.Needs):
				t.Errorf("%s: %s has Since %s / Needs %s outside %s..%s", kind.Group, k.Name, k.Since, k.Needs, kind.Since, version.Main)
			}
			seen[k.Name] = true
		}
	}
}
