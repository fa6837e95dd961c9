package run

import (
	"os"
	"strings"

	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// LearnSecrets tells m every credential the stack's units give away, so
// that whatever berth prints about any of them (a failing start, logs, ps,
// traces) masks it by value: secret-looking variables of Environment= and
// EnvironmentFile=, --env/--env-file of podman's command lines, URL
// passwords anywhere.
func (st *Stack) LearnSecrets(m *podman.Masker) {
	if m == nil {
		return
	}
	for _, u := range st.Units {
		u.learnSecrets(m)
	}
}

func (u *Unit) learnSecrets(m *podman.Masker) {
	if m == nil || u.Svc == nil {
		return
	}
	for _, kv := range u.Svc.Env.List() {
		k, v, _ := strings.Cut(kv, "=")
		m.AddEnv(k, v)
	}
	for _, f := range u.Svc.EnvFiles {
		learnEnvFile(m, strings.TrimPrefix(f, "-"))
	}
	for _, cmds := range [][]*sd.Command{u.Svc.ExecStartPre, u.Svc.ExecStart, u.Svc.ExecStartPost,
		u.Svc.ExecStop, u.Svc.ExecStopPost, u.Svc.ExecReload} {
		for _, c := range cmds {
			m.AddArgv(c.Argv)
			for i, a := range c.Argv {
				if p, ok := strings.CutPrefix(a, "--env-file="); ok {
					learnEnvFile(m, p)
				} else if a == "--env-file" && i+1 < len(c.Argv) {
					learnEnvFile(m, c.Argv[i+1])
				}
			}
		}
	}
}

// learnEnvFile reads an environment file (a missing or unreadable one
// teaches nothing; the start reports it).
func learnEnvFile(m *podman.Masker, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var env sd.Env
	if sd.ParseEnvFile(&env, string(b)) != nil {
		return
	}
	for _, kv := range env.List() {
		k, v, _ := strings.Cut(kv, "=")
		m.AddEnv(k, v)
	}
}

// MaskStatus masks the free-text fields of ps rows in place.
func MaskStatus(m *podman.Masker, rows []ServiceStatus) {
	for i := range rows {
		r := &rows[i]
		r.Service, r.Unit, r.Container = m.Text(r.Service), m.Text(r.Unit), m.Text(r.Container)
		r.State, r.Health = m.Text(r.State), m.Text(r.Health)
	}
}
