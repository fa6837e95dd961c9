package compose

import (
	"os"
	"path/filepath"
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
	keep bool                // set() keeps positions already known (extends fills a service in)
}

// indexFiles reads the positions of every key of the given compose files.
// Files that cannot be read or parsed are skipped: compose-go has reported
// them already, and positions are only a help.
func indexFiles(files []string) *positions {
	p := &positions{at: map[string]diag.Pos{}, kids: map[string][]string{}, val: map[string]string{}}
	var roots []fileRoot
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
		roots = append(roots, fileRoot{f, &root})
	}
	for _, r := range roots {
		for name, svc := range entries(mapping(r.root, "services")) {
			p.extends(r.file, svc, "services."+name, 0)
		}
	}
	return p
}

type fileRoot struct {
	file string
	root *yaml.Node
}

// mapping returns the value of key in the mapping n (n: a document, a
// mapping or an alias of one), or nil.
func mapping(n *yaml.Node, key string) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode && len(n.Content) > 0 || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else {
			n = n.Content[0]
		}
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// entries lists a mapping's keys and values.
func entries(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

// extends fills in the keys a service (svc, at path, written in file)
// inherits through extends: from the base service's lines, in the same file
// or the one extends names; the service's own keys keep their lines.
func (p *positions) extends(file string, svc *yaml.Node, path string, depth int) {
	ext := mapping(svc, "extends")
	if ext == nil || depth > 8 {
		return
	}
	base, from := ext.Value, file
	if ext.Kind == yaml.MappingNode {
		base = ""
		if s := mapping(ext, "service"); s != nil {
			base = s.Value
		}
		if f := mapping(ext, "file"); f != nil && f.Value != "" {
			from = f.Value
			if !filepath.IsAbs(from) {
				from = filepath.Join(filepath.Dir(file), from)
			}
		}
	}
	data, err := os.ReadFile(from)
	var root yaml.Node
	if base == "" || err != nil || yaml.Unmarshal(data, &root) != nil {
		return
	}
	node := mapping(mapping(&root, "services"), base)
	if node == nil {
		return
	}
	keep := p.keep
	p.keep = true
	p.walk(from, node, path)
	p.extends(from, node, path, depth+1)
	p.keep = keep
}

func (p *positions) walk(file string, n *yaml.Node, path string) {
	if strings.Count(path, ".") > 64 { // an alias of its own ancestor
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			p.walk(file, c, path)
		}
	case yaml.AliasNode: // the aliased keys keep the anchor's lines
		if n.Alias != nil {
			p.walk(file, n.Alias, path)
		}
	case yaml.MappingNode:
		// merge keys (<<: *anchor) first, so that the mapping's own keys win
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "<<" {
				p.merge(file, v, path)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value != "<<" {
				p.set(path, join(path, k.Value), diag.Pos{File: file, Line: k.Line, Col: k.Column}, v)
				p.walk(file, v, join(path, k.Value))
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			sub := join(path, strconv.Itoa(i))
			p.set(path, sub, diag.Pos{File: file, Line: c.Line, Col: c.Column}, c)
			p.walk(file, c, sub)
		}
	}
}

// merge walks the mapping (or list of mappings) of a merge key into path.
func (p *positions) merge(file string, v *yaml.Node, path string) {
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			p.walk(file, c, path)
		}
		return
	}
	p.walk(file, v, path)
}

// set records where sub (a child of path) is written and its scalar value.
// While extends fills a service in (keep), keys the service sets itself
// keep their own positions.
func (p *positions) set(path, sub string, pos diag.Pos, v *yaml.Node) {
	if _, ok := p.at[sub]; ok && p.keep {
		return
	}
	p.kid(path, sub)
	p.at[sub] = pos
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.ScalarNode {
		p.val[sub] = v.Value
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
