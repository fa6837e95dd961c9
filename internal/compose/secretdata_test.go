package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportSecretsAndData(t *testing.T) {
	dir := t.TempDir()
	yaml := `name: shop
services:
  web:
    image: web
    secrets: [token, apikey, ext]
secrets:
  token:
    file: ./token.txt
  apikey:
    environment: API_KEY
  ext:
    external: true
`
	for name, text := range map[string]string{"compose.yaml": yaml, "token.txt": "file-value"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{"API_KEY=env-value"}})
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := ToUnits(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"shop_token": "file-value", "shop_apikey": "env-value"}
	if len(rep.Secrets) != len(want) {
		t.Fatalf("secrets: %+v", rep.Secrets)
	}
	for _, s := range rep.Secrets {
		b, err := p.Data(s)
		if err != nil || string(b) != want[s.Name] {
			t.Errorf("%s: %q %v", s.Name, b, err)
		}
		if strings.Contains(s.Source(), want[s.Name]) {
			t.Errorf("%s: Source shows the value: %s", s.Name, s.Source())
		}
	}

	delete(p.Environment, "API_KEY")
	for _, s := range rep.Secrets {
		if s.Env == "" {
			continue
		}
		_, err := p.Data(s)
		if err == nil || !strings.Contains(err.Error(), "compose.yaml:") || !strings.Contains(err.Error(), "API_KEY is not set") {
			t.Errorf("unset variable: %v", err)
		}
	}
}

// TestSecretFileMissing: a secret whose file does not exist is an error at
// the service's secrets entry; a neighbour with its file converts.
func TestSecretFileMissing(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: shop\nservices:\n  web:\n    image: web\n    secrets:\n      - gone\n  api:\n    image: api\n    secrets: [here]\n" +
		"secrets:\n  gone:\n    file: ./does-not-exist.txt\n  here:\n    file: ./here.txt\n"
	for name, text := range map[string]string{"compose.yaml": yaml, "here.txt": "v"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(context.Background(), LoadOptions{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, rep, _ := ToUnits(p, Options{})
	var errs []string
	for _, e := range rep.Entries {
		if e.Severity == Error {
			errs = append(errs, e.String())
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "compose.yaml:6:9: error: service web: secrets.0: secret gone: its file") ||
		!strings.Contains(errs[0], "does-not-exist.txt does not exist") {
		t.Errorf("errors: %q", errs)
	}
}

func TestSecretishNames(t *testing.T) {
	for name, want := range map[string]bool{"DISCORD_TOKEN": true, "POSTGRES_PASSWORD": true, "DB_PASS": true, "PGPASS": true,
		"MYSQL_ROOT_PWD": true, "API_KEY": true, "APIKEY": true, "AWS_SECRET_ACCESS_KEY": true, "OAUTH_CLIENT": true, "AUTH": true,
		"GIT_CREDENTIALS": true, "PASSTHROUGH": false, "KEYBOARD": false, "LOG_LEVEL": false, "AUTHOR": false, "MONKEY": false} {
		if got := secretish.MatchString(name); got != want {
			t.Errorf("%s: secret-looking %v, want %v", name, got, want)
		}
	}
}

// TestEnvSecretsStayOutOfUnits: a secret-looking value from .env becomes a
// podman secret whose value Data reads; --keep-env-values writes it.
func TestEnvSecretsStayOutOfUnits(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"compose.yaml": "name: bot\nservices:\n  agent:\n    image: x\n    environment:\n      DISCORD_TOKEN: ${DISCORD_TOKEN}\n      LOG_LEVEL: debug\n      DB_PASS:\n",
		".env":         "DISCORD_TOKEN=tok-value-1\nDB_PASS=pw-value-2\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	units, rep, err := ToUnits(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := units[0].File.Format()
	for _, v := range []string{"tok-value-1", "pw-value-2"} {
		if strings.Contains(text, v) || strings.Contains(strings.Join(rep.Commands, "\n"), v) {
			t.Errorf("value %s in the unit or the commands:\n%s", v, text)
		}
	}
	for _, want := range []string{"Secret=bot_agent_discord_token,type=env,target=DISCORD_TOKEN", "Secret=bot_agent_db_pass,type=env,target=DB_PASS", "Environment=LOG_LEVEL=debug"} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s:\n%s", want, text)
		}
	}
	got := map[string]string{}
	for _, s := range rep.Secrets {
		b, err := p.Data(s)
		if err != nil {
			t.Fatal(err)
		}
		got[s.Name] = string(b)
	}
	if got["bot_agent_discord_token"] != "tok-value-1" || got["bot_agent_db_pass"] != "pw-value-2" {
		t.Errorf("secret values: %v", got)
	}
	units, _, _ = ToUnits(p, Options{KeepEnvValues: true})
	if text := units[0].File.Format(); !strings.Contains(text, "Environment=DISCORD_TOKEN=tok-value-1") {
		t.Errorf("--keep-env-values: %s", text)
	}
}
