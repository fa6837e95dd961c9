package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/golden"
)

// TestKubeExportComposeGolden exports every project of the compose corpus
// (internal/compose/testdata, with its options file as flags) and compares
// the report — every line at the compose file's line, column and key, the
// commands and the exit code — with testdata/kube-compose/<case>.txt.
// Regenerate with -update.
func TestKubeExportComposeGolden(t *testing.T) {
	files, _ := filepath.Glob("../compose/testdata/*/compose.yaml")
	if len(files) == 0 {
		t.Fatal("no compose corpus")
	}
	for _, file := range files {
		dir, _ := filepath.Abs(filepath.Dir(file))
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			args, env := kubeCaseArgs(t, dir)
			if args == nil {
				t.Skip("the case needs an option kube export does not have")
			}
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			a, _, stderr := testApp("berth", map[string]string{"BERTH_PODMAN_VERSION": "5.8.0"})
			code := a.run(args)
			got := "$ berth " + strings.Join(args[2:], " ") + "\n=== exit " + strconv.Itoa(code) + "\n" + stderr.String()
			golden.Check(t, filepath.Join("testdata", "kube-compose", name+".txt"), strings.ReplaceAll(got, dir, "$DIR"))
		})
	}
}

// kubeCaseArgs turns a corpus case's options file into kube export's
// flags, and the environment it needs; nil args for options export lacks.
func kubeCaseArgs(t *testing.T, dir string) (args, env []string) {
	t.Helper()
	args = []string{"-C", dir}
	var flags []string
	files := []string{"compose.yaml"}
	if f, err := os.Open(filepath.Join(dir, "options")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			switch k {
			case "files":
				files = strings.Split(v, ",")
			case "env_file":
				flags = append(flags, "--env-file", v)
			case "profile":
				flags = append(flags, "--profile", v)
			case "name":
				args = append(args, "-p", v)
			case "target":
				args = append(args, "--podman-version", v)
			case "env":
				env = append(env, v)
			case "pod", "podman_quadlet":
				return nil, nil
			}
		}
	}
	args = append(args, "kube", "export")
	for _, f := range files {
		args = append(args, "-f", f)
	}
	return append(append(args, flags...), "-o", "-"), env
}
