package cli

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// badInputs are lint's test folders whose errors podman or systemd would
// refuse: every verb must report them at the same lines. For the first
// ones (the refusals, one text for every verb) the messages must agree too;
// lint words the older rules its own way.
var badInputs = []string{"bad-specifier", "invalid-name", "pod-owned", "bad-key-value", "bad-secret",
	"bad-address", "missing-file", "bad-unit-name", "syntax", "unknown-key", "dependency-cycle", "invalid-port", "missing-ref"}

const sameText = 8 // badInputs[:sameText] must agree word for word

var errLine = regexp.MustCompile(`^(\S+?):(\d+)(?::\d+)?: error: (?:\[[^\]]+\] )?(.*)$`)

// verbErrors runs berth with args and returns its errors as "file:line:
// message" (the file's base name; for compile and up the hint, printed in
// parentheses after the message, is cut by matching against want).
func verbErrors(t *testing.T, args []string) []string {
	t.Helper()
	return verbErrorsAt(t, args, errLine)
}

// composeErrLine keeps the column: compose positions have one.
var composeErrLine = regexp.MustCompile(`^(\S+?):(\d+(?::\d+)?): error: (?:\[[^\]]+\] )?(.*)$`)

func verbErrorsAt(t *testing.T, args []string, errLine *regexp.Regexp) []string {
	t.Helper()
	a, stdout, stderr := testApp("berth", map[string]string{"BERTH_PODMAN_VERSION": "5.8.0"})
	a.run(args)
	var out []string
	for _, l := range strings.Split(stdout.String()+stderr.String(), "\n") {
		if m := errLine.FindStringSubmatch(l); m != nil {
			out = append(out, filepath.Base(m[1])+":"+m[2]+": "+m[3])
		}
	}
	sort.Strings(out)
	return out
}

// TestVerbsAgreeOnBadInput: compile, lint and up --dry-run report the same
// errors at the same lines for every bad input.
func TestVerbsAgreeOnBadInput(t *testing.T) {
	for n, name := range badInputs {
		dir, _ := filepath.Abs(filepath.Join("..", "lint", "testdata", name))
		lint := verbErrors(t, []string{"-C", dir, "lint", "."})
		if len(lint) == 0 {
			t.Errorf("%s: lint reports no error", name)
		}
		for _, verb := range [][]string{{"compile"}, {"up", "--dry-run", "-p", "lintagree"}, {"install", "--dry-run", dir}} {
			got := verbErrors(t, append([]string{"-C", dir}, verb...))
			if len(got) != len(lint) {
				t.Errorf("%s: %s gives %d errors, lint %d:\n%s\nlint:\n%s", name, verb[0], len(got), len(lint),
					strings.Join(got, "\n"), strings.Join(lint, "\n"))
				continue
			}
			for i := range got {
				if n >= sameText {
					got[i], lint[i] = where(got[i]), where(lint[i])
				}
				if !strings.HasPrefix(got[i], lint[i]) {
					t.Errorf("%s: %s says\n  %s\nlint says\n  %s", name, verb[0], got[i], lint[i])
				}
			}
		}
	}
}

func where(e string) string { w, _, _ := strings.Cut(e, ": "); return w }

// badCompose are compose projects that podman, compose-go or the conversion
// refuse: lint -f, convert, up --dry-run, kube export, config -q and compile -f report the same
// errors at the same compose line and column.
var badCompose = map[string]string{
	"container-name": "services:\n  web:\n    image: docker.io/library/nginx:1.27\n    container_name: \"bad name!\"\n",
	"network-name": "services:\n  web:\n    image: docker.io/library/nginx:1.27\n    networks: [back]\n" +
		"networks:\n  back:\n    name: \"bad net!\"\n",
	"missing-secret-file": "services:\n  web:\n    image: docker.io/library/nginx:1.27\n    secrets:\n      - s\nsecrets:\n  s:\n    file: ./does-not-exist.txt\n",
	"undefined-service":   "services:\n  web:\n    image: docker.io/library/nginx:1.27\n    depends_on:\n      - ghost\n",
	"yaml-syntax":         "services:\n  web:\n    image: x\n   bad: indent\n",
	"unknown-key":         "services:\n  web:\n    image: x\n    imagee: y\n",
}

func TestVerbsAgreeOnBadCompose(t *testing.T) {
	for name, text := range badCompose {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "compose.yaml"), text)
		lint := verbErrorsAt(t, []string{"-C", dir, "lint", "-f", "compose.yaml"}, composeErrLine)
		if len(lint) == 0 {
			t.Errorf("%s: lint -f reports no error", name)
		}
		for _, verb := range [][]string{{"convert", "-f", "compose.yaml", "-o", "out"}, {"up", "--dry-run", "-f", "compose.yaml"},
			{"kube", "export", "-f", "compose.yaml", "-o", "out"}, {"config", "-q", "-f", "compose.yaml"},
			{"compile", "-f", "compose.yaml"}} {
			got := verbErrorsAt(t, append([]string{"-C", dir}, verb...), composeErrLine)
			if len(got) != len(lint) {
				t.Errorf("%s: %s gives %d errors, lint %d:\n%s\nlint:\n%s", name, verb[0], len(got), len(lint),
					strings.Join(got, "\n"), strings.Join(lint, "\n"))
				continue
			}
			for i := range got {
				if !strings.HasPrefix(got[i], lint[i]) {
					t.Errorf("%s: %s says\n  %s\nlint says\n  %s", name, verb[0], got[i], lint[i])
				}
			}
		}
	}
}
