//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// Issue 11: a failing start printed DATABASE_URL=postgres://u:PW@db/x,
// DB_PASS, PGPASS and REDIS_URL=redis://:PW@... in its podman run line, and
// the container's log repeated them. Masking is by name, by URL and by value,
// in every printer: the failed start, logs, ps --json and doctor.
func TestStackFailureMasksCredentials(t *testing.T) {
	s := newStack(t, map[string]string{"bad.container": `[Container]
Image=localhost/berth-test/client:latest
ContainerName={P}-bad
Environment=DATABASE_URL=postgres://u:e2eurlpw1@db/x DB_PASS=e2e-pass-2 PGPASS=e2e-pgpass-3
Environment=REDIS_URL=redis://:e2eredispw4@cache:6379
# A usage error (a stray argument after -resolve) fails on every podman
# and network (a name under .invalid resolved on podman 5.8's network), and
# the client prints the argument it rejects: the password, by value.
Exec=-timeout 1s -resolve localhost e2e-pass-2.invalid
`})
	secrets := []string{"e2eurlpw1", "e2e-pass-2", "e2e-pgpass-3", "e2eredispw4"}
	var all strings.Builder
	out, err := s.berthCmd("up", "-d", "--metrics-addr", "off")
	if err == nil {
		t.Fatalf("up -d succeeded:\n%s", out)
	}
	all.WriteString(out)
	for _, want := range []string{"command: /usr/bin/podman run ", "DATABASE_URL=postgres://u:******@db/x", "DB_PASS=******",
		"PGPASS=******", "REDIS_URL=redis://:******@cache:6379", "last log lines:", "******.invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("up -d output lacks %q", want)
		}
	}
	for _, args := range [][]string{{"logs", "bad"}, {"ps", "--json"}, {"doctor"}} {
		out, _ := s.berthCmd(args...)
		all.WriteString(out)
		t.Logf("berth %s:\n%s", strings.Join(args, " "), out)
	}
	for _, secret := range secrets {
		if strings.Contains(all.String(), secret) {
			t.Errorf("berth printed %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", all.String())
	}
	s.must("down")
}
