// Package kube exports a berth stack — quadlet units, or a compose project
// converted to them — to Kubernetes manifests built from k8s.io/api types,
// with a report of every setting that could not be carried over exactly.
// berth never talks to a cluster: the manifests are applied with kubectl, or
// played by podman itself (--for podman).
package kube

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Target is what plays the manifests.
type Target string

// Targets.
const (
	ForKubernetes Target = "kubernetes"
	ForPodman     Target = "podman" // the subset `podman kube play` runs
)

// Labels berth reads from a container or volume unit to steer the export.
const (
	LabelKind     = "io.berth.kube.kind"     // deployment | statefulset | job
	LabelReplicas = "io.berth.kube.replicas" // number of pods
	LabelSize     = "io.berth.kube.size"     // a claim's size, on a .volume (or compose volume)
)

// Options steer an export.
type Options struct {
	Project   string // app.kubernetes.io/part-of on every object
	Namespace string // metadata.namespace, and a Namespace object (kubernetes only)
	For       Target
	Podman    version.V // --for podman: the podman that plays the file; zero is the newest
	// ServiceType is the type of every Service: ClusterIP unless NodePort
	// or LoadBalancer is asked for.
	ServiceType corev1.ServiceType
	VolumeSize  string // a claim's size when its volume has no LabelSize; default 1Gi
	// IncludeSecretValues writes Secret objects with their values (asked of
	// SecretValue); otherwise secrets are referenced and the report says how
	// to create them.
	IncludeSecretValues bool
	SecretValue         func(name string) ([]byte, error)
	WaitImage           string // the init containers that wait for dependencies; default busybox
	Dir                 string // where units without a Path live (a compose project's folder)
	// Names says how a report line names another unit of the stack: a
	// compose project's units are its services ("service db"). Default:
	// the unit's file name.
	Names func(unit string) string
	// Compose: the units were converted from a compose project, so hints
	// name the compose keys to change rather than the units' keys.
	Compose  bool
	ReadFile func(path string) ([]byte, error)
	Stat     func(path string) (fs.FileInfo, error)
}

// DefaultWaitImage runs the init containers that wait for a dependency's
// Service (busybox's nc).
const DefaultWaitImage = "docker.io/library/busybox:1.37"

func (o *Options) defaults() {
	if o.For == "" {
		o.For = ForKubernetes
	}
	if o.ServiceType == "" {
		o.ServiceType = corev1.ServiceTypeClusterIP
	}
	if o.VolumeSize == "" {
		o.VolumeSize = "1Gi"
	}
	if o.WaitImage == "" {
		o.WaitImage = DefaultWaitImage
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.Stat == nil {
		o.Stat = os.Stat
	}
}

// Result is the manifests and the report of one export.
type Result struct {
	Objects []Object
	Report  Report
}

// exporter holds one export's state.
type exporter struct {
	opts      Options
	units     map[string]*quadlet.Unit // by file name
	rep       Report
	workloads []*workload
	byUnit    map[string]*workload // container and pod unit names → their workload
	claims    map[string]*claim    // by claim name
	configs   map[string]*configMap
	secrets   map[string]*secretRef
	names     map[string]string // object kind/name → the unit that took it
}

// Export converts the units of one stack. Units that do not compile should
// be left out by the caller (every verb reports their diagnostics the same
// way); Export reports what it cannot carry over, and fails only when the
// stack has no workload at all.
func Export(units []*quadlet.Unit, opts Options) (*Result, error) {
	opts.defaults()
	e := &exporter{opts: opts, units: map[string]*quadlet.Unit{}, byUnit: map[string]*workload{},
		claims: map[string]*claim{}, configs: map[string]*configMap{}, secrets: map[string]*secretRef{},
		names: map[string]string{}}
	sorted := append([]*quadlet.Unit(nil), units...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, u := range sorted {
		e.units[u.Name] = u
	}
	for _, u := range sorted {
		if strings.HasSuffix(u.Name, ".pod") && !isTemplate(u.Name) {
			e.addPod(u)
		}
	}
	for _, u := range sorted {
		switch {
		case isTemplate(u.Name):
			e.loss(u, "", "", Dropped, "a template unit has no instance to export",
				"export an instance (name@1.container, a symlink to the template) instead")
		case strings.HasSuffix(u.Name, ".container"):
			e.addContainer(u)
		case !strings.HasSuffix(u.Name, ".pod"):
			e.otherUnit(u)
		}
	}
	if len(e.workloads) == 0 {
		return nil, fmt.Errorf("the stack has no .container or .pod unit to export")
	}
	e.dependencies()
	if e.opts.For == ForPodman {
		e.forPodman()
	}
	objs := e.objects() // adds the notes of restarts and secrets
	e.rep.Sort()
	return &Result{Objects: objs, Report: e.rep}, nil
}

// describe names a unit for a report line.
func (e *exporter) describe(unit string) string {
	if e.opts.Names != nil {
		if n := e.opts.Names(unit); n != "" {
			return n
		}
	}
	return unit
}

// say picks the hint's words for quadlet units or for a compose project.
func (e *exporter) say(quadlet, compose string) string {
	if e.opts.Compose {
		return compose
	}
	return quadlet
}

// isTemplate reports whether name is a template (web@.container) rather
// than an instance (web@1.container).
func isTemplate(name string) bool {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	return strings.HasSuffix(base, "@")
}

// unitStem is the file name without its extension.
func unitStem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

// loss records a report line at the key's last line in the unit's group.
func (e *exporter) loss(u *quadlet.Unit, group, key string, sev Severity, msg, hint string) {
	l := Loss{Unit: u.Name, Key: key, Severity: sev, Message: msg, Hint: hint}
	if group != "" && key != "" {
		if line := u.File.LastLine(group, key); line != nil {
			l.Pos = line.Pos()
		}
	}
	if l.Pos.File == "" && u.Path != "" {
		l.Pos.File = u.Path
	}
	e.rep.add(l)
}

// path resolves a host path of a unit the way podman's quadlet does:
// relative to the unit's folder.
func (e *exporter) path(u *quadlet.Unit, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	dir := e.opts.Dir
	if u.Path != "" {
		dir = filepath.Dir(u.Path)
	}
	return filepath.Join(dir, p)
}

// otherUnit reports the units that have no workload of their own.
func (e *exporter) otherUnit(u *quadlet.Unit) {
	f := u.File
	switch filepath.Ext(u.Name) {
	case ".kube":
		yaml, _ := f.Lookup("Kube", "Yaml")
		e.loss(u, "Kube", "Yaml", Note, "already Kubernetes YAML: not converted",
			"apply "+yaml+" beside the exported manifests")
	case ".network":
		if v, ok := f.LookupBool("Network", "Internal"); ok && v {
			e.loss(u, "Network", "Internal", Dropped, "an internal network has no counterpart: every pod can reach the internet",
				"write a NetworkPolicy that denies egress")
		}
	case ".artifact":
		e.loss(u, "", "", Dropped, "OCI artifacts have no counterpart in Kubernetes", "")
	case ".volume", ".image", ".build":
		// Used where a container names them (claims, images).
	}
}

// lookup returns the last value of key in group, trimmed.
func lookup(f *unitfile.File, group, key string) (string, bool) {
	v, ok := f.Lookup(group, key)
	return strings.TrimSpace(v), ok
}
