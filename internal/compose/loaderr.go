package compose

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/berth-dev/berth/internal/diag"
)

// CodeInvalid is the code of a compose file compose-go refuses to load.
const CodeInvalid = "compose-invalid"

const loadHint = "fix the compose file; `docker compose config` reports the same problems"

// loadError turns compose-go's error into a diagnostic at the compose file
// and line it is about (diag.ListError), found from the YAML itself: a
// syntax error by parsing each file, a problem of a service or key by the
// service's or key's position. Without a position it stays a plain error
// naming the files.
func loadError(o LoadOptions, files []string, err error) error {
	if len(files) == 0 {
		files = o.Files
	}
	msg := strings.TrimSuffix(err.Error(), ": invalid compose project")
	if pos, line := syntaxPos(files, msg); pos.File != "" {
		return diag.ListError{{Pos: pos, Severity: diag.Error, Code: CodeInvalid, Message: line, Hint: loadHint}}
	}
	if pos := keyPos(files, msg); pos.File != "" {
		for _, f := range files { // the position names the file
			msg = strings.TrimPrefix(msg, "validating "+f+": ")
			msg = strings.TrimPrefix(msg, "loading "+f+": ")
		}
		if key, ok := strings.CutSuffix(msg, " false schema"); ok { // compose-go's words for an unknown key
			msg = key + ": compose has no such key"
		}
		return diag.ListError{{Pos: pos, Severity: diag.Error, Code: CodeInvalid, Message: msg, Hint: loadHint}}
	}
	what := strings.Join(files, ", ")
	if what == "" {
		what = "compose.yaml"
	}
	return fmt.Errorf("loading %s: %w (%s)", what, err, loadHint)
}

var yamlLine = regexp.MustCompile(`yaml: line (\d+): (.*)`)

// syntaxPos finds the file that does not parse as YAML, and the line its
// parser names.
func syntaxPos(files []string, msg string) (diag.Pos, string) {
	if !strings.Contains(msg, "yaml:") {
		return diag.Pos{}, ""
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var n yaml.Node
		perr := yaml.Unmarshal(data, &n)
		if perr == nil {
			continue
		}
		text := perr.Error()
		var le *yaml.LoadError
		if errors.As(perr, &le) && le.Mark.Line > 0 {
			return diag.Pos{File: f, Line: le.Mark.Line, Col: le.Mark.Column}, "YAML syntax: " + le.Message
		}
		if m := yamlLine.FindStringSubmatch(text); m != nil {
			line, _ := strconv.Atoi(m[1])
			return diag.Pos{File: f, Line: line}, "YAML syntax: " + m[2]
		}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return diag.Pos{File: f, Line: line}, "YAML syntax: " + m[2]
		}
	}
	return diag.Pos{}, ""
}

var (
	undefinedDep = regexp.MustCompile(`service "([^"]+)" depends on undefined service "([^"]+)"`)
	undefinedRef = regexp.MustCompile(`service "([^"]+)" refers to undefined (network|volume|secret|config) `)
	serviceName  = regexp.MustCompile(`service "([^"]+)"`)
	keyPath      = regexp.MustCompile(`\b((?:services|networks|volumes|secrets|configs)(?:\.[A-Za-z0-9_.-]+)?)`)
)

// keyPos finds the position of what msg is about: a dependency on a
// service that does not exist, a service, or a dotted key path.
func keyPos(files []string, msg string) diag.Pos {
	p := indexFiles(files)
	if m := undefinedDep.FindStringSubmatch(msg); m != nil {
		base := "services." + m[1] + ".depends_on"
		if pos, ok := p.at[base+"."+m[2]]; ok { // the long form: a map
			return pos
		}
		for path, v := range p.val {
			if v == m[2] && strings.HasPrefix(path, base+".") && !strings.Contains(path[len(base)+1:], ".") {
				return p.at[path]
			}
		}
		return p.find(base)
	}
	if m := undefinedRef.FindStringSubmatch(msg); m != nil {
		return p.find("services." + m[1] + "." + m[2] + "s")
	}
	if m := serviceName.FindStringSubmatch(msg); m != nil {
		return p.find("services." + m[1])
	}
	if m := keyPath.FindStringSubmatch(msg); m != nil {
		return p.find(m[1])
	}
	return diag.Pos{}
}
