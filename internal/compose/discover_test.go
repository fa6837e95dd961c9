package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
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

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"compose.yaml":          "services: {a: {image: x}}\n",
		"compose.override.yaml": "services: {a: {image: y}}\n",
		"sub/deeper/keep":       "",
		"env/.env":              "COMPOSE_FILE=one.yaml:two.yaml\n",
		"sep/.env":              "COMPOSE_FILE=one.yaml;/abs/two.yaml\nCOMPOSE_PATH_SEPARATOR=;\n",
		"custom.env":            "COMPOSE_FILE=four.yaml\n",
	})
	// --env-file replaces .env
	if got, _ := Discover(dir, []string{}, dir+"/custom.env"); !slices.Equal(got, []string{dir + "/four.yaml"}) {
		t.Errorf("Discover with --env-file = %q", got)
	}
	for _, c := range []struct {
		dir  string
		env  []string
		want []string
	}{
		{dir, []string{}, []string{dir + "/compose.yaml", dir + "/compose.override.yaml"}},
		// docker compose looks in the parent folders too
		{dir + "/sub/deeper", []string{}, []string{dir + "/compose.yaml", dir + "/compose.override.yaml"}},
		// COMPOSE_FILE from the folder's .env, relative to the folder
		{dir + "/env", []string{}, []string{dir + "/env/one.yaml", dir + "/env/two.yaml"}},
		{dir + "/sep", []string{}, []string{dir + "/sep/one.yaml", "/abs/two.yaml"}},
		// the environment wins over .env
		{dir + "/env", []string{"COMPOSE_FILE=three.yaml"}, []string{dir + "/env/three.yaml"}},
	} {
		got, err := Discover(c.dir, c.env)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Discover(%s, %q) = %q, %v; want %q", c.dir, c.env, got, err, c.want)
		}
	}
}

// COMPOSE_PROJECT_NAME and COMPOSE_PROFILES come from .env too; a service
// named explicitly is enabled even when its profile is not active.
func TestLoadDotEnvAndEnable(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"compose.yaml": `services:
  web: {image: x}
  extra: {image: x, profiles: [extra]}
  debug: {image: x, profiles: [debug], networks: [dbg]}
networks:
  dbg: {}
`,
		".env": "COMPOSE_PROJECT_NAME=fromdotenv\nCOMPOSE_PROFILES=extra\n",
	})
	p, err := Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "fromdotenv" {
		t.Errorf("project name %q, want fromdotenv (COMPOSE_PROJECT_NAME in .env)", p.Name)
	}
	if got := serviceNames(p); !slices.Equal(got, []string{"extra", "web"}) {
		t.Errorf("services %q, want extra and web (COMPOSE_PROFILES in .env)", got)
	}
	p, err = Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{}, Enable: []string{"debug"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := serviceNames(p); !slices.Equal(got, []string{"debug", "extra", "web"}) {
		t.Errorf("services %q, want debug enabled by name", got)
	}
	if _, ok := p.Networks["dbg"]; !ok {
		t.Errorf("the enabled service's network is missing")
	}
}

func serviceNames(p *Project) []string {
	var out []string
	for n := range p.Services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
