package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

const fakeInfo = `{"host":{"cgroupManager":"systemd","cgroupVersion":"v2","networkBackend":"netavark",
"ociRuntime":{"name":"crun"},"security":{"rootless":true}}}`

// procTCP has a listener on 127.0.0.1:5432 (inode 999) and on [::]:8080
// (inode 1001), and a connected socket that must be ignored.
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 999 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A2B4 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 1000 1 0000000000000000 20 4 30 10 -1
`

const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1001 1 0000000000000000 100 0 0 10 0
`

func fakeHost(t *testing.T) *FakeHost {
	stub := &podman.Stub{}
	stub.On("podman --version", 0, "podman version 5.2.0\n")
	stub.On("podman info", 0, fakeInfo)
	stub.On("podman images", 0, "")
	stub.On("podman inspect --type container --format json colosseum-agent", 0,
		`[{"State":{"Status":"exited","Running":false,"ExitCode":1,"Health":{"Status":"unhealthy","Log":[{"ExitCode":1,"Output":"connection refused"}]}}}]`)
	stub.On("podman inspect", 125, "")
	stub.On("podman logs --tail 10 colosseum-agent", 0, "agent: cannot reach colosseum-db:5432\n")
	stub.On("systemctl --user show", 0, "ActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=1\n")
	return &FakeHost{
		Uid: 1000, User: "alice", Stub: stub,
		Files: map[string]string{
			"/proc/1/comm":    "systemd\n",
			"/etc/subuid":     "alice:100000:65536\n",
			"/etc/subgid":     "bob:100000:65536\n",
			"/proc/net/tcp":   procTCP,
			"/proc/net/tcp6":  procTCP6,
			"/proc/4242/comm": "postgres\n", "/proc/4242/cmdline": "/usr/lib/postgresql/15/bin/postgres\x00-D\x00/data\x00",
			"/usr/lib/podman/aardvark-dns":                               "",
			"/usr/lib/systemd/system-generators/podman-system-generator": "",
		},
		Links: map[string]string{"/proc/4242/fd/3": "socket:[999]", "/proc/4242/fd/4": "/dev/null", "/proc/77/fd/0": "socket:[5]"},
	}
}

func writeStack(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"db.container": "[Container]\nContainerName=colosseum-db\nImage=localhost/pg:15\nPublishPort=127.0.0.1:5432:5432\n",
		"agent.container": "[Unit]\nRequires=db.container\n[Container]\nContainerName=colosseum-agent\nImage=localhost/agent:1\n" +
			"PublishPort=8000:8000\n",
		"bad.container": "[Container]\nImage=x:1\nEnviroment=A=1\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func byName(r *Report) map[string]Check {
	m := map[string]Check{}
	for _, c := range r.Checks {
		m[c.Name] = c
	}
	return m
}

func TestDoctorFakeHost(t *testing.T) {
	h := fakeHost(t)
	rep := Run(context.Background(), h, Options{Dirs: []string{writeStack(t)}, User: true})
	got := byName(rep)
	expect := []struct {
		name   string
		status Status
		text   string
	}{
		{"podman", OK, "podman 5.2.0"},
		{"runtime (crun)", Skipped, "no local image"},
		{"cgroups", OK, "cgroup v2, manager systemd"},
		{"network", OK, "aardvark-dns"},
		{"rootless", Fail, "/etc/subgid"},
		{"linger", Warn, "loginctl enable-linger alice"},
		{"systemd", OK, "PID 1 is systemd"},
		{"quadlet generator", OK, "podman generates the units"},
		{"port 127.0.0.1:5432/tcp", Fail, "already in use by postgres (pid 4242): /usr/lib/postgresql/15/bin/postgres -D /data"},
		{"port *:8000/tcp", OK, "free"},
		{"service db", Fail, "does not exist"},
		{"service agent", Fail, "exit code 1"},
		{"service bad", Fail, "does not compile"},
	}
	for _, e := range expect {
		c, ok := got[e.name]
		if !ok {
			t.Errorf("no check %q", e.name)
			continue
		}
		all := c.Summary + " " + c.Fix + " " + strings.Join(c.Details, " ")
		if c.Status != e.status || !strings.Contains(all, e.text) {
			t.Errorf("%s: got %s %q, want %s containing %q", e.name, c.Status, all, e.status, e.text)
		}
	}
	agent := got["service agent"]
	for _, want := range []string{"held back by db.container", "cannot reach colosseum-db:5432", "exit 1: connection refused", "ActiveState=failed"} {
		if !strings.Contains(strings.Join(agent.Details, "\n"), want) {
			t.Errorf("agent details lack %q: %q", want, agent.Details)
		}
	}
	if !strings.Contains(got["port 127.0.0.1:5432/tcp"].Fix, "PublishPort=127.0.0.1:5433:5432") {
		t.Errorf("port fix: %q", got["port 127.0.0.1:5432/tcp"].Fix)
	}
	if !rep.Failed() {
		t.Error("a failing check must fail the report")
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "fail  port 127.0.0.1:5432/tcp") {
		t.Errorf("text: %v\n%s", err, text.String())
	}
	var back Report
	if err := rep.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil || len(back.Checks) != len(rep.Checks) {
		t.Errorf("json round trip failed: %v\n%s", err, js.String())
	}
}

func TestDoctorNoPodman(t *testing.T) {
	h := &FakeHost{Missing: []string{"podman"}, Files: map[string]string{"/etc/os-release": "ID=fedora\n"}}
	rep := Run(context.Background(), h, Options{})
	if len(rep.Checks) != 1 || rep.Checks[0].Status != Fail || !strings.Contains(rep.Checks[0].Fix, "dnf install -y podman") {
		t.Errorf("got %+v", rep.Checks)
	}
}

func TestTrialContainer(t *testing.T) {
	for _, tc := range []struct {
		startCode int
		stderr    string
		status    Status
		fix       string
	}{
		{0, "", OK, ""},
		{127, "executable file `true` not found", OK, ""},
		{126, "crun: cgroups in hybrid mode not supported", Fail, `runtime = "runc"`},
	} {
		h := fakeHost(t)
		h.Stub = &podman.Stub{}
		h.Stub.On("podman --version", 0, "podman version 4.3.1")
		h.Stub.On("podman info", 0, fakeInfo)
		h.Stub.On("podman images", 0, "<none>:<none>\nlocalhost/kv:latest\n")
		h.Stub.On("podman inspect --format {{.HostsPath}}", 0, "/run/hosts\n")
		h.Stub.Replies = append(h.Stub.Replies, podman.Reply{Prefix: []string{"podman", "start"}, Code: tc.startCode, Stderr: tc.stderr})
		h.Files["/run/hosts"] = "127.0.0.1 localhost\n10.88.0.1 host.containers.internal\n"
		got := byName(Run(context.Background(), h, Options{}))
		c := got["runtime (crun)"]
		if c.Status != tc.status || !strings.Contains(c.Fix, tc.fix) {
			t.Errorf("start exit %d: got %+v", tc.startCode, c)
		}
		if hc := got["host.containers.internal"]; hc.Status != OK || !strings.Contains(hc.Summary, "10.88.0.1") {
			t.Errorf("hosts: %+v", hc)
		}
		if cmds := strings.Join(h.Stub.Commands(), "\n"); !strings.Contains(cmds, "podman create --name berth-doctor-trial --entrypoint true localhost/kv:latest") ||
			!strings.Contains(cmds, "podman start --attach berth-doctor-trial\npodman rm -f -i berth-doctor-trial") {
			t.Errorf("commands:\n%s", cmds)
		}
	}
}

func TestParseProcNet(t *testing.T) {
	ls := parseProcNet(procTCP6, "tcp", "0A")
	if len(ls) != 1 || ls[0].Port != 8080 || !ls[0].IP.IsUnspecified() || ls[0].Inode != "1001" {
		t.Fatalf("got %+v", ls)
	}
	ls = parseProcNet(procTCP+"garbage\n 9: zz:zz 0 0A a b c d e f\n", "tcp", "0A")
	if len(ls) != 1 || ls[0].IP.String() != "127.0.0.1" || ls[0].Port != 5432 {
		t.Fatalf("got %+v", ls)
	}
	if n := len(conflicts(ls, "", 5432, "tcp")); n != 1 {
		t.Errorf("all interfaces must conflict with 127.0.0.1: %d", n)
	}
	if n := len(conflicts(ls, "127.0.0.2", 5432, "tcp")); n != 0 {
		t.Errorf("another address must not conflict: %d", n)
	}
}

// berth's generator link and podman's own generator both active (podman was
// upgraded after berth install) is a warning with both ways out; a mask on
// podman's, or no podman generator, is fine.
func TestDoctorTwoGenerators(t *testing.T) {
	tests := []struct {
		name   string
		links  map[string]string
		status Status
		text   string
	}{
		{"both run", map[string]string{berthSystemGenerator: "/usr/local/bin/berth"}, Warn, "two quadlet generators run"},
		{"podman's masked", map[string]string{berthSystemGenerator: "/usr/local/bin/berth", podmanGeneratorMask: "/dev/null"}, OK, "berth generates the units"},
		{"podman's only", nil, OK, "podman generates the units"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := fakeHost(t)
			for k, v := range tc.links {
				h.Links[k] = v
			}
			rep := Run(context.Background(), h, Options{Dirs: []string{writeStack(t)}, User: true})
			c := byName(rep)["quadlet generator"]
			if c.Status != tc.status || !strings.Contains(c.Summary, tc.text) {
				t.Errorf("got %s %q, want %s containing %q", c.Status, c.Summary, tc.status, tc.text)
			}
			if tc.status == Warn && (!strings.Contains(c.Fix, "rm "+berthSystemGenerator) || !strings.Contains(c.Fix, "ln -s /dev/null "+podmanGeneratorMask)) {
				t.Errorf("fix: %q", c.Fix)
			}
		})
	}
}
