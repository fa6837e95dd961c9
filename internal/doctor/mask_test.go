package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

// TestDoctorMasksCredentials: a failed container's log, health output and
// systemd state repeat the credentials its unit holds; doctor prints none.
func TestDoctorMasksCredentials(t *testing.T) {
	dir := t.TempDir()
	unit := "[Container]\nContainerName=colosseum-agent\nImage=localhost/agent:1\n" +
		"Environment=DATABASE_URL=postgres://app:doc-url-pw@db/app DB_PASS=doc-pass-2\n"
	if err := os.WriteFile(filepath.Join(dir, "agent.container"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	h := fakeHost(t)
	stub := &podman.Stub{}
	stub.On("podman logs --tail 10 colosseum-agent", 0, "agent: login with doc-pass-2 to postgres://app:doc-url-pw@db/app failed\n")
	stub.Replies = append(stub.Replies, h.Stub.Replies...)
	h.Stub = stub
	rep := Run(context.Background(), h, Options{Dirs: []string{dir}, User: true})
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "agent: login with") {
		t.Fatalf("the container's log is not shown:\n%s", out)
	}
	for _, secret := range []string{"doc-url-pw", "doc-pass-2"} {
		if strings.Contains(out, secret) {
			t.Errorf("doctor prints %q:\n%s", secret, out)
		}
	}
}
