package run

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

var gateFiles = map[string]string{
	"a.container": "[Container]\nImage=localhost/web\nHealthCmd=/check\nHealthInterval=100ms\nNotify=healthy\n",
	"b.container": "[Unit]\nRequires=a.service\nAfter=a.service\n[Container]\nImage=localhost/web\nHealthCmd=/check\n",
	"c.container": "[Container]\nImage=localhost/web\n",
}

func TestHealthGated(t *testing.T) {
	for _, target := range []string{"4.3.1", "5.8.0"} {
		st := projectStack(t, "p", target, gateFiles)
		for name, want := range map[string]bool{"a": true, "b": false, "c": false} {
			if got := healthGated(st.Unit(name)); got != want {
				t.Errorf("%s: %s gated %v, want %v", target, name, got, want)
			}
		}
	}
}

// A running dependency that is not healthy is kept, and its dependants
// wait for it: the plan orders them after it.
func TestPlanWaitsForUnreadyDependency(t *testing.T) {
	st := projectStack(t, "p", "4.3.1", gateFiles)
	a := st.Unit("a")
	obs := Observed{a.Name: {Known: true, Active: true, Unready: true, Hash: a.Hash, Keys: a.Keys}}
	plan, err := PlanUp(st, nil, obs)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.String(); !strings.Contains(got, "keep    a.service (not healthy yet: waiting for it)") {
		t.Errorf("plan:\n%s", got)
	}
	if b := stepOf(plan, "b.service"); b == nil || strings.Join(b.After, " ") != "a.service" {
		t.Errorf("b does not wait for a: %+v", b)
	}
	obs[a.Name] = ObservedUnit{Known: true, Active: true, Hash: a.Hash, Keys: a.Keys}
	plan, _ = PlanUp(st, nil, obs)
	if b := stepOf(plan, "b.service"); b == nil || len(b.After) != 0 {
		t.Errorf("b waits for a healthy a: %+v", b)
	}
}

func stepOf(p *Plan, name string) *Step {
	for _, s := range p.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// The executor waits for a kept container's health (running the check,
// as nothing else does without systemd) and fails when it ends.
func TestAwaitHealthy(t *testing.T) {
	st := projectStack(t, "p", "4.3.1", gateFiles)
	a := st.Unit("a")
	for _, tc := range []struct {
		name    string
		checks  int32  // the check passes from this run on (0: never)
		ends    string // after the first check: "exited" or "unhealthy"
		wantErr string
	}{
		{"healthy on the third check", 3, "", ""},
		{"container ends", 0, "exited", "the container ended while berth waited"},
		{"container unhealthy", 0, "unhealthy", "is unhealthy"},
	} {
		var runs atomic.Int32
		stub := &podman.Stub{}
		stub.Replies = append(stub.Replies,
			podman.Reply{Prefix: []string{"podman", "healthcheck", "run"}, Do: func(context.Context, podman.Cmd) int {
				if n := runs.Add(1); tc.checks > 0 && n >= tc.checks {
					return 0
				}
				return 1
			}},
			podman.Reply{Prefix: []string{"podman", "container", "inspect"}, Do: func(_ context.Context, c podman.Cmd) int {
				health, running := "starting", true
				if tc.checks > 0 && runs.Load() >= tc.checks {
					health = "healthy"
				}
				if tc.ends == "exited" && runs.Load() > 0 {
					running = false
				}
				if tc.ends == "unhealthy" && runs.Load() > 0 {
					health = "unhealthy"
				}
				fmt.Fprintf(c.Stdout, `[{"Id":"x","Name":%q,"State":{"Running":%v,"Health":{"Status":%q}},"Config":{"Labels":{"io.berth.project":"p"}}}]`,
					a.Resource, running, health)
				return 0
			}})
		e := testExecutor(t, stub)
		_, err := e.awaitHealthy(context.Background(), a)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
		if tc.wantErr == "" && runs.Load() != tc.checks {
			t.Errorf("%s: %d checks run, want %d", tc.name, runs.Load(), tc.checks)
		}
	}
}
