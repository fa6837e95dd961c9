package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/doctor"
	"github.com/berth-dev/berth/internal/podman"
)

func TestLintCmd(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lint", "../lint/testdata/unknown-key"}, exitFailed, "web.container:3:1: error: [unknown-key] unknown key Enviroment in [Container]\n    hint: did you mean Environment?"},
		{[]string{"lint", "../lint/testdata/untagged-image"}, exitOK, "[untagged-image]"},
		{[]string{"lint", "--strict", "../lint/testdata/untagged-image"}, exitFailed, "2 warnings"},
		{[]string{"lint", "--disable", "untagged-image", "--strict", "../lint/testdata/untagged-image"}, exitOK, "0 warnings"},
		{[]string{"--podman-version", "4.4.0", "lint", "../lint/testdata/too-new"}, exitFailed, "added to quadlet in podman 5.0.0"},
		{[]string{"lint", "--podman-version", "4.3.1", "../lint/testdata/too-new-berth"}, exitFailed, "added in podman 5.0.0"},
		{[]string{"-C", "../lint/testdata", "lint", "--format", "json", "plaintext-secret"}, exitOK, `"code": "plaintext-secret"`},
		{[]string{"lint", "--format", "sarif", "../lint/testdata/syntax"}, exitFailed, `"version": "2.1.0"`},
		{[]string{"lint", "--format", "yaml"}, exitUsage, ""},
	}
	for _, tc := range tests {
		a, stdout, stderr := testApp("berth", nil)
		if code := a.run(tc.args); code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("berth %s: exit %d, want %d; stdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, stdout, stderr)
		}
	}
}

func TestDoctorCmd(t *testing.T) {
	stub := &podman.Stub{}
	stub.On("podman --version", 0, "podman version 5.2.0\n")
	stub.On("podman info", 0, `{"host":{"cgroupManager":"systemd","cgroupVersion":"v2","networkBackend":"netavark","ociRuntime":{"name":"crun"}}}`)
	fakeHost := func() doctor.Host {
		return &doctor.FakeHost{Stub: stub, Files: map[string]string{"/proc/1/comm": "systemd\n", "/usr/lib/podman/aardvark-dns": "",
			"/usr/lib/systemd/system-generators/podman-system-generator": ""}}
	}
	a, stdout, stderr := testApp("berth", nil)
	a.doctorHost = fakeHost()
	if code := a.run([]string{"doctor", "--host", "--json"}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var rep doctor.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Checks) < 5 {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	a, stdout, _ = testApp("berth", nil)
	a.doctorHost = fakeHost()
	if code := a.run([]string{"-C", "../../examples/colosseum", "doctor", "colosseum-db"}); code != exitFailed ||
		!strings.Contains(stdout.String(), "fail  service colosseum-db") || strings.Contains(stdout.String(), "service colosseum-agent") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
}
