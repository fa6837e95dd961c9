package unitexec

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Command is one parsed Exec*= line.
type Command struct {
	Argv         []string // after splitting; $VAR not yet substituted
	Path         string   // the executable; differs from Argv[0] with "@"
	IgnoreFail   bool     // "-": a non-zero exit counts as success
	NoEnvExpand  bool     // ":": $VAR is left alone
	Privileged   string   // "+", "!" or "!!": berth already runs as the user, so they run as is
	ViaShell     bool     // "|": run through the user's shell with -c
	Line         string   // the value as written, for messages
	privilegeSet bool
}

// ParseExec parses an Exec*= value whose specifiers are already expanded.
func ParseExec(value string) (*Command, error) {
	c := &Command{Line: value}
	s := strings.TrimLeft(value, " \t")
	argv0Override := false
prefixes:
	for len(s) > 0 {
		switch {
		case s[0] == '-':
			c.IgnoreFail = true
		case s[0] == '@':
			argv0Override = true
		case s[0] == ':':
			c.NoEnvExpand = true
		case s[0] == '|':
			c.ViaShell = true
		case strings.HasPrefix(s, "!!"), s[0] == '!' || s[0] == '+':
			if c.privilegeSet {
				return nil, fmt.Errorf("%q: conflicting privilege prefixes", value)
			}
			c.privilegeSet = true
			c.Privileged = s[:1]
			if strings.HasPrefix(s, "!!") {
				c.Privileged = "!!"
				s = s[1:]
			}
		default:
			break prefixes
		}
		s = s[1:]
	}
	words, err := unitfile.SplitArgs(s)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", value, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("%q: empty command line", value)
	}
	c.Path = words[0]
	if argv0Override {
		if len(words) < 2 {
			return nil, fmt.Errorf("%q: @ needs an executable and an argv[0]", value)
		}
		words = words[1:]
	}
	c.Argv = words
	return c, nil
}

// Resolve returns the executable and argv to run with env applied: $VAR and
// ${VAR} substituted (unless ":"), and "|" turned into shell -c. The
// executable itself is never substituted ("the first argument may not be a
// variable", systemd.service(5)); argv[0] is, as systemd does.
func (c *Command) Resolve(env Env, shell string) (path string, argv []string) {
	argv = c.Argv
	if !c.NoEnvExpand {
		argv = SubstituteArgs(c.Argv, env)
	}
	path = c.Path
	if c.ViaShell {
		if shell == "" {
			shell = "/bin/sh"
		}
		return shell, []string{shell, "-c", strings.Join(argv, " ")}
	}
	if len(argv) == 0 {
		argv = []string{path} // argv[0] was a lone $VAR that expanded to nothing
	}
	return path, argv
}

// SubstituteArgs applies systemd's rules (systemd.service(5) "Command
// lines", checked against systemd 252):
//   - a word that starts with "$" but not "${" or "$$" is a lone variable:
//     the rest of the word is its name, and the word becomes the value split
//     at whitespace with quotes respected and removed (zero or more words;
//     none when the variable is unset, and "$A$B" looks up "A$B");
//   - in any other word "${NAME}" is replaced by the exact value ("" when
//     unset), "$$" is "$", and any other "$" (x$A, an unclosed "${") is kept;
//   - only env is consulted: the unit's own environment, never berth's.
func SubstituteArgs(argv []string, env Env) []string {
	out := make([]string, 0, len(argv))
	for _, w := range argv {
		if len(w) > 0 && w[0] == '$' && (len(w) == 1 || w[1] != '{' && w[1] != '$') {
			if v, ok := env.Lookup(w[1:]); ok {
				words, _ := unitfile.Split(v, unitfile.SplitOptions{Unquote: true, Relax: true})
				out = append(out, words...)
			}
			continue
		}
		out = append(out, substituteWord(w, env))
	}
	return out
}

func substituteWord(w string, env Env) string {
	if !strings.Contains(w, "$") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] == '$' && i+1 < len(w) && w[i+1] == '$':
			b.WriteByte('$')
			i++
		case w[i] == '$' && i+1 < len(w) && w[i+1] == '{':
			end := strings.IndexByte(w[i+2:], '}')
			if end < 0 {
				b.WriteString(w[i:]) // no closing brace: the rest is literal
				return b.String()
			}
			b.WriteString(env.Get(w[i+2 : i+2+end]))
			i += 2 + end
		default:
			b.WriteByte(w[i])
		}
	}
	return b.String()
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
