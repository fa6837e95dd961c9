package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/kube"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// kubeCompose converts the compose project to quadlet units exactly as
// `berth convert` writes them (formatted and read back), compiles them as
// every verb does, and reports the conversion's losses and the compiler's
// findings at the compose file's lines.
func (a *app) kubeCompose(ctx context.Context, o kubeExportOptions, dir string) (*kubeStack, error) {
	cp, err := compose.Load(ctx, a.composeLoadOptions(dir, o.composeFiles))
	if err != nil {
		return nil, err
	}
	target := a.target(ctx)
	units, rep, err := compose.ToUnits(cp, compose.Options{Target: target})
	printReport(a.stderr, compose.Report{Entries: rep.Entries}, dir)
	if err != nil {
		return nil, errSilent{fmt.Errorf("nothing written: %d compose setting(s) cannot be expressed as quadlets (listed above)", countErrors(rep))}
	}
	st := &kubeStack{project: cp.Name, compose: cp, converted: rep.Losses()}
	var diags diag.List
	st.units, st.texts, diags = checkConverted(cp, units, target)
	if diags.HasErrors() {
		return nil, &diagsError{diags: diags, base: dir}
	}
	st.units = scaleToReplicas(cp, st.units)
	if len(diags) > 0 {
		printDiags(a.stderr, diags, dir)
	}
	secrets := map[string]compose.Secret{}
	for _, s := range rep.Secrets {
		secrets[s.Name] = s
	}
	st.values = func(name string) ([]byte, error) {
		s, ok := secrets[name]
		if !ok {
			return a.podmanSecretValue(ctx, name)
		}
		return cp.Data(s)
	}
	return st, nil
}

// checkConverted reads the converted units back as `berth convert` writes
// them (positions and all) and compiles them as every verb does; the
// diagnostics point at the compose keys the units' lines came from.
func checkConverted(cp *compose.Project, units []*quadlet.Unit, target version.V) ([]*quadlet.Unit, map[string][]string, diag.List) {
	parsed, texts, diags := readBack(units)
	if !diags.HasErrors() {
		res := quadlet.Compile(parsed, quadlet.Options{Target: target, Strict: true, HostFile: fileExists})
		diags = append(diags, res.Diags...)
	}
	return parsed, texts, placeDiags(cp, texts, diags)
}

// readBack formats the converted units and parses them again, as `berth
// convert` writes them and every verb reads them; texts are their lines,
// for placeDiags.
func readBack(units []*quadlet.Unit) ([]*quadlet.Unit, map[string][]string, diag.List) {
	texts := map[string][]string{}
	var parsed []*quadlet.Unit
	var diags diag.List
	for _, u := range units {
		text := u.File.Format()
		texts[u.Name] = strings.Split(text, "\n")
		f, ds := unitfile.Parse(u.Name, []byte(text))
		diags = append(diags, ds...)
		if f != nil {
			parsed = append(parsed, &quadlet.Unit{Name: u.Name, File: f})
		}
	}
	return parsed, texts, diags
}

// scaleToReplicas exports a scaled service (scale:, deploy.replicas) as one
// workload with that many replicas, as Kubernetes runs them: the units of
// replicas 2..n, which the executors need, are left out, and replica 1
// carries the replicas label unless the service sets it itself.
func scaleToReplicas(cp *compose.Project, units []*quadlet.Unit) []*quadlet.Unit {
	extra := map[string]bool{}
	replicas := map[string]int{}
	for name := range cp.Services {
		n := compose.Replicas(cp, name)
		if n <= 1 {
			continue
		}
		replicas[compose.ContainerFile(cp, name)] = n
		for i := 2; i <= n; i++ {
			extra[compose.ReplicaFile(cp, name, i)] = true
		}
	}
	out := units[:0:0]
	for _, u := range units {
		if extra[u.Name] {
			continue
		}
		if n := replicas[u.Name]; n > 1 && !hasLabel(u, kube.LabelReplicas) {
			f := u.File.Clone()
			f.Add("Container", "Label", kube.LabelReplicas+"="+strconv.Itoa(n))
			u = &quadlet.Unit{Name: u.Name, Path: u.Path, File: f}
		}
		out = append(out, u)
	}
	return out
}

func hasLabel(u *quadlet.Unit, name string) bool {
	kvs, _ := u.File.KeyVals("Container", "Label")
	for _, kv := range kvs {
		if kv.Key == name {
			return true
		}
	}
	return false
}

// placeDiags moves the diagnostics of converted units to the compose keys
// they came from, as lint -f reports them (compose.Project.Place).
func placeDiags(cp *compose.Project, texts map[string][]string, diags diag.List) diag.List {
	out := make(diag.List, 0, len(diags))
	lookup := func(unit string) []string { return texts[unit] }
	for _, d := range diags {
		if lines, ok := texts[d.Pos.File]; ok {
			d = cp.Place(d, d.Pos.File, lines)
			d.Message = cp.Mention(d.Message, lookup)
		}
		out = append(out, d)
	}
	return out
}

// composeLosses moves every report line to its compose key; the replicas of
// a scaled service say the same of the same key once.
func composeLosses(cp *compose.Project, texts map[string][]string, losses []kube.Loss) []kube.Loss {
	out := make([]kube.Loss, 0, len(losses))
	seen := map[string]bool{}
	for _, l := range losses {
		l = composeLoss(cp, texts, l)
		id := fmt.Sprint(l.Pos, l.Source, l.Severity, l.Message)
		if l.Source != "" && seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, l)
	}
	return out
}

// composeLoss moves a report line of a converted unit to the compose file,
// line and key it came from. A line about a unit line berth added itself,
// or about a key the unit lacks, says so and points at its service.
func composeLoss(cp *compose.Project, texts map[string][]string, l kube.Loss) kube.Loss {
	lines, ok := texts[l.Unit]
	if !ok {
		return l
	}
	var src compose.Source
	raw := ""
	if l.Pos.File == l.Unit && l.Pos.Line > 0 {
		src = cp.SourceAt(l.Unit, lines, l.Pos.Line)
		if l.Pos.Line <= len(lines) {
			raw = strings.TrimSpace(lines[l.Pos.Line-1])
		}
	} else {
		src = cp.SourceOf(l.Unit, l.Key, "", 0, 0)
	}
	if src.Owner == "" {
		return l
	}
	src = cp.Narrow(src, l.Item)
	l.Pos, l.Source = src.Pos, src.String()
	var gen string
	switch {
	case raw != "":
		gen = compose.Generated(src, l.Unit, raw)
	case l.Key != "":
		gen = "the generated " + l.Unit + " has no " + l.Key + "="
	}
	if gen != "" && l.Hint != "" {
		l.Hint += "; " + gen
	} else if gen != "" {
		l.Hint = gen
	}
	return l
}
