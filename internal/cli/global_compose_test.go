package cli

import (
	"slices"
	"testing"
)

// `berth -f compose.yaml logs -f` reads as docker compose's: the file
// before the verb, follow after it.
func TestMoveComposeFlags(t *testing.T) {
	for _, tc := range []struct{ args, want []string }{
		{[]string{"-f", "c.yaml", "logs", "-f"}, []string{"logs", "--file", "c.yaml", "-f"}},
		{[]string{"-C", "d", "--file=a.yaml", "-f", "b.yaml", "--profile", "x", "up", "-d"},
			[]string{"-C", "d", "up", "--file=a.yaml", "--file", "b.yaml", "--profile", "x", "-d"}},
		{[]string{"--project-name", "p", "--env-file", "e", "ps"}, []string{"--project", "p", "ps", "--env-file", "e"}},
		{[]string{"-p", "p", "ps", "-f", "x"}, []string{"-p", "p", "ps", "-f", "x"}},
		{[]string{"up", "-f", "x"}, []string{"up", "-f", "x"}},
		{[]string{"-f", "x"}, []string{"-f", "x"}},
		{nil, nil},
	} {
		if got := moveComposeFlags(tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("moveComposeFlags(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
