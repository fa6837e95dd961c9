package quadlet

import (
	"errors"
	"sync"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Form says how a key's value becomes podman arguments.
type Form int

const (
	// Custom keys are read by the type's converter; the table still fixes
	// their place in the argument list, their version and their docs.
	Custom   Form = iota
	Last          // last value, if non-empty: Flag VALUE
	All           // every value as written: Flag VALUE for each
	Strv          // every whitespace-separated word: Flag WORD for each
	Words         // every word, command-line quoting: Flag WORD for each
	Bool          // systemd boolean: Flag, or Flag=false
	KeyVals       // NAME=value words: Flag NAME=value for each, in order
	Flagless      // every word appended as is (PodmanArgs-style)
	NoArg         // no podman argument: a naming or service key
)

// Key is one row of a key table: the single description of a quadlet key
// that validation, argument order, version gating and docs all read.
type Key struct {
	Name string
	// Since is the first podman release whose quadlet accepts the key. The
	// tables write versions as literals (version.V{...}), not as parsed
	// strings: a call in a row makes the compiler build the whole table in
	// code at every start of the generator (14 KB of init code, 260
	// parses) instead of laying it out as data.
	Since version.V
	Form  Form
	Flag  string    // podman flag for generic forms
	Needs version.V // podman release whose CLI has the flag(s) the key emits
	Doc   string
	// Emit handles Custom keys at the key's place in the argument list.
	Emit func(c *ctx, cmd *cmdline) error
}

// Table is the ordered key table of one group.
type Table struct {
	Group string
	Keys  []Key
	once  sync.Once
	index map[string]int // built by pos
}

func newTable(group string, keys []Key) *Table { return &Table{Group: group, Keys: keys} }

// pos is the row of name. The index is built on first use: a generator run
// reads a few of the nine tables, and building all at start-up was
// ~50 K instructions, 4% of a 5-unit run.
func (t *Table) pos(name string) (int, bool) {
	t.once.Do(func() {
		t.index = make(map[string]int, len(t.Keys))
		for i, k := range t.Keys {
			t.index[k.Name] = i
		}
	})
	i, ok := t.index[name]
	return i, ok
}

// Lookup returns the row for name.
func (t *Table) Lookup(name string) (Key, bool) {
	i, ok := t.pos(name)
	if !ok {
		return Key{}, false
	}
	return t.Keys[i], true
}

// Names lists the keys in table order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Keys))
	for i, k := range t.Keys {
		out[i] = k.Name
	}
	return out
}

// QuadletTable is the [Quadlet] group shared by all types.
var QuadletTable = newTable("Quadlet", []Key{
	{Name: "DefaultDependencies", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg,
		Doc: "Add Wants=/After= on network-online.target (or the user equivalent); default yes."},
})

// emitGeneric appends the arguments of a non-custom key.
func (c *ctx) emitGeneric(k *Key, cmd *cmdline) {
	f, g := c.src, c.kind.Group
	switch k.Form {
	case Last:
		if val, ok := f.Lookup(g, k.Name); ok && val != "" {
			cmd.flag(k, k.Flag, val)
		}
	case All:
		for _, val := range f.All(g, k.Name) {
			cmd.flag(k, k.Flag, val)
		}
	case Strv:
		for _, w := range f.Strv(g, k.Name) {
			cmd.flag(k, k.Flag, w)
		}
	case Words:
		for _, w := range c.args(k.Name) {
			cmd.flag(k, k.Flag, w)
		}
	case Bool:
		if b, ok := f.LookupBool(g, k.Name); ok {
			if b {
				cmd.flag(k, k.Flag)
			} else {
				cmd.flag(k, k.Flag+"=false")
			}
		}
	case KeyVals:
		for _, kv := range c.keyVals(k.Name) {
			if kv.HasValue {
				cmd.flag(k, k.Flag, kv.Key+"="+kv.Value)
			} else {
				cmd.flag(k, k.Flag, kv.Key)
			}
		}
	case Flagless:
		if words := c.args(k.Name); len(words) > 0 {
			cmd.flag(k, words...)
		}
	}
}

// present reports whether the key is assigned at all in the unit's group.
func (c *ctx) present(name string) bool {
	if c.assigned != nil && len(c.entries) <= maxScan {
		// A unit assigns a handful of its group's keys: comparing with
		// them costs less than hashing name (the compiler asks some 50
		// times per unit). The answer is the same: a key is assigned
		// when one of the group's lines has it.
		for _, l := range c.entries {
			if l.Key == name {
				return true
			}
		}
		return false
	}
	if i, ok := c.kind.keys.pos(name); ok && c.assigned != nil {
		return c.assigned[i]
	}
	return c.src.Has(c.kind.Group, name)
}

// maxScan is the most lines present compares name with before it looks
// the key up in the table instead.
const maxScan = 16

// all, strv and lastLine are the File methods of the same names for the
// unit's group, answering at once for keys the unit does not assign.
func (c *ctx) all(key string) []string {
	if !c.present(key) {
		return nil
	}
	return c.src.All(c.kind.Group, key)
}

func (c *ctx) strv(key string) []string {
	if !c.present(key) {
		return nil
	}
	return c.src.Strv(c.kind.Group, key)
}

func (c *ctx) lastLine(key string) *unitfile.Line {
	if !c.present(key) {
		return nil
	}
	return c.src.LastLine(c.kind.Group, key)
}

// args reads every value of key as command-line words, reporting values whose
// quoting does not parse.
func (c *ctx) args(key string) []string {
	if !c.present(key) {
		return nil
	}
	var out []string
	for _, l := range c.src.AllLines(c.kind.Group, key) {
		words, err := unitfile.SplitQuadletArgs(l.Value)
		if err != nil {
			c.quotingWarning(l.Pos(), key, err)
			if !unitfile.WordsUsable(err) {
				continue
			}
		}
		out = append(out, words...)
	}
	return out
}

// quotingWarning reports a value whose quoting is off. podman's quadlet
// reads an open quote as closed at the end of the value, and so does berth
// (the units must be the same), but it says so: what runs is likely not
// what was meant. Any other error (an unknown escape) drops the value, as
// in podman.
func (c *ctx) quotingWarning(pos diag.Pos, key string, err error) {
	switch err {
	case unitfile.ErrOpenQuote:
		c.warnAt(pos, "bad-quoting", "%s: unbalanced quotes, read as if closed at the end of the value (as podman reads it); close the quote", key)
		return
	case unitfile.ErrEmptyWord:
		c.warnAt(pos, "bad-quoting", "%s: an empty word (\"\") ends the value as podman reads it: it and the words after it are dropped; remove it", key)
		return
	}
	var esc *unitfile.EscapeError
	if errors.As(err, &esc) {
		c.warnAt(pos, "bad-quoting", "%s: %v; the value is ignored (systemd knows \\a \\b \\f \\n \\r \\t \\v \\\\ \\\" \\' \\s \\xNN \\NNN \\uNNNN \\UNNNNNNNN; write \\\\ for a backslash)", key, err)
		return
	}
	c.warnAt(pos, "bad-quoting", "%s: %v; the value is ignored", key, err)
}

// keyVals reads Environment=-style keys, sorted by name as podman does.
func (c *ctx) keyVals(key string) []unitfile.KeyVal {
	kvs, errs := c.src.AppendKeyVals(c.kvs[:0], c.kind.Group, key)
	c.kvs = kvs
	for _, err := range errs {
		c.quotingWarning(c.pos(key), key, err)
	}
	sortKeyVals(kvs)
	return kvs
}
