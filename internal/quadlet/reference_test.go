package quadlet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// The tests in this file compile podman's own quadlet test cases, and
// berth's golden inputs, with berth and with a reference podman quadlet
// generator, and compare every service key by key. Exec lines are compared
// as podman argument multisets with the same command and the same last
// word: podman orders some flags by map iteration. Units the reference
// refuses must be refused by berth with podman's message. They run only
// when BERTH_REF_QUADLET names the generator binary and BERTH_REF_CASES the
// folder of podman's test/e2e/quadlet cases; neither is in this repo.

// refGenerator is podman's quadlet generator the reference tests compare
// with (BERTH_REF_QUADLET); without one they skip.
func refGenerator(t *testing.T) string {
	t.Helper()
	gen := os.Getenv("BERTH_REF_QUADLET")
	if gen == "" {
		t.Skip("set BERTH_REF_QUADLET to compare with podman's generator")
	}
	return gen
}

// TestResourcesMatchReference compares podman's .volume, .network, .image
// and .artifact cases.
func TestResourcesMatchReference(t *testing.T) {
	comparePodmanCases(t, ".volume", ".network", ".image", ".artifact")
}

// TestContainersMatchReference compares podman's .container cases.
func TestContainersMatchReference(t *testing.T) {
	comparePodmanCases(t, ".container")
}

// TestWorkloadsMatchReference compares podman's .build, .kube and .pod
// cases, and berth's golden inputs of those types.
func TestWorkloadsMatchReference(t *testing.T) {
	gen := comparePodmanCases(t, ".build", ".kube", ".pod")
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
			for _, msg := range compareWithReference(gen, abs, names, false) {
				t.Error(msg)
			}
		})
	}
}

// TestResourceGoldensMatchReference runs the golden cases of the resource
// types through the reference generator too: every service both produce
// must agree, and every error podman reports must be among berth's. Cases
// with a target= option are berth-only and skipped.
func TestResourceGoldensMatchReference(t *testing.T) {
	gen := refGenerator(t)
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		base := filepath.Base(dir)
		prefix, _, _ := strings.Cut(base, "-")
		if KindOf("x."+prefix) == nil || prefix == "container" {
			continue
		}
		opts := readOptions(t, dir)
		if !opts.Target.IsZero() {
			continue
		}
		t.Run(base, func(t *testing.T) {
			abs, _ := filepath.Abs(dir)
			files, _ := filepath.Glob(filepath.Join(abs, "*"))
			for _, f := range files {
				name := filepath.Base(f)
				if !IsQuadlet(name) {
					continue
				}
				msgs := compareWithReference(gen, abs, []string{name}, opts.User)
				msg := strings.Join(msgs, "\n")
				switch {
				case len(msgs) == 0:
				case knownDeviations[base+"/"+name] != "":
					t.Logf("%s: known deviation: %s", name, knownDeviations[base+"/"+name])
				case !resourceKind(name):
					t.Logf("%s (not a resource unit): %s", name, msg)
				default:
					t.Error(msg)
				}
			}
		})
	}
}

// knownDeviations are golden inputs where berth differs from podman 5.8 on
// purpose, and why.
var knownDeviations = map[string]string{
	"volume-keys/spaced.volume": "podman writes RequiresMountsFor=\"/srv/app\\x20data\", which systemd reads as " +
		"/srv/appx20data (no C unescaping there); berth writes the space",
	"volume-image-driver/empty-driver.volume": "podman writes the empty Driver= as an unquoted empty word that systemd drops, " +
		"so the volume name becomes the driver; berth leaves --driver out (the default driver)",
}

func resourceKind(name string) bool {
	switch KindOf(name) {
	case &volumeKind, &networkKind, &imageKind, &artifactKind:
		return true
	}
	return false
}

// comparePodmanCases compares every case of podman's with one of exts, each
// in a folder of its own with the files it depends on, as a system and as a
// user unit. It skips the test unless both variables are set, and returns
// the reference generator.
func comparePodmanCases(t *testing.T, exts ...string) string {
	gen, casesDir := os.Getenv("BERTH_REF_QUADLET"), os.Getenv("BERTH_REF_CASES")
	if gen == "" || casesDir == "" {
		t.Skip("set BERTH_REF_QUADLET and BERTH_REF_CASES to compare with podman's generator")
	}
	var cases []string
	for _, ext := range exts {
		m, _ := filepath.Glob(filepath.Join(casesDir, "*"+ext))
		cases = append(cases, m...)
	}
	sort.Strings(cases)
	for _, c := range cases {
		name := filepath.Base(c)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for i, f := range append([]string{name}, refDependencies(name)...) {
				data, err := os.ReadFile(filepath.Join(casesDir, f))
				if i > 0 && os.IsNotExist(err) {
					continue // a dependency another podman release added
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, user := range []bool{false, true} {
				for _, msg := range compareWithReference(gen, dir, []string{name}, user) {
					t.Errorf("user=%v: %s", user, msg)
				}
			}
		})
	}
	return gen
}

// refDependencies are the other case files a case refers to, as podman's
// e2e test supplies them. The exact names of resource cases come before
// the prefixes of workload cases.
func refDependencies(name string) []string {
	switch {
	case strings.HasPrefix(name, "dependent."):
		return []string{"basic.artifact", "basic.build", "basic.container", "basic.image",
			"basic.kube", "basic.network", "basic.pod", "basic.volume"}
	case name == "image.quadlet.volume":
		return []string{"basic.image"}
	case name == "build.quadlet.volume":
		return []string{"basic.build"}
	case name == "image.quadlet.servicename.volume":
		return []string{"service-name.image"}
	case name == "build.quadlet.servicename.volume":
		return []string{"service-name.build"}
	case strings.HasPrefix(name, "network.quadlet.servicename."), strings.HasPrefix(name, "network.servicename."):
		return []string{"service-name.network"}
	case strings.HasPrefix(name, "network.quadlet."):
		return []string{"basic.network"}
	case strings.HasPrefix(name, "volume.quadlet.servicename."), strings.HasPrefix(name, "volume.servicename."):
		return []string{"service-name.volume"}
	case name == "volume.build", name == "volume.pod", name == "volume.quadlet.build":
		return []string{"basic.volume"}
	case name == "startwithpod.pod":
		// The templates are podman 6.0's cases (missing ones are skipped).
		return []string{"startwithpod_no.container", "startwithpod_yes.container", "startwithpod@.container", "startwithpod@foo.container"}
	}
	return nil
}

// compareWithReference runs both generators on dir and returns what differs
// in the services of names (nothing when they agree, or both refuse a unit
// for the same reason).
func compareWithReference(gen, dir string, names []string, user bool) []string {
	args := []string{"-dryrun", "-no-kmsg-log"}
	if user {
		args = append(args, "-user")
	}
	cmd := exec.Command(gen, args...)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	ref := splitDryrun(string(out))

	// The search path as the reference sees it: dir and its subfolders.
	target := refTarget(gen)
	env := Env{LookupEnv: func(k string) (string, bool) { return dir, k == "QUADLET_UNIT_DIRS" }, UID: -1, Target: target}
	units, diags := Load(SearchDirs(user, env))
	// The host's devices, as both generators check AddDevice=-/dev/x.
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	res := Compile(units, Options{User: user, Exists: exists, Target: target})
	errs := append(diags, res.Diags...).Errors()
	mine := map[string]*Service{}
	for _, s := range res.Services {
		mine[s.Source.Name] = s
	}
	var msgs []string
	for _, name := range names {
		info := res.Infos[name]
		if info == nil {
			msgs = append(msgs, fmt.Sprintf("%s: berth did not load it: %v", name, errs))
			continue
		}
		refSvc, refHas := ref[info.ServiceFile()]
		switch {
		case !refHas && mine[name] != nil:
			msgs = append(msgs, fmt.Sprintf("%s: the reference refuses it (%s) but berth compiles it", name, strings.TrimSpace(stderr.String())))
		case !refHas:
			msgs = append(msgs, missingMessages(stderr.String(), name, fmt.Sprint(errs))...)
		case mine[name] == nil:
			msgs = append(msgs, fmt.Sprintf("%s: berth refuses it: %v", name, errs))
		default:
			if d := diffUnits(refSvc, mine[name].File.Format()); d != "" {
				msgs = append(msgs, name+": "+d)
			}
		}
	}
	return msgs
}

// refTargets caches refTarget's answers by generator path.
var refTargets sync.Map

// refTarget is the podman version the reference generator is
// (`quadlet -version`: 5.8.2, or 6.0.0-dev for podman main), which berth
// then compiles for: the reference comparison runs for either.
func refTarget(gen string) version.V {
	if v, ok := refTargets.Load(gen); ok {
		return v.(version.V)
	}
	var v version.V
	if out, err := exec.Command(gen, "-version").Output(); err == nil {
		f := strings.Fields(string(out))
		if len(f) > 0 {
			v, _ = version.Parse(f[len(f)-1])
		}
	}
	refTargets.Store(gen, v)
	return v
}

// missingMessages checks that berth reports podman's error text for name.
func missingMessages(stderr, name, mine string) []string {
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

// splitDryrun splits `quadlet -dryrun` output into services by file name.
func splitDryrun(out string) map[string]string {
	res := map[string]string{}
	parts := strings.Split("\n"+out, "\n---")
	for _, p := range parts[1:] {
		header, body, _ := strings.Cut(p, "\n")
		res[strings.TrimSuffix(header, "---")] = body // ServiceName= may hold a slash
	}
	return res
}

// diffUnits compares two services section by section, key by key, in order.
func diffUnits(ref, mine string) string {
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
			if r[i].Key != m[i].Key || !sameValue(r[i].Key, r[i].Value, m[i].Value) {
				diffs = append(diffs, fmt.Sprintf("[%s] reference %s=%s\n  berth     %s=%s", sec, r[i].Key, r[i].Value, m[i].Key, m[i].Value))
			}
		}
	}
	if len(diffs) > 0 {
		return strings.Join(diffs, "\n") + "\n--- reference ---\n" + ref + "\n--- berth ---\n" + mine
	}
	return ""
}

// sameValue compares Exec lines as argument multisets with the same command
// and the same last word, other values exactly.
func sameValue(key, a, b string) bool {
	if a == b {
		return true
	}
	if !strings.HasPrefix(key, "Exec") {
		return false
	}
	wa, err1 := unitfile.SplitArgs(a)
	wb, err2 := unitfile.SplitArgs(b)
	// podman writes an empty argument as nothing (systemd then drops it and
	// the next argument moves into its place); berth writes "". A known,
	// deliberate difference: compare without berth's empty arguments.
	wb = slices.DeleteFunc(wb, func(w string) bool { return w == "" })
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
