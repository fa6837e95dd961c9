package run

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

var testFiles = map[string]string{
	"net.network":    "[Network]\n",
	"data.volume":    "[Volume]\n",
	"db.container":   "[Unit]\nRequires=net-network.service data-volume.service\nAfter=net-network.service data-volume.service\n[Container]\nImage=localhost/kv\nNetwork=net.network\nVolume=data.volume:/data\nEnvironment=DB_PASSWORD=hunter2\nHealthCmd=[\"/kv\",\"-check\",\"http://127.0.0.1:8081/healthz\"]\nNotify=healthy\n",
	"web.container":  "[Unit]\nRequires=db.service\nAfter=db.service\n[Container]\nImage=localhost/web\nNetwork=net.network\n[Service]\nRestart=always\n",
	"side.container": "[Container]\nImage=localhost/web\n",
}

func testHost() *sd.Host {
	return &sd.Host{UserName: "root", Home: "/root", Shell: "/bin/sh", RuntimeDir: "/run", StateDir: "/var/lib",
		CacheDir: "/var/cache", LogsDir: "/var/log", ConfigDir: "/etc", TempDir: "/tmp", VarTmpDir: "/var/tmp"}
}

func testStack(t *testing.T, files map[string]string) *Stack {
	t.Helper()
	var units []*quadlet.Unit
	for name, text := range files {
		f, d := unitfile.Parse(name, []byte(text))
		if d.HasErrors() {
			t.Fatal(d)
		}
		units = append(units, &quadlet.Unit{Name: name, File: f})
	}
	res := quadlet.Compile(units, quadlet.Options{Target: version.Must("4.3.1")})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	st, err := NewStack("/stack", "proj", res, testHost())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPlanSubsetAndStop(t *testing.T) {
	st := testStack(t, testFiles)
	web := st.Unit("web")
	plan, _ := PlanUp(st, []*Unit{web}, Observed{})
	if strings.Contains(plan.String(), "side.service") || !strings.Contains(plan.String(), "add     db.service") {
		t.Errorf("up web pulls in its requirements only:\n%s", plan)
	}
	plan, _ = PlanStop(st, []*Unit{st.Unit("db")})
	if got, want := plan.String(), "stop    web.service\nstop    db.service\n"; got != want {
		t.Errorf("stop db:\ngot\n%s\nwant\n%s", got, want)
	}
	if db := plan.Steps[1]; strings.Join(db.After, ",") != "web.service" {
		t.Errorf("db stops after web: %v", db.After)
	}
	plan, _ = PlanStop(st, nil)
	if !strings.HasSuffix(plan.String(), "stop    net-network.service\nstop    data-volume.service\n") {
		t.Errorf("down order:\n%s", plan)
	}
}

func TestAdaptRun(t *testing.T) {
	st := testStack(t, testFiles)
	argv := strings.Join(st.Unit("db").Svc.ExecStart[0].Argv, " ")
	if strings.Contains(argv, "--cgroups=split") {
		t.Errorf("--cgroups=split kept: %s", argv)
	}
	for _, l := range []string{"--label io.berth.project=proj", "--label io.berth.service=db", "--label io.berth.unit-hash="} {
		if !strings.Contains(argv, l) {
			t.Errorf("missing %q in %s", l, argv)
		}
	}
	if !strings.HasPrefix(argv, "/usr/bin/podman run --label") || !strings.Contains(argv, "--name systemd-db") {
		t.Errorf("argv %s", argv)
	}
}

// notifyingStub answers `podman run` the way podman --sdnotify=conmon does:
// conmon sends MAINPID and READY=1 to $NOTIFY_SOCKET.
func notifyingStub(order *[]string, mu *sync.Mutex, runCode int) *podman.Stub {
	s := &podman.Stub{}
	s.Replies = append(s.Replies, podman.Reply{Prefix: []string{"/usr/bin/podman", "run"}, Do: func(ctx context.Context, c podman.Cmd) int {
		name := c.Argv[indexOf(c.Argv, "--name")+1]
		mu.Lock()
		*order = append(*order, "run "+name)
		mu.Unlock()
		if runCode != 0 {
			_, _ = c.Stderr.Write([]byte("Error: boom\n"))
			return runCode
		}
		for _, kv := range c.Env {
			if path, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
				conn, err := net.Dial("unixgram", path)
				if err == nil {
					_, _ = conn.Write([]byte("MAINPID=4242\nREADY=1"))
					conn.Close()
				}
			}
		}
		return 0
	}})
	return s
}

func indexOf(argv []string, w string) int {
	for i, a := range argv {
		if a == w {
			return i
		}
	}
	return -1
}

func testExecutor(t *testing.T, r podman.Runner) *Executor {
	return &Executor{Runner: r, Podman: &podman.Client{Runner: r, Mask: podman.NewMasker()}, Host: testHost(), Clock: RealClock{}, NotifyDir: t.TempDir()}
}

func TestApplyOrderAndNotify(t *testing.T) {
	st := testStack(t, testFiles)
	var order []string
	var mu sync.Mutex
	stub := notifyingStub(&order, &mu, 0)
	e := testExecutor(t, stub)
	plan, _ := PlanUp(st, nil, Observed{})
	outs := e.Apply(context.Background(), plan)
	for _, o := range outs {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Step.Unit.Name, o.Err)
		}
	}
	if pos(order, "run systemd-db") > pos(order, "run systemd-web") {
		t.Errorf("web started before db: %q", order)
	}
	if o := outs[len(outs)-1]; o.Started == nil || o.Started.MainPID != 4242 {
		t.Errorf("MAINPID not read: %+v", o.Started)
	}
	cmds := strings.Join(stub.Commands(), "\n")
	// podman 4.3.1: Notify=healthy is conmon + an ExecStartPost health loop.
	if !strings.Contains(cmds, "n='systemd-db' p=/usr/bin/podman i=30") || !strings.Contains(cmds, `$p healthcheck run "$n"`) {
		t.Errorf("health gate not run:\n%s", cmds)
	}
	if !strings.Contains(cmds, "/usr/bin/podman network exists systemd-net || exec") {
		t.Errorf("network not created:\n%s", cmds)
	}
}

func pos(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 1 << 30
}

func TestStartFailureExplained(t *testing.T) {
	st := testStack(t, testFiles)
	var order []string
	var mu sync.Mutex
	stub := notifyingStub(&order, &mu, 125)
	stub.On("podman logs", 0, "last words\n")
	// The failed run left its container (labelled): its logs are shown.
	stub.On("podman container inspect", 0, `[{"Id":"abc","Name":"systemd-db","State":{"Status":"exited"},"Config":{"Labels":{"io.berth.project":"proj"}}}]`)
	e := testExecutor(t, stub)
	plan, _ := PlanUp(st, nil, Observed{})
	outs := e.Apply(context.Background(), plan)
	errs := Failed(outs)
	var se *StartError
	if len(errs) != 2 { // db and side fail; web is not tried
		t.Fatalf("errors: %v", errs)
	}
	for _, err := range errs {
		if strings.HasPrefix(err.Error(), "db.service") && !errors.As(err, &se) {
			t.Fatalf("not a *StartError: %#v", err)
		}
	}
	if se == nil {
		t.Fatalf("no db error: %v", errs)
	}
	for _, o := range outs {
		if o.Step.Unit.Service == "web" && !errors.Is(o.Err, ErrDependency) {
			t.Errorf("web: %v", o.Err)
		}
	}
	msg := se.Error()
	for _, want := range []string{"ExecStart failed with exit status 125", "DB_PASSWORD=******", "Error: boom", "last words"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("secret leaked:\n%s", msg)
	}
	cmds := strings.Join(stub.Commands(), "\n")
	if !strings.Contains(cmds, "/usr/bin/podman rm -v -f -i systemd-db") {
		t.Errorf("ExecStopPost not run after the failed start:\n%s", cmds)
	}
	if strings.Contains(strings.Join(order, " "), "systemd-web") {
		t.Errorf("web started although db failed: %q", order)
	}
}

func TestHealthOf(t *testing.T) {
	st := testStack(t, map[string]string{"a.container": "[Container]\nImage=x\nHealthCmd=/bin/true\nHealthInterval=5s\n",
		"b.container": "[Container]\nImage=x\n", "c.container": "[Container]\nImage=x\nHealthCmd=/bin/true\n"})
	for name, want := range map[string]string{"a": "5s", "b": "0s", "c": "30s"} {
		if got := healthOf(st.Unit(name)).interval.String(); got != want {
			t.Errorf("%s: interval %s, want %s", name, got, want)
		}
	}
}
