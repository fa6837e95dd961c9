package unitexec

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Env is an ordered environment: later Set calls override earlier ones.
type Env struct {
	keys []string
	vals map[string]string
}

// Get returns a variable's value, "" when unset.
func (e Env) Get(name string) string { return e.vals[name] }

// Lookup returns a variable's value and whether it is set.
func (e Env) Lookup(name string) (string, bool) {
	v, ok := e.vals[name]
	return v, ok
}

// Set assigns a variable.
func (e *Env) Set(name, value string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[name]; !ok {
		e.keys = append(e.keys, name)
	}
	e.vals[name] = value
}

// Unset removes a variable, as UnsetEnvironment= does: NAME removes it,
// NAME=VALUE only when it has exactly that value.
func (e *Env) Unset(entry string) {
	name, value, exact := strings.Cut(entry, "=")
	cur, ok := e.vals[name]
	if !ok || exact && cur != value {
		return
	}
	delete(e.vals, name)
	for i, k := range e.keys {
		if k == name {
			e.keys = append(e.keys[:i:i], e.keys[i+1:]...)
			break
		}
	}
}

// Reset forgets every variable (an empty Environment= line).
func (e *Env) Reset() { e.keys, e.vals = nil, nil }

// List returns NAME=VALUE pairs sorted by name, for exec.
func (e Env) List() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	sort.Strings(out)
	return out
}

// Clone returns an independent copy.
func (e Env) Clone() Env {
	var c Env
	for _, k := range e.keys {
		c.Set(k, e.vals[k])
	}
	return c
}

// ParseEnvironment applies one Environment= value (specifiers expanded):
// space-separated NAME=VALUE words with systemd quoting; an empty value
// resets what earlier lines set.
func ParseEnvironment(env *Env, value string) error {
	if strings.TrimSpace(value) == "" {
		env.Reset()
		return nil
	}
	words, err := unitfile.Split(value, unitfile.SplitOptions{Unquote: true, CUnescape: true, Relax: true})
	if err != nil {
		return fmt.Errorf("Environment=%s: %w", value, err)
	}
	for _, w := range words {
		name, val, ok := strings.Cut(w, "=")
		if !ok || !isName(name) {
			return fmt.Errorf("Environment=%s: invalid assignment %q", value, w)
		}
		env.Set(name, val)
	}
	return nil
}

// ReadEnvironmentFile applies an EnvironmentFile= value: a path, optionally
// prefixed with "-" to ignore a missing file. Relative paths are an error,
// as in systemd.
func ReadEnvironmentFile(env *Env, value string) error {
	optional := strings.HasPrefix(value, "-")
	path := strings.TrimPrefix(value, "-")
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("EnvironmentFile=%s: path is not absolute", value)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("EnvironmentFile=%s: %w", value, err)
	}
	return ParseEnvFile(env, string(b))
}

// ParseEnvFile reads NAME=VALUE lines: "#" and ";" start comments, values may
// be single- or double-quoted, a trailing backslash continues the line,
// "export " is accepted as the shell writes it.
func ParseEnvFile(env *Env, text string) error {
	sc := bufio.NewScanner(strings.NewReader(text))
	var pending string
	for sc.Scan() {
		line := pending + sc.Text()
		pending = ""
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			pending = strings.TrimSuffix(line, `\`)
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		name, val, ok := strings.Cut(t, "=")
		name = strings.TrimSpace(name)
		if !ok || !isName(name) {
			continue // systemd ignores lines it cannot read, with a warning
		}
		env.Set(name, unquoteEnvValue(strings.TrimSpace(val)))
	}
	if pending != "" {
		return ParseEnvFile(env, pending)
	}
	return sc.Err()
}

func unquoteEnvValue(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`", "\\\n", "")
		return r.Replace(v[1 : len(v)-1])
	}
	return v
}
