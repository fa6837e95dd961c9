package run

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// planBase is a stack of a network, a database, a web service that requires
// it, a worker bound to web, and a side service nothing needs.
var planBase = map[string]string{
	"net.network": "[Network]\n",
	"db.container": "[Unit]\nRequires=net-network.service\nAfter=net-network.service\n[Container]\nImage=localhost/kv\n" +
		"Network=net.network\nEnvironment=MODE=v1\nSecret=db-pass,type=env,target=PASS\n",
	"web.container": "[Unit]\nRequires=db.service\nAfter=db.service\n[Container]\nImage=localhost/web\nNetwork=net.network\n" +
		"EnvironmentFile=./web.env\nVolume=./conf/web.yml:/etc/web.yml:ro\n",
	"worker.container":  "[Unit]\nBindsTo=web.service\nAfter=web.service\n[Container]\nImage=localhost/web\n# a comment\n",
	"side.container":    "[Container]\nImage=localhost/web\nVolume=./static:/static:ro\n",
	"web.env":           "GREETING=hello\n",
	"conf/web.yml":      "port: 80\n",
	"static/index.html": "<p>hi</p>\n",
	"app.build":         "[Build]\nImageTag=localhost/app\nFile=./app/Containerfile\nSetWorkingDirectory=./app\n",
	"app/Containerfile": "FROM scratch\nCOPY bin /bin\n",
	"app/bin":           "v1\n",
	"app.container":     "[Container]\nImage=app.build\n",
}

// planCase edits the base stack (a nil value deletes a file) after it was
// applied with some units stopped, and plans again.
type planCase struct {
	name    string
	edit    map[string]*string
	stopped []string // units of the first apply not running
	none    bool     // nothing was applied before
	secret  string   // db-pass's version at the second plan ("" same)
	noStart bool
}

func ptr(s string) *string { return &s }

var planCases = []planCase{
	{name: "fresh", none: true},
	{name: "fresh-not-started", none: true, noStart: true},
	{name: "unchanged"},
	{name: "comment-only", edit: map[string]*string{"worker.container": ptr("[Unit]\nBindsTo=web.service\nAfter=web.service\n[Container]\nImage=localhost/web\n# another comment\n")}},
	{name: "change-key-restarts-dependants", edit: map[string]*string{"db.container": ptr(strings.Replace(planBase["db.container"], "MODE=v1", "MODE=v2", 1))}},
	{name: "env-file", edit: map[string]*string{"web.env": ptr("GREETING=bonjour\n")}},
	{name: "bind-mounted-file", edit: map[string]*string{"conf/web.yml": ptr("port: 8080\n")}},
	{name: "bind-mounted-folder", edit: map[string]*string{"static/new.html": ptr("<p>new</p>\n")}},
	{name: "build-context", edit: map[string]*string{"app/bin": ptr("v2\n")}},
	{name: "secret", secret: "v2"},
	{name: "dropin", edit: map[string]*string{"side.container.d/10-restart.conf": ptr("[Service]\nRestart=always\n")}},
	{name: "remove", edit: map[string]*string{"side.container": nil, "worker.container": nil}},
	{name: "stopped", stopped: []string{"side.service"}},
	{name: "add-remove-change-keep", edit: map[string]*string{
		"side.container":  nil,
		"extra.container": ptr("[Container]\nImage=localhost/web\n"),
		"web.container":   ptr(strings.Replace(planBase["web.container"], ":ro\n", ":ro\nPublishPort=8080:80\n", 1)),
	}},
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func loadPlanStack(t *testing.T, dir, secret string) *Stack {
	t.Helper()
	st, diags, err := LoadStack(dir, "proj", version.Must("4.3.1"), testHost())
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	secrets := func(_ context.Context, name string) (string, bool, error) { return name + "@" + secret, true, nil }
	if err := st.Fingerprint(context.Background(), secrets); err != nil {
		t.Fatal(err)
	}
	return st
}

// observedFrom is what an executor observes after applying st.
func observedFrom(st *Stack, stopped []string) Observed {
	obs := Observed{}
	for _, u := range st.Units {
		active := u.Svc.Type != "oneshot" || u.Svc.RemainAfterExit
		for _, s := range stopped {
			active = active && s != u.Name
		}
		obs[u.Name] = ObservedUnit{Known: true, Active: active, Hash: u.Hash, Keys: u.Keys, Inputs: u.Inputs, Unit: u}
	}
	return obs
}

func TestPlanGolden(t *testing.T) {
	for _, c := range planCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, planBase)
			obs := Observed{}
			if !c.none {
				obs = observedFrom(loadPlanStack(t, dir, "v1"), c.stopped)
			}
			for name, text := range c.edit {
				if text == nil {
					os.Remove(filepath.Join(dir, name))
				} else {
					writeFiles(t, dir, map[string]string{name: *text})
				}
			}
			secret := "v1"
			if c.secret != "" {
				secret = c.secret
			}
			st := loadPlanStack(t, dir, secret)
			plan, err := PlanApply(st, obs, PlanOptions{Prune: true, NoStart: c.noStart})
			if err != nil {
				t.Fatal(err)
			}
			var edits []string
			for name := range c.edit {
				edits = append(edits, name)
			}
			sort.Strings(edits)
			got := "# edited: " + strings.Join(edits, ", ") + "\n" + plan.String() + plan.Summary() + "\n"
			golden.Check(t, filepath.Join("testdata", "plan", c.name+".txt"), got)
		})
	}
}
