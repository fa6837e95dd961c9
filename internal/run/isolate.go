package run

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// Projects are namespaces. Podman's names are global, so the executor
//   - names what a unit does not name itself after its project
//     (NamePrefix: "shop-web", not podman's "systemd-web"), so that two
//     projects with a web.container never share a container;
//   - labels every container, network, volume and pod it creates with its
//     project (io.berth.project);
//   - refuses to start a unit whose name is held by an object of another
//     project (or, for containers and pods, which `--replace` would
//     destroy, by one berth did not create), before anything runs, naming
//     the other project and the file:line that sets the name;
//   - stops, removes and adopts only objects carrying its own label.

// NamePrefix starts the podman names the executor gives a project's
// containers, networks, volumes and pods when their unit sets none.
func NamePrefix(project string) string { return project + "-" }

// nameKeys are the keys that name a kind's podman object.
var nameKeys = map[Kind][2]string{
	KindContainer: {"Container", "ContainerName"},
	KindNetwork:   {"Network", "NetworkName"},
	KindVolume:    {"Volume", "VolumeName"},
	KindPod:       {"Pod", "PodName"},
}

// explicitName returns the key that names a unit's object and where it is
// set; "" when the unit leaves the name to berth.
func explicitName(src *quadlet.Unit, k Kind) (string, diag.Pos) {
	nk, ok := nameKeys[k]
	if !ok || src == nil || src.File == nil {
		return "", diag.Pos{}
	}
	l := src.File.LastLine(nk[0], nk[1])
	if l == nil || l.Value == "" {
		return "", diag.Pos{}
	}
	pos := l.Pos()
	if pos.File == "" {
		pos.File = src.Name
	}
	return nk[1], pos
}

// adaptUnit records the project on u and labels what its commands create.
func adaptUnit(u *Unit, project string) {
	u.Project = project
	switch u.Kind {
	case KindContainer:
		for _, c := range u.Svc.ExecStart {
			adaptRun(c, map[string]string{LabelProject: project, LabelService: u.Service, LabelHash: u.Hash})
			addAlias(c, podmanAlias(u))
		}
	case KindNetwork, KindVolume, KindPod:
		for _, cmds := range [][]*sd.Command{u.Svc.ExecStartPre, u.Svc.ExecStart} {
			for _, c := range cmds {
				labelCreate(c, string(u.Kind), project)
			}
		}
	}
}

// podmanAlias is the name podman's own quadlet would give a container the
// executor names after its project ("systemd-web" for "shop-web"): it is
// also its DNS name on the project's networks, so that a stack written for
// systemd (DATABASE_URL=postgres://systemd-db/..., berth observe's scrape
// targets) works under berth up unchanged. The networks are the project's
// own, so the alias is only ever the project's. "" for an explicit name.
func podmanAlias(u *Unit) string {
	prefix := NamePrefix(u.Project)
	if u.NameKey != "" || u.Resource == "" || !strings.HasPrefix(u.Resource, prefix) {
		return ""
	}
	return "systemd-" + strings.TrimPrefix(u.Resource, prefix)
}

// addAlias adds --network-alias to a `podman run` line joined to a network
// with DNS (a named network; not the default one, none, host, another
// container's or a pod's, where an alias means nothing or is refused).
func addAlias(c *sd.Command, alias string) {
	i := podmanVerb(c.Argv, "run")
	if alias == "" || i < 0 {
		return
	}
	named := false
	for j := i + 1; j < len(c.Argv); j++ {
		a := c.Argv[j]
		val, ok := "", false
		switch {
		case a == "--pod" || strings.HasPrefix(a, "--pod="):
			return
		case (a == "--network" || a == "--net") && j+1 < len(c.Argv):
			val, ok = c.Argv[j+1], true
		case strings.HasPrefix(a, "--network=") || strings.HasPrefix(a, "--net="):
			_, val, _ = strings.Cut(a, "=")
			ok = true
		}
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(val, ":")
		switch name {
		case "none", "host", "private", "bridge", "container", "ns", "slirp4netns", "pasta", "podman":
			return
		}
		named = true
	}
	if named {
		c.Argv = append(c.Argv[:i+1:i+1], append([]string{"--network-alias", alias}, c.Argv[i+1:]...)...)
	}
}

// labelCreate adds --label io.berth.project=P to a `podman KIND create`
// line, also when it is the argument list of the `sh -c "... || exec
// \"$@\"" sh podman ...` that creates a network or volume on podman < 4.4.
func labelCreate(c *sd.Command, kind, project string) {
	for i, a := range c.Argv {
		if !strings.HasSuffix(a, "/podman") && a != "podman" {
			continue
		}
		j := podmanVerb(c.Argv[i:], kind)
		if j < 0 || i+j+1 >= len(c.Argv) || c.Argv[i+j+1] != "create" {
			continue
		}
		at := i + j + 2
		argv := append([]string(nil), c.Argv[:at]...)
		argv = append(argv, "--label", LabelProject+"="+project)
		c.Argv = append(argv, c.Argv[at:]...)
		return
	}
}

// NameConflict is a unit whose podman name is held by an object that is
// not its project's.
type NameConflict struct {
	Unit  *Unit
	Name  string // the podman name
	Owner string // the project that holds it; "" for an object berth did not create
}

func (c *NameConflict) Error() string {
	u := c.Unit
	kind := string(u.Kind)
	at := u.NamePos.String()
	if at == "" {
		at = u.Source
	}
	var b strings.Builder
	if u.NameKey != "" {
		fmt.Fprintf(&b, "%s: %s=%s: ", at, u.NameKey, c.Name)
	} else {
		fmt.Fprintf(&b, "%s: %s %q (berth's name for it in project %s): ", at, kind, c.Name, u.Project)
	}
	if c.Owner != "" {
		fmt.Fprintf(&b, "%s %q belongs to project %s; berth never replaces or removes another project's %s: ",
			kind, c.Name, c.Owner, kind)
	} else {
		fmt.Fprintf(&b, "%s %q exists and berth did not create it (it has no %s label); berth does not replace it: ",
			kind, c.Name, LabelProject)
	}
	key := nameKeys[u.Kind][1]
	switch {
	case u.NameKey != "":
		fmt.Fprintf(&b, "give this one another %s= (or remove the line: berth then names it after project %s)", key, u.Project)
	default:
		fmt.Fprintf(&b, "set %s= here, or use another project name (-p)", key)
	}
	if c.Owner != "" {
		fmt.Fprintf(&b, ", or take %s down first (berth down -p %s)", c.Owner, c.Owner)
	} else {
		fmt.Fprintf(&b, ", or remove it (podman %s rm %s)", kind, c.Name)
	}
	return b.String()
}

// owner reads who holds the podman object a unit names: the project label
// of the object, whether it exists at all.
func (e *Executor) owner(ctx context.Context, u *Unit) (project string, exists bool, err error) {
	if _, ok := nameKeys[u.Kind]; !ok || u.Resource == "" || e.Podman == nil {
		return "", false, nil
	}
	labels, exists, err := e.Podman.Labels(ctx, string(u.Kind), u.Resource)
	if err != nil || !exists {
		return "", exists, err
	}
	return labels[LabelProject], true, nil
}

// conflict returns a *NameConflict when starting u would take over another
// project's object: a container or pod of that name (run/pod create
// --replace would destroy it) that is not u's project's, or a network or
// volume labelled with another project. A network or volume berth did not
// create is used as it is (and never removed).
func (e *Executor) conflict(ctx context.Context, u *Unit) error {
	owner, exists, err := e.owner(ctx, u)
	if err != nil || !exists || owner == u.Project {
		return err
	}
	if owner == "" && (u.Kind == KindNetwork || u.Kind == KindVolume) {
		return nil
	}
	return &NameConflict{Unit: u, Name: u.Resource, Owner: owner}
}

// notOurs reports whether u's podman object exists and belongs to another
// project (or, for a container or pod, to no berth project): stopping u
// must then leave it alone.
func (e *Executor) notOurs(ctx context.Context, u *Unit) (owner string, foreign bool) {
	owner, exists, err := e.owner(ctx, u)
	if err != nil || !exists || owner == u.Project {
		return "", false
	}
	if owner == "" && (u.Kind == KindNetwork || u.Kind == KindVolume) {
		return "", false
	}
	return owner, true
}

// CheckNames refuses a plan, before any step runs, when a unit it starts
// is named like another project's object. Every conflict is reported.
func (p *Project) CheckNames(ctx context.Context, plan *Plan) error {
	var msgs []string
	for _, s := range plan.Steps {
		if s.Action == ActKeep || s.Action == ActStop || s.Action == ActRemove {
			continue
		}
		err := p.Exec.conflict(ctx, s.Unit)
		if err == nil {
			continue
		}
		if _, ok := err.(*NameConflict); !ok {
			return err
		}
		msgs = append(msgs, err.Error())
	}
	if len(msgs) == 0 {
		return nil
	}
	sort.Strings(msgs)
	return &ConflictsError{Project: p.Stack.Project, Messages: msgs}
}

// ConflictsError lists every name conflict of an up that was refused.
type ConflictsError struct {
	Project  string
	Messages []string
}

func (e *ConflictsError) Error() string {
	return strings.Join(e.Messages, "\n") + fmt.Sprintf("\nnothing of project %s was started or changed", e.Project)
}

// checkInstallNames refuses installing a stack (under systemd) whose
// podman names a project run by `berth up` holds: its container would be
// replaced by the installed unit's `podman run --replace`, its network or
// volume shared and, on uninstall, removed. Units installed under systemd
// carry no project label, so a labelled object is always an up's. Names
// are reported at the user's files (staged copies are under staged).
func checkInstallNames(ctx context.Context, c *podman.Client, st *Stack, staged, origin string) error {
	if c == nil {
		return nil
	}
	var msgs []string
	for _, u := range st.Units {
		if _, ok := nameKeys[u.Kind]; !ok || u.Resource == "" {
			continue
		}
		labels, exists, err := c.Labels(ctx, string(u.Kind), u.Resource)
		if err != nil {
			return err
		}
		owner := labels[LabelProject]
		if !exists || owner == "" {
			continue
		}
		at, key := u.Source, nameKeys[u.Kind][1]
		if u.NameKey != "" {
			pos := u.NamePos
			if rel, err := filepath.Rel(staged, pos.File); err == nil && !strings.HasPrefix(rel, "..") {
				pos.File = filepath.Join(origin, rel)
			}
			at = pos.String() + ": " + u.NameKey + "=" + u.Resource
		}
		msgs = append(msgs, fmt.Sprintf("%s: %s %q belongs to project %s, which `berth up` runs: give this one another %s=, "+
			"or take %s down first (berth down -p %s)", at, u.Kind, u.Resource, owner, key, owner, owner))
	}
	if len(msgs) == 0 {
		return nil
	}
	sort.Strings(msgs)
	return errors.New(strings.Join(msgs, "\n") + "\nnothing was installed")
}

// Foreign returns a *NameConflict when u's container (or pod, network,
// volume) exists and is another project's, so that verbs that act on it by
// name (logs, exec, cp, port, kill, pause, top) leave it alone; nil when
// it is the project's own or does not exist.
func (p *Project) Foreign(ctx context.Context, u *Unit) error {
	owner, foreign := p.Exec.notOurs(ctx, u)
	if !foreign {
		return nil
	}
	return &NameConflict{Unit: u, Name: u.Resource, Owner: owner}
}

// Own reports whether a container podman inspected is u's project's.
func Own(u *Unit, c *podman.State) bool { return c != nil && c.Labels[LabelProject] == u.Project }
