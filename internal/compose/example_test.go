package compose

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
)

// TestBotticelliExample: the seed's stack converts with no loss, its token
// stays out of the units, and every unit compiles.
func TestBotticelliExample(t *testing.T) {
	dir, _ := filepath.Abs("../../examples/botticelli")
	p, err := Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{"DISCORD_TOKEN=s3cr3t-token-value"}})
	if err != nil {
		t.Fatal(err)
	}
	units, rep, err := ToUnits(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Losses(); n != 0 {
		t.Errorf("%d losses:\n%s", n, rep.String())
	}
	if len(rep.Commands) != 2 {
		t.Errorf("want 2 podman secret commands, got %q", rep.Commands)
	}
	for _, u := range units {
		if strings.Contains(u.File.Format(), "s3cr3t-token-value") {
			t.Errorf("%s holds the secret value", u.Name)
		}
	}
	res := quadlet.Compile(units, quadlet.Options{})
	for _, d := range res.Diags.Errors() {
		t.Errorf("does not compile: %s", d)
	}
	if len(units) != 9 {
		t.Errorf("want 9 units (4 containers, 1 build, 3 volumes, 1 network), got %d", len(units))
	}
}
