package podman

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestSecretCreateValueOnStdinOnly(t *testing.T) {
	const value = "s3cr3t-value"
	var stdin string
	stub := &Stub{Replies: []Reply{{Prefix: []string{"podman", "secret", "create"}, Do: func(_ context.Context, c Cmd) int {
		b, _ := io.ReadAll(c.Stdin)
		stdin = string(b)
		return 0
	}}}}
	c := &Client{Runner: stub}
	if err := c.SecretCreate(context.Background(), "p_token", []byte(value), map[string]string{"io.berth.project": "p"}, true); err != nil {
		t.Fatal(err)
	}
	cmds := stub.Commands()
	if len(cmds) != 2 || cmds[0] != "podman secret rm p_token" || !strings.HasSuffix(cmds[1], "--label io.berth.project=p p_token -") {
		t.Fatalf("commands: %q", cmds)
	}
	if strings.Contains(strings.Join(cmds, "\n"), value) {
		t.Fatalf("the value is on a command line: %q", cmds)
	}
	if stdin != value {
		t.Fatalf("stdin = %q", stdin)
	}
	_, digest, _ := strings.Cut(stub.Calls[1][4], "=")
	if !SecretMatches(digest, []byte(value)) || SecretMatches(digest, []byte(value+"x")) {
		t.Fatalf("digest %q does not tell the value apart", digest)
	}
}

func TestSecretDigest(t *testing.T) {
	stub := (&Stub{}).On("podman secret inspect there", 0, `[{"Spec":{"Labels":{"io.berth.secret-digest":"ab:cd"}}}]`)
	stub.Replies = append(stub.Replies, Reply{Prefix: []string{"podman", "secret", "inspect", "gone"}, Code: 125,
		Stderr: `Error: inspecting secret: no secret with name or id "gone": no such secret`})
	c := &Client{Runner: stub}
	if d, ok, err := c.SecretDigest(context.Background(), "there"); err != nil || !ok || d != "ab:cd" {
		t.Fatalf("there: %q %v %v", d, ok, err)
	}
	if d, ok, err := c.SecretDigest(context.Background(), "gone"); err != nil || ok || d != "" {
		t.Fatalf("gone: %q %v %v", d, ok, err)
	}
}

func TestSecretsByLabelAndRemove(t *testing.T) {
	stub := &Stub{}
	stub.On("podman secret ls", 0, "")
	c := &Client{Runner: stub}
	if names, err := c.SecretsByLabel(context.Background(), "io.berth.project", "p"); err != nil || names != nil {
		t.Fatalf("no secrets: %q %v", names, err)
	}
	stub = &Stub{}
	stub.On("podman secret ls", 0, "a\nb\n")
	stub.Replies = append(stub.Replies, Reply{Prefix: []string{"podman", "secret", "inspect"}, Code: 125,
		Stdout: `[{"Spec":{"Name":"p_y","Labels":{"io.berth.project":"p"}}}]`, Stderr: "Error: no such secret b"})
	stub.Replies = append(stub.Replies, Reply{Prefix: []string{"podman", "secret", "rm", "gone"}, Code: 125, Stderr: "Error: gone: no such secret"})
	c = &Client{Runner: stub}
	names, err := c.SecretsByLabel(context.Background(), "io.berth.project", "p")
	if err != nil || strings.Join(names, ",") != "p_y" {
		t.Fatalf("%q %v", names, err)
	}
	if err := c.SecretRemove(context.Background(), "p_y", "gone"); err != nil {
		t.Errorf("a secret already gone is an error: %v", err)
	}
}
