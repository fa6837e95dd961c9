package quadlet

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// compileWorkload compiles a single in-memory unit for target ("" for latest).
func compileWorkload(t *testing.T, name, text, target string) (*Service, []string) {
	t.Helper()
	f, diags := unitfile.Parse(name, []byte(text))
	if diags.HasErrors() {
		t.Fatalf("parse %s: %v", name, diags)
	}
	var opts Options
	if target != "" {
		opts.Target = version.Must(target)
	}
	res := Compile([]*Unit{{Name: name, File: f}}, opts)
	var errs []string
	for _, d := range res.Diags {
		errs = append(errs, d.String())
	}
	if len(res.Services) == 0 {
		return nil, errs
	}
	return res.Services[0], errs
}

// TestWorkloadTargets checks what .build, .kube and .pod units become for
// older podman versions: the flags they lack are refused at the key's line,
// and where an older podman can do the same another way, that is emitted.
func TestWorkloadTargets(t *testing.T) {
	tests := []struct {
		name, file, text, target string
		key                      string   // [Service] key whose value is checked
		want, notWant            []string // substrings of that value
		errs                     []string // substrings of the diagnostics, in order
	}{
		{name: "kube 4.3.1 has the kube group", file: "a.kube", target: "4.3.1",
			text: "[Kube]\nYaml=/k/a.yaml\nUserNS=keep-id\nLogOpt=tag=a\nAutoUpdate=registry\n",
			key:  "ExecStart", want: []string{" kube play --replace --service-container=true ", "--userns keep-id", "--log-opt tag=a"}},
		{name: "kube 4.3.1 leaves out --force=false", file: "a.kube", target: "4.3.1",
			text: "[Kube]\nYaml=/k/a.yaml\nKubeDownForce=\n",
			key:  "ExecStopPost", want: []string{" kube down /k/a.yaml"}, notWant: []string{"--force"}},
		{name: "kube 4.3.1 refuses newer keys", file: "a.kube", target: "4.3.1",
			text: "[Kube]\nYaml=/k/a.yaml\nPublishPort=80:80\nKubeDownForce=true\nExitCodePropagation=any\n",
			errs: []string{"a.kube:3: error: [too-new] key PublishPort needs podman 4.4.0 or newer; the target is podman 4.3.1",
				"a.kube:4: error: [too-new] key KubeDownForce needs podman 4.4.0",
				"a.kube:5: error: [too-new] key ExitCodePropagation needs podman 4.6.0"}},
		{name: "kube 4.2 uses play kube", file: "a.kube", target: "4.2.0",
			text: "[Kube]\nYaml=/k/a.yaml\n",
			key:  "ExecStart", want: []string{"/usr/bin/podman play kube --replace --service-container=true /k/a.yaml"}},
		{name: "kube 4.2 stops with play kube --down", file: "a.kube", target: "4.2.0",
			text: "[Kube]\nYaml=/k/a.yaml\n",
			key:  "ExecStopPost", want: []string{"/usr/bin/podman play kube --down /k/a.yaml"}},
		{name: "kube before 4.2 has no service container", file: "a.kube", target: "4.1.0",
			text: "[Kube]\nYaml=/k/a.yaml\nAutoUpdate=local\n",
			errs: []string{"a.kube:1: error: [too-new] a .kube unit needs podman 4.2.0 or newer (kube play --service-container); the target is podman 4.1.0"}},
		{name: "kube 4.1 refuses UserNS", file: "a.kube", target: "4.1.0",
			text: "[Kube]\nYaml=/k/a.yaml\nUserNS=auto\n",
			errs: []string{"a.kube:3: error: [too-new] key UserNS needs podman 4.2.0"}},
		{name: "kube empty LogDriver is left out", file: "a.kube",
			text: "[Kube]\nYaml=/k/a.yaml\nLogDriver=\n",
			errs: []string{"a.kube:3: warning: [empty-value] LogDriver= is empty"},
			key:  "ExecStart", notWant: []string{"--log-driver"}},
		{name: "build 4.3.1 has --retry", file: "a.build", target: "4.3.1",
			text: "[Build]\nImageTag=a\nFile=/b/Containerfile\nRetry=3\nRetryDelay=5s\nEnvironment=A=1\n",
			key:  "ExecStart", want: []string{"--retry 3", "--retry-delay 5s", "--env A=1"}},
		{name: "build 4.3.1 refuses newer keys", file: "a.build", target: "4.3.1",
			text: "[Build]\nImageTag=a\nFile=/b/Containerfile\nGroupAdd=keep-groups\nContainersConfModule=/m.conf\n",
			errs: []string{"a.build:4: error: [too-new] key GroupAdd needs podman 4.4.0", "a.build:5: error: [too-new] key ContainersConfModule needs podman 4.7.0"}},
		{name: "build 4.2 has no --retry", file: "a.build", target: "4.2.0",
			text: "[Build]\nImageTag=a\nFile=/b/Containerfile\nRetry=3\n",
			errs: []string{"a.build:4: error: [too-new] key Retry needs podman 4.3.0 or newer; the target is podman 4.2.0"}},
		{name: "build 4.0 has no --env", file: "a.build", target: "4.0.0",
			text: "[Build]\nImageTag=a\nFile=/b/Containerfile\nEnvironment=A=1\n",
			errs: []string{"a.build:4: error: [too-new] key Environment needs podman 4.1.0"}},
		{name: "pod 4.3.1 is as on 5.8", file: "a.pod", target: "4.3.1",
			text: "[Pod]\nDNSOption=ndots:1\nShmSize=1g\nExitPolicy=continue\n",
			key:  "ExecStartPre", want: []string{"--exit-policy continue", "--dns-option ndots:1", "--shm-size 1g", "--infra-name systemd-a-infra --name systemd-a"}},
		{name: "pod 4.1 has --dns-opt and no exit policy", file: "a.pod", target: "4.1.0",
			text: "[Pod]\nDNSOption=ndots:1\n",
			key:  "ExecStartPre", want: []string{"--dns-opt ndots:1"}, notWant: []string{"--exit-policy", "--dns-option"}},
		{name: "pod 4.1 refuses ExitPolicy and ShmSize", file: "a.pod", target: "4.1.0",
			text: "[Pod]\nExitPolicy=stop\nShmSize=1g\n",
			errs: []string{"a.pod:2: error: [too-new] key ExitPolicy needs podman 4.2.0", "a.pod:3: error: [too-new] key ShmSize needs podman 4.2.0"}},
		{name: "pod 3.2 cannot name the infra container", file: "a.pod", target: "3.2.0",
			text: "[Pod]\nPodName=web\n",
			key:  "ExecStartPre", want: []string{"--replace --name web"}, notWant: []string{"--infra-name"}},
		{name: "pod 3.2 refuses user namespaces and volumes", file: "a.pod", target: "3.2.0",
			text: "[Pod]\nUserNS=auto\nVolume=/a:/a\nIP6=fd00::1\n",
			errs: []string{"a.pod:2: error: [too-new] key UserNS needs podman 3.4.0", "a.pod:3: error: [too-new] key Volume needs podman 4.0.0", "a.pod:4: error: [too-new] key IP6 needs podman 4.0.0"}},
		{name: "pod empty ExitPolicy means stop", file: "a.pod",
			text: "[Pod]\nExitPolicy=\n",
			errs: []string{"a.pod:2: warning: [empty-value] ExitPolicy= is empty"},
			key:  "ExecStartPre", want: []string{"--exit-policy stop "}},
		{name: "pod empty StopTimeout is passed on", file: "a.pod",
			text: "[Pod]\nStopTimeout=\n",
			key:  "ExecStop", want: []string{"pod stop --ignore --time= systemd-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, errs := compileWorkload(t, tc.file, tc.text, tc.target)
			if len(errs) != len(tc.errs) {
				t.Fatalf("diagnostics:\n%s\nwant %d matching %q", strings.Join(errs, "\n"), len(tc.errs), tc.errs)
			}
			for i, e := range tc.errs {
				if !strings.Contains(errs[i], e) {
					t.Errorf("diagnostic %d = %q, want it to contain %q", i, errs[i], e)
				}
			}
			if tc.key == "" {
				return
			}
			if svc == nil {
				t.Fatalf("no service: %v", errs)
			}
			got, _ := svc.File.Lookup("Service", tc.key)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s=%s\nwant it to contain %q", tc.key, got, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("%s=%s\nwant no %q", tc.key, got, w)
				}
			}
		})
	}
}

// TestWorkloadTables checks the key tables: every key podman 5.8 supports,
// once, with its version and docs.
func TestWorkloadTables(t *testing.T) {
	for _, tc := range []struct {
		kind  *Kind
		count int
	}{{&buildKind, 28}, {&kubeKind, 19}, {&podKind, 29}} {
		tab := tc.kind.Keys()
		if len(tab.Keys) != tc.count {
			t.Errorf("%s: %d keys, want %d", tc.kind.Group, len(tab.Keys), tc.count)
		}
		seen := map[string]bool{}
		for _, k := range tab.Keys {
			switch {
			case seen[k.Name]:
				t.Errorf("%s: %s twice", tc.kind.Group, k.Name)
			case k.Since.Less(tc.kind.Since) || version.Latest.Less(k.Since):
				t.Errorf("%s: %s since %s, outside %s..%s", tc.kind.Group, k.Name, k.Since, tc.kind.Since, version.Latest)
			case k.Doc == "":
				t.Errorf("%s: %s has no Doc", tc.kind.Group, k.Name)
			case k.Form != Custom && k.Form != NoArg && k.Form != Flagless && k.Flag == "":
				t.Errorf("%s: %s has no Flag", tc.kind.Group, k.Name)
			}
			seen[k.Name] = true
		}
	}
}
