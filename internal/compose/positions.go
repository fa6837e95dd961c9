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
	at  map[string]diag.Pos
	val map[string]string // scalar list items ("DB_PASSWORD=x" of environment.0), to find an item by its value
}

// indexFiles reads the positions of every key of the given compose files.
// Files that cannot be read or parsed are skipped: compose-go has reported
// them already, and positions are only a help.
func indexFiles(files []string) *positions {
	p := &positions{at: map[string]diag.Pos{}, val: map[string]string{}}
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
			p.at[sub] = diag.Pos{File: file, Line: k.Line}
			p.walk(file, v, sub)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			sub := join(path, strconv.Itoa(i))
			p.at[sub] = diag.Pos{File: file, Line: c.Line}
			if c.Kind == yaml.ScalarNode {
				p.val[sub] = c.Value
			}
			p.walk(file, c, sub)
		}
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
		path = path[:i]
	}
	return diag.Pos{}
}
