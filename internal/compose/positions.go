package compose

import (
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/berth-dev/berth/internal/diag"
)

// positions maps dotted key paths ("services.web.ports.0") to where they are
// written. Only positions are read from the YAML here: what the keys mean is
// compose-go's job. Later files (overrides) win for the keys they set.
type positions struct {
	at   map[string]diag.Pos
	kids map[string][]string // the keys (or indexes) below a path, in file order
	val  map[string]string   // scalar values ("DB_PASSWORD=x" of environment.0, "/data" of volumes.1.target), to find an item by its value
}

// indexFiles reads the positions of every key of the given compose files.
// Files that cannot be read or parsed are skipped: compose-go has reported
// them already, and positions are only a help.
func indexFiles(files []string) *positions {
	p := &positions{at: map[string]diag.Pos{}, kids: map[string][]string{}, val: map[string]string{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil {
			continue
		}
		p.walk(f, &root, "")
	}
	return p
}

func (p *positions) walk(file string, n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			p.walk(file, c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue // merge keys: the merged keys keep the anchor's lines
			}
			sub := join(path, k.Value)
			p.kid(path, sub)
			p.at[sub] = diag.Pos{File: file, Line: k.Line, Col: k.Column}
			if v.Kind == yaml.ScalarNode {
				p.val[sub] = v.Value
			}
			p.walk(file, v, sub)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			sub := join(path, strconv.Itoa(i))
			p.kid(path, sub)
			p.at[sub] = diag.Pos{File: file, Line: c.Line, Col: c.Column}
			if c.Kind == yaml.ScalarNode {
				p.val[sub] = c.Value
			}
			p.walk(file, c, sub)
		}
	}
}

// kid records sub as a child of path once (an override file may set it again).
func (p *positions) kid(path, sub string) {
	if _, seen := p.at[sub]; !seen {
		p.kids[path] = append(p.kids[path], sub)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// find returns the position of the most specific known prefix of path, so a
// key set through an anchor or extends points at least at its service.
func (p *positions) find(path string) diag.Pos {
	if p == nil {
		return diag.Pos{}
	}
	for path != "" {
		if pos, ok := p.at[path]; ok {
			return pos
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		// environment.NAME of the list form "- NAME=value"
		name := path[i+1:]
		for _, sub := range p.kids[path[:i]] {
			if v, ok := p.val[sub]; ok && (v == name || strings.HasPrefix(v, name+"=")) {
				return p.at[sub]
			}
		}
		path = path[:i]
	}
	return diag.Pos{}
}
