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
