package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
)

// An installed stack's revisions live under its state folder
// (systemd.Layout.StateDir):
//
//	revisions/N/files/...        the quadlet files and drop-ins as installed
//	revisions/N/revision.json    when, from where, why, and per unit the
//	                             compiled unit, its hash, key and input digests
//	staging/                     the next revision while it is applied
//
// A revision becomes visible by one rename of its finished folder, so an
// interrupted apply leaves either the old latest revision or the new one,
// never half of one. The latest revision is what the running units were
// last applied from: the next apply plans against it.

// DefaultKeepRevisions is how many revisions are kept.
const DefaultKeepRevisions = 5

// Revision is one apply of an installed stack.
type Revision struct {
	N       int                      `json:"revision"`
	Time    time.Time                `json:"time"`
	Summary string                   `json:"summary"`
	Source  string                   `json:"source"` // the folder it was installed from
	Podman  string                   `json:"podman_version,omitempty"`
	Units   map[string]*RevisionUnit `json:"units"`
}

// RevisionUnit is one unit as a revision applied it.
type RevisionUnit struct {
	Source   string            `json:"source"`
	Kind     Kind              `json:"kind"`
	Resource string            `json:"resource,omitempty"`
	Hash     string            `json:"hash"`
	Keys     map[string]string `json:"keys,omitempty"`
	Inputs   map[string]string `json:"inputs,omitempty"`
	Text     string            `json:"text"`
}

// Revisions is a stack's revision store.
type Revisions struct {
	Dir string // the stack's state folder
}

func (r Revisions) revDir(n int) string { return filepath.Join(r.Dir, "revisions", strconv.Itoa(n)) }

// Files is the folder of revision n's quadlet files.
func (r Revisions) Files(n int) string { return filepath.Join(r.revDir(n), "files") }

// Staging is where the next revision is put together.
func (r Revisions) Staging() string { return filepath.Join(r.Dir, "staging") }

// List returns the stored revisions, oldest first.
func (r Revisions) List() ([]*Revision, error) {
	entries, err := os.ReadDir(filepath.Join(r.Dir, "revisions"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Revision
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue // a temporary folder of an interrupted write
		}
		rev, err := r.Load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out, nil
}

// Load reads revision n.
func (r Revisions) Load(n int) (*Revision, error) {
	b, err := os.ReadFile(filepath.Join(r.revDir(n), "revision.json"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no revision %d (berth history lists them)", n)
		}
		return nil, err
	}
	rev := &Revision{}
	if err := json.Unmarshal(b, rev); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(r.revDir(n), "revision.json"), err)
	}
	return rev, nil
}

// Latest is the newest revision, nil when there is none.
func (r Revisions) Latest() (*Revision, error) {
	revs, err := r.List()
	if err != nil || len(revs) == 0 {
		return nil, err
	}
	return revs[len(revs)-1], nil
}

// Commit makes the staging folder revision rev.N (its files must be in
// Files' place under Staging) and keeps the newest keep revisions.
func (r Revisions) Commit(rev *Revision, keep int) error {
	b, err := json.MarshalIndent(rev, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.Staging(), "revision.json"), append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "revisions"), 0o700); err != nil {
		return err
	}
	dst := r.revDir(rev.N)
	_ = os.RemoveAll(dst) // an earlier, interrupted commit of the same number
	if err := os.Rename(r.Staging(), dst); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	if keep <= 0 {
		keep = DefaultKeepRevisions
	}
	revs, err := r.List()
	if err != nil {
		return err
	}
	for i := 0; i < len(revs)-keep; i++ {
		_ = os.RemoveAll(r.revDir(revs[i].N))
	}
	return nil
}

// revisionOf records a compiled stack as a revision.
func revisionOf(st *Stack, n int, summary, source, podman string) *Revision {
	rev := &Revision{N: n, Time: time.Now().UTC(), Summary: summary, Source: source, Podman: podman,
		Units: map[string]*RevisionUnit{}}
	for _, u := range st.Units {
		rev.Units[u.Name] = &RevisionUnit{Source: u.Source, Kind: u.Kind, Resource: u.Resource, Hash: u.Hash,
			Keys: u.Keys, Inputs: u.Inputs, Text: u.Text}
	}
	return rev
}
