package podman

import (
	"context"
	"io"
	"strings"
	"sync"
)

// Stub is a Runner for unit tests: it records every command and answers with
// the first matching Reply (by argv prefix), or exit 0 and no output.
type Stub struct {
	mu      sync.Mutex
	Calls   [][]string
	Replies []Reply
}

// Reply is a canned answer to commands starting with Prefix.
type Reply struct {
	Prefix []string
	Code   int
	Stdout string
	Stderr string
	// Do, when set, runs instead (it may block on ctx) and returns the code.
	Do func(ctx context.Context, c Cmd) int
}

// On adds a reply for commands whose argv starts with the words of prefix.
func (s *Stub) On(prefix string, code int, stdout string) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Replies = append(s.Replies, Reply{Prefix: strings.Fields(prefix), Code: code, Stdout: stdout})
	return s
}

// Run implements Runner.
func (s *Stub) Run(ctx context.Context, c Cmd) (int, error) {
	s.mu.Lock()
	s.Calls = append(s.Calls, append([]string(nil), c.Argv...))
	var match *Reply
	for i := range s.Replies {
		if hasPrefix(c.Argv, s.Replies[i].Prefix) {
			match = &s.Replies[i]
			break
		}
	}
	s.mu.Unlock()
	if match == nil {
		return 0, nil
	}
	if match.Do != nil {
		return match.Do(ctx, c), nil
	}
	write(c.Stdout, match.Stdout)
	write(c.Stderr, match.Stderr)
	return match.Code, nil
}

// Commands returns the recorded command lines, one string each.
func (s *Stub) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.Calls))
	for i, c := range s.Calls {
		out[i] = strings.Join(c, " ")
	}
	return out
}

// Count returns how many recorded command lines begin with prefix.
func (s *Stub) Count(prefix string) int {
	n := 0
	for _, c := range s.Commands() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func write(w io.Writer, s string) {
	if w != nil && s != "" {
		_, _ = io.WriteString(w, s)
	}
}

func hasPrefix(argv, prefix []string) bool {
	if len(prefix) > len(argv) {
		return false
	}
	for i, p := range prefix {
		if argv[i] != p {
			return false
		}
	}
	return true
}
