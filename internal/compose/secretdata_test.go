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
	if len(errs) != 1 || !strings.Contains(errs[0], "compose.yaml:6: error: service web: secrets.0: secret gone: its file") ||
		!strings.Contains(errs[0], "does-not-exist.txt does not exist") {
		t.Errorf("errors: %q", errs)
	}
}
