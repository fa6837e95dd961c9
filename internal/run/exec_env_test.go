package run

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// TestExecVarsFromUnitOnly: $VAR in an Exec line reads the unit's own
// environment and what systemd's manager sets (sd.ManagerEnv), never berth's
// process environment. systemd 252 drops $HOME for a system service without
// User=; ${HOME} becomes one empty word.
func TestExecVarsFromUnitOnly(t *testing.T) {
	t.Setenv("HOME", "/root")
	t.Setenv("FROM_BERTH", "leak")
	st := testStack(t, map[string]string{"app.container": "[Container]\nImage=localhost/app\n" +
		"Exec=/app $HOME [${HOME}] $FROM_BERTH $ONE ${TWO} $LANG\n" +
		"[Service]\nEnvironment=ONE=1 \"TWO=2 2\"\n"})
	var order []string
	var mu sync.Mutex
	stub := notifyingStub(&order, &mu, 0)
	rec := &recordingRunner{Runner: stub}
	e := testExecutor(t, rec)
	e.BaseEnv = sd.ManagerEnv(testHost()).List()
	e.PodmanEnv = []string{"CONTAINERS_CONF=/etc/c.conf", "ONE=passed"}
	plan, _ := PlanUp(st, nil, Observed{})
	for _, o := range e.Apply(context.Background(), plan) {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Step.Unit.Name, o.Err)
		}
	}
	var run podman.Cmd
	for _, c := range rec.cmds {
		if len(c.Argv) > 1 && c.Argv[1] == "run" {
			run = c
		}
	}
	if run.Argv == nil {
		t.Fatalf("no podman run in %q", stub.Commands())
	}
	i := indexOf(run.Argv, "localhost/app")
	if got, want := run.Argv[i+1:], []string{"/app", "[]", "1", "2 2", "C.UTF-8"}; !slices.Equal(got, want) {
		t.Errorf("container command %q, want %q", got, want)
	}
	env := strings.Join(run.Env, " ")
	for _, bad := range []string{"HOME=", "FROM_BERTH", "ONE=passed"} {
		if strings.Contains(env, bad) {
			t.Errorf("process environment has %s: %s", bad, env)
		}
	}
	if !strings.Contains(env, "CONTAINERS_CONF=/etc/c.conf") || !strings.Contains(env, "ONE=1") {
		t.Errorf("process environment lacks podman's configuration or the unit's: %s", env)
	}
}

// recordingRunner keeps every command whole (environment included).
type recordingRunner struct {
	podman.Runner
	mu   sync.Mutex
	cmds []podman.Cmd
}

func (r *recordingRunner) Run(ctx context.Context, c podman.Cmd) (int, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	r.mu.Unlock()
	return r.Runner.Run(ctx, c)
}

// TestPassAndUnsetEnvironment: PassEnvironment= is the unit's explicit
// opt-in to the manager's own variables (berth's, as systemd's are PID 1's);
// UnsetEnvironment= removes names, or exact assignments, before $VAR is
// substituted and the command runs.
func TestPassAndUnsetEnvironment(t *testing.T) {
	t.Setenv("BERTH_TEST_PASSED", "from-berth")
	t.Setenv("BERTH_TEST_NOT_PASSED", "leak")
	st := testStack(t, map[string]string{"app.container": "[Container]\nImage=localhost/app\n" +
		"Exec=/app $BERTH_TEST_PASSED $BERTH_TEST_NOT_PASSED $A $B $C\n" +
		"[Service]\nPassEnvironment=BERTH_TEST_PASSED\nEnvironment=A=1 B=2 C=3\nUnsetEnvironment=A B=other C=3\n"})
	var order []string
	var mu sync.Mutex
	rec := &recordingRunner{Runner: notifyingStub(&order, &mu, 0)}
	e := testExecutor(t, rec)
	e.LookupEnv = func(k string) (string, bool) { return os.LookupEnv(k) }
	plan, _ := PlanUp(st, nil, Observed{})
	for _, o := range e.Apply(context.Background(), plan) {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Step.Unit.Name, o.Err)
		}
	}
	for _, c := range rec.cmds {
		if len(c.Argv) > 1 && c.Argv[1] == "run" {
			i := indexOf(c.Argv, "localhost/app")
			if got, want := c.Argv[i+1:], []string{"/app", "from-berth", "2"}; !slices.Equal(got, want) {
				t.Errorf("container command %q, want %q", got, want)
			}
			return
		}
	}
	t.Fatal("no podman run")
}
