package systemd

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berth-dev/berth/internal/atomicfile"
	"io/fs"
	"os"
	"sort"
	"time"
)

// ManifestName is the file, inside an installed stack's folder, that records
// what berth installed; uninstall removes exactly what it lists.
const ManifestName = ".berth-manifest.json"

// manifestVersion is bumped when the format changes incompatibly.
const manifestVersion = 1

// Manifest records one installed stack.
type Manifest struct {
	Version     int       `json:"version"`
	Stack       string    `json:"stack"`
	Scope       Scope     `json:"scope"`
	Source      string    `json:"source"` // the folder installed from
	Dir         string    `json:"dir"`    // the installed folder
	InstalledAt time.Time `json:"installed_at"`
	Podman      string    `json:"podman_version,omitempty"`
	// Files are the files berth wrote, relative to Dir; Dirs the folders it
	// created under Dir (drop-in folders), deepest last.
	Files []string `json:"files"`
	Dirs  []string `json:"dirs,omitempty"`
	// Units are the stack's services in start order.
	Units []ManifestUnit `json:"units"`
	// Dropped are units earlier installs of the stack had and this one has
	// not: apply stopped them, and uninstall stops them again, so that
	// nothing the stack ever installed keeps running.
	Dropped []ManifestUnit `json:"dropped,omitempty"`
	// Generator lists the generator links this stack relies on (berth's own
	// generator link, a mask of podman's): removed when no stack needs them.
	Generator []Link `json:"generator,omitempty"`
	// Rewrites describe the relative paths made absolute in the copies.
	Rewrites []string `json:"rewrites,omitempty"`
	// Compiled are the services and [Install] links berth compiled into
	// the user's unit folder (Layout.UserUnitDir), relative to it: a --user
	// install without write access to /etc/systemd/user-generators.
	Compiled []string `json:"compiled,omitempty"`
}

// ManifestUnit is one quadlet file and the service systemd knows it by.
type ManifestUnit struct {
	Source  string `json:"source"`  // "db.container"
	Service string `json:"service"` // "db.service"
	Kind    string `json:"kind"`    // "container"
	// Resource is the podman name of what the unit makes (the network's,
	// volume's, container's or image's name); uninstall removes networks.
	Resource string `json:"resource,omitempty"`
}

// Link is a symbolic link berth made.
type Link struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// Services lists the stack's services in start order.
func (m *Manifest) Services() []string {
	out := make([]string, len(m.Units))
	for i, u := range m.Units {
		out[i] = u.Service
	}
	return out
}

// ReadManifest reads a stack's manifest; a missing one is fs.ErrNotExist.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %v (the file is berth's record of an installation; restore it or remove the stack's folder by hand)", path, err)
	}
	if m.Version > manifestVersion {
		return nil, fmt.Errorf("%s: manifest version %d is newer than this berth understands (%d); use a newer berth", path, m.Version, manifestVersion)
	}
	return m, nil
}

// WriteManifest writes m atomically.
func WriteManifest(path string, m *Manifest) error {
	m.Version = manifestVersion
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// Manifests reads every installed stack of the layout, sorted by name.
// Unreadable manifests are returned as errors next to the readable ones.
func Manifests(l Layout) ([]*Manifest, []error) {
	entries, err := os.ReadDir(l.StacksDir())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{err}
	}
	var out []*Manifest
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := ReadManifest(l.ManifestPath(e.Name()))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			errs = append(errs, err)
		default:
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stack < out[j].Stack })
	return out, errs
}
