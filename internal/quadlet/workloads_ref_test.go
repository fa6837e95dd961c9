package quadlet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
)

// TestWorkloadsMatchReference compiles the .build, .kube and .pod cases of
// podman's own quadlet tests, and berth's golden inputs of those types, with
// berth and with a reference podman quadlet generator, and compares every
// service key by key (podman argument lists as multisets: podman orders
// some flags by map iteration). Units the reference refuses must be refused
// by berth with podman's message. It runs only when BERTH_REF_QUADLET names
// the generator and BERTH_REF_CASES the folder of podman's test/e2e/quadlet
// cases; neither is in this repo.
func TestWorkloadsMatchReference(t *testing.T) {
	gen, casesDir := os.Getenv("BERTH_REF_QUADLET"), os.Getenv("BERTH_REF_CASES")
	if gen == "" || casesDir == "" {
		t.Skip("set BERTH_REF_QUADLET and BERTH_REF_CASES to compare with podman's generator")
	}
	wlStubTables(t)
	var cases []string
	for _, ext := range []string{".build", ".kube", ".pod"} {
		m, _ := filepath.Glob(filepath.Join(casesDir, "*"+ext))
		cases = append(cases, m...)
	}
	sort.Strings(cases)
	for _, c := range cases {
		name := filepath.Base(c)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range append([]string{name}, wlDependencies(name)...) {
				data, err := os.ReadFile(filepath.Join(casesDir, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, user := range []bool{false, true} {
				for _, msg := range wlCompare(gen, dir, []string{name}, user) {
					t.Errorf("user=%v: %s", user, msg)
				}
			}
		})
	}
	golden, _ := filepath.Glob("testdata/*")
	for _, dir := range golden {
		base := filepath.Base(dir)
		if !strings.HasPrefix(base, "build-") && !strings.HasPrefix(base, "kube-") && !strings.HasPrefix(base, "pod-") {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "options")); err == nil {
			continue // an older target: the reference is podman 5.8
		}
		t.Run("testdata/"+base, func(t *testing.T) {
			abs, _ := filepath.Abs(dir)
			var names []string
			for _, ext := range []string{".build", ".kube", ".pod"} {
				m, _ := filepath.Glob(filepath.Join(abs, "*"+ext))
				for _, f := range m {
					names = append(names, filepath.Base(f))
				}
			}
			for _, msg := range wlCompare(gen, abs, names, false) {
				t.Error(msg)
			}
		})
	}
}

// wlDependencies are the other case files a case refers to, as podman's
// e2e test supplies them.
func wlDependencies(name string) []string {
	switch {
	case strings.HasPrefix(name, "dependent."):
		return []string{"basic.artifact", "basic.build", "basic.container", "basic.image",
			"basic.kube", "basic.network", "basic.pod", "basic.volume"}
	case strings.HasPrefix(name, "network.quadlet.servicename."), strings.HasPrefix(name, "network.servicename."):
		return []string{"service-name.network"}
	case strings.HasPrefix(name, "network.quadlet."):
		return []string{"basic.network"}
	case strings.HasPrefix(name, "volume.quadlet.servicename."), strings.HasPrefix(name, "volume.servicename."):
		return []string{"service-name.volume"}
	case name == "volume.build", name == "volume.pod", name == "volume.quadlet.build":
		return []string{"basic.volume"}
	case name == "startwithpod.pod":
		return []string{"startwithpod_no.container", "startwithpod_yes.container"}
	}
	return nil
}

// wlStubTables gives kinds whose converter is not written yet an empty key
// table, so that their units still lend their names to the units compared.
func wlStubTables(t *testing.T) {
	for _, k := range Kinds() {
		if k.keys == nil {
			k.keys = newTable(k.Group, nil)
			t.Cleanup(func() { k.keys = nil })
		}
	}
}

// wlCompare runs both generators on dir and compares the services of names.
func wlCompare(gen, dir string, names []string, user bool) []string {
	args := []string{"-dryrun", "-no-kmsg-log"}
	if user {
		args = append(args, "-user")
	}
	cmd := exec.Command(gen, args...)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	ref := wlSplitDryrun(string(out))

	units, diags := Load([]string{dir})
	res := Compile(units, Options{User: user})
	errs := append(diags, res.Diags...).Errors()
	mine := map[string]*Service{}
	for _, s := range res.Services {
		mine[s.Source.Name] = s
	}
	var msgs []string
	for _, name := range names {
		svc := res.Infos[name].ServiceFile()
		refSvc, refHas := ref[svc]
		switch {
		case !refHas && mine[name] != nil:
			msgs = append(msgs, fmt.Sprintf("%s: the reference refuses it (%s) but berth compiles it", name, strings.TrimSpace(stderr.String())))
		case !refHas:
			msgs = append(msgs, wlMissingMessages(stderr.String(), name, fmt.Sprint(errs))...)
		case mine[name] == nil:
			msgs = append(msgs, fmt.Sprintf("%s: berth refuses it: %v", name, errs))
		default:
			if d := wlDiff(refSvc, mine[name].File.Format()); d != "" {
				msgs = append(msgs, name+": "+d)
			}
		}
	}
	return msgs
}

// wlMissingMessages checks that berth reports podman's error text for name.
func wlMissingMessages(stderr, name, mine string) []string {
	var msgs []string
	prefix := "converting \"" + name + "\": "
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, prefix); i >= 0 {
			msg := strings.TrimSpace(line[i+len(prefix):])
			if !strings.Contains(mine, msg) {
				msgs = append(msgs, fmt.Sprintf("%s: berth does not report %q; it reports:\n%s", name, msg, mine))
			}
		}
	}
	return msgs
}

// wlSplitDryrun splits `quadlet -dryrun` output into services by file name.
func wlSplitDryrun(out string) map[string]string {
	res := map[string]string{}
	parts := strings.Split("\n"+out, "\n---")
	for _, p := range parts[1:] {
		header, body, _ := strings.Cut(p, "\n")
		res[filepath.Base(strings.TrimSuffix(header, "---"))] = body
	}
	return res
}

// wlDiff compares two services section by section, key by key, in order.
func wlDiff(ref, mine string) string {
	rf, _ := unitfile.Parse("ref", []byte(ref))
	mf, _ := unitfile.Parse("berth", []byte(mine))
	var diffs []string
	seen := map[string]bool{}
	for _, sec := range append(rf.SectionNames(), mf.SectionNames()...) {
		if seen[sec] {
			continue
		}
		seen[sec] = true
		r, m := rf.Entries(sec), mf.Entries(sec)
		if len(r) != len(m) {
			diffs = append(diffs, fmt.Sprintf("[%s]: %d keys in the reference, %d in berth", sec, len(r), len(m)))
			continue
		}
		for i := range r {
			if r[i].Key != m[i].Key || !wlSameValue(r[i].Key, r[i].Value, m[i].Value) {
				diffs = append(diffs, fmt.Sprintf("[%s] reference %s=%s\n  berth     %s=%s", sec, r[i].Key, r[i].Value, m[i].Key, m[i].Value))
			}
		}
	}
	if len(diffs) > 0 {
		return strings.Join(diffs, "\n") + "\n--- reference ---\n" + ref + "\n--- berth ---\n" + mine
	}
	return ""
}

// wlSameValue compares Exec lines as argument multisets with the same
// command and the same last word.
func wlSameValue(key, a, b string) bool {
	if a == b {
		return true
	}
	if !strings.HasPrefix(key, "Exec") {
		return false
	}
	wa, err1 := unitfile.SplitArgs(a)
	wb, err2 := unitfile.SplitArgs(b)
	if err1 != nil || err2 != nil || len(wa) != len(wb) || len(wa) < 2 {
		return false
	}
	if wa[0] != wb[0] || wa[len(wa)-1] != wb[len(wb)-1] {
		return false
	}
	sa, sb := append([]string(nil), wa...), append([]string(nil), wb...)
	sort.Strings(sa)
	sort.Strings(sb)
	return strings.Join(sa, "\x00") == strings.Join(sb, "\x00")
}
