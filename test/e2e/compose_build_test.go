//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Builds (issue 18, item 7): an inline Dockerfile, a build secret, and a
// failing build's status passed through by berth build.
const composeBuildYAML = `
name: {P}
services:
  app:
    image: localhost/{P}-app:latest
    build:
      context: .
      dockerfile_inline: |
        FROM localhost/berth-test/pg:15
        USER root
        RUN --mount=type=secret,id=token cp /run/secrets/token /token.txt
        COPY stamp.txt /stamp.txt
      secrets: [token]
    entrypoint: ["cat", "/token.txt", "/stamp.txt"]
secrets:
  token:
    file: ./token.txt
`

const composeBadBuildYAML = `
name: {P}
services:
  bad:
    image: localhost/{P}-bad:latest
    build:
      context: .
      dockerfile_inline: |
        FROM localhost/berth-test/pg:15
        RUN exit 3
`

func TestComposeBuildInlineSecret(t *testing.T) {
	if exec.Command("podman", "image", "exists", "localhost/berth-test/pg:15").Run() != nil {
		t.Skip("needs localhost/berth-test/pg:15 (scripts/build-test-images.sh --pg): a base image with a shell")
	}
	s := newCompose(t, map[string]string{"compose.yaml": composeBuildYAML, "bad.yaml": composeBadBuildYAML,
		"token.txt": "tok-build-42", "stamp.txt": "one\n"})
	t.Cleanup(func() { _ = exec.Command("podman", "rmi", "-f", "localhost/"+s.project+"-app:latest").Run() })
	out := s.must("up", "-d")
	if logs := s.must("logs", "--no-log-prefix", "app"); strings.TrimSpace(logs) != "tok-build-42one" {
		t.Errorf("the build secret in the image: %q\nup:\n%s", logs, out)
	}
	// up --build builds again and runs the new image.
	if err := os.WriteFile(filepath.Join(s.dir, "stamp.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = s.must("up", "-d", "--build")
	if logs := s.must("logs", "--no-log-prefix", "app"); !strings.Contains(logs, "two") {
		t.Errorf("after up --build: %q\nup:\n%s", logs, out)
	}

	// berth build exits with podman build's own status.
	bad := filepath.Join(s.dir, "bad.Containerfile")
	if err := os.WriteFile(bad, []byte("FROM localhost/berth-test/pg:15\nRUN exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := exec.Command("podman", "build", "-f", bad, s.dir).Run()
	var wantErr, gotErr *exec.ExitError
	if !errors.As(want, &wantErr) {
		t.Fatalf("podman build of a failing RUN: %v", want)
	}
	out, err := s.berthCmd("build", "-f", "bad.yaml")
	if !errors.As(err, &gotErr) || gotErr.ExitCode() != wantErr.ExitCode() {
		t.Errorf("berth build of a failing build: %v, want exit status %d as podman build's\n%s", err, wantErr.ExitCode(), out)
	}
}
