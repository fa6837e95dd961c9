package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/internal/diag"
)

// TestLoadErrorsHavePositions: what compose-go refuses is reported at the
// compose file's line and column, by every verb (they all load through Load).
func TestLoadErrorsHavePositions(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"undefined dependency", "services:\n  db:\n    image: x\n  web:\n    image: x\n    depends_on:\n      - db\n      - ghost\n",
			`:8:9: error: [compose-invalid] service "web" depends on undefined service "ghost"`},
		{"undefined dependency, long form", "services:\n  web:\n    image: x\n    depends_on:\n      ghost:\n        condition: service_started\n",
			`:5:7: error: [compose-invalid] service "web" depends on undefined service "ghost"`},
		{"yaml syntax", "services:\n  web:\n    image: x\n   bad: indent\n", `:4:4: error: [compose-invalid] YAML syntax: did not find expected key`},
		{"unknown key", "services:\n  web:\n    image: x\n    imagee: y\n", `:4:5: error: [compose-invalid] services.web.imagee: compose has no such key`},
		{"undefined network", "services:\n  web:\n    image: x\n    networks: [front]\n", `:4:5: error: [compose-invalid] service "web" refers to undefined network front`},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(context.Background(), LoadOptions{Files: []string{file}, Env: []string{}})
		var le diag.ListError
		if !errors.As(err, &le) || len(le) != 1 {
			t.Errorf("%s: got %v, want one positioned diagnostic", c.name, err)
			continue
		}
		got := le[0].String()
		if want := file + c.want; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
}
