package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestStartFailureMasksCredentials: issue 11's failing start printed
// DATABASE_URL=postgres://u:PW@db/x, DB_PASS, PGPASS and REDIS_URL in its
// podman run line; the container's last log lines and podman's stderr
// repeated them. Every one must be masked, by name, URL or value.
func TestStartFailureMasksCredentials(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(envFile, []byte("SMTP_PASSWORD=file-secret-9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := testStack(t, map[string]string{"app.container": "[Container]\nImage=localhost/app\n" +
		"Environment=DATABASE_URL=postgres://u:pw-db-1@db/x DB_PASS=pw-pass-2 PGPASS=pw-pgpass-3 REDIS_URL=redis://:pw-redis-4@cache:6379\n" +
		"EnvironmentFile=" + envFile + "\n" +
		"[Service]\nEnvironment=API_TOKEN=tok-unit-5\n"})
	var order []string
	var mu sync.Mutex
	stub := notifyingStub(&order, &mu, 125)
	stub.On("podman logs", 0, "connecting to postgres://u:pw-db-1@db/x with pw-pass-2, pw-pgpass-3, pw-redis-4, file-secret-9, tok-unit-5\n")
	stub.On("podman container inspect", 0, `[{"Id":"abc","Name":"systemd-app","State":{"Status":"exited"},"Config":{"Labels":{"io.berth.project":"proj"}}}]`)
	e := testExecutor(t, stub)
	plan, _ := PlanUp(st, nil, Observed{})
	errs := Failed(e.Apply(context.Background(), plan))
	if len(errs) != 1 {
		t.Fatalf("errors: %v", errs)
	}
	msg := errs[0].Error()
	for _, secret := range []string{"pw-db-1", "pw-pass-2", "pw-pgpass-3", "pw-redis-4", "file-secret-9", "tok-unit-5"} {
		if strings.Contains(msg, secret) {
			t.Errorf("the failed start prints %q:\n%s", secret, msg)
		}
	}
	for _, want := range []string{"DATABASE_URL=postgres://u:******@db/x", "DB_PASS=******", "last log lines", "Error: boom"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}
