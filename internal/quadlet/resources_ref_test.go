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

// TestResourcesMatchReference compiles podman's own quadlet test cases for
// .volume, .network, .image and .artifact with berth and with a reference
// podman quadlet generator, and compares the services key by key. It runs
// only when BERTH_REF_QUADLET names the generator binary and BERTH_REF_CASES
// the folder of podman's test/e2e/quadlet cases; neither is in this repo.
//
// Exec lines are compared as podman argument multisets with the same verb
// and the same last word: podman orders some flags by map iteration.
func TestResourcesMatchReference(t *testing.T) {
	gen, casesDir := os.Getenv("BERTH_REF_QUADLET"), os.Getenv("BERTH_REF_CASES")
	if gen == "" || casesDir == "" {
		t.Skip("set BERTH_REF_QUADLET and BERTH_REF_CASES to compare with podman's generator")
	}
	var cases []string
	for _, ext := range []string{".volume", ".network", ".image", ".artifact"} {
		m, _ := filepath.Glob(filepath.Join(casesDir, "*"+ext))
		cases = append(cases, m...)
	}
	sort.Strings(cases)
	for _, c := range cases {
		name := filepath.Base(c)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range append([]string{name}, refDependencies(name)...) {
				data, err := os.ReadFile(filepath.Join(casesDir, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, user := range []bool{false, true} {
				if msg := compareWithReference(t, gen, dir, name, user); msg != "" {
					t.Errorf("user=%v: %s", user, msg)
				}
			}
		})
	}
}

// TestResourceGoldensMatchReference runs the golden cases of the resource
// types through the reference generator too: every service both produce
// must agree, and every error podman reports must be among berth's. Cases
// with a target= option are berth-only and skipped.
func TestResourceGoldensMatchReference(t *testing.T) {
	gen := os.Getenv("BERTH_REF_QUADLET")
	if gen == "" {
		t.Skip("set BERTH_REF_QUADLET to compare with podman's generator")
	}
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
				msg := compareWithReference(t, gen, abs, name, opts.User)
				switch {
				case msg == "":
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
	case &VolumeKind, &NetworkKind, &ImageKind, &ArtifactKind:
		return true
	}
	return false
}

// refDependencies are the other case files a case refers to, as podman's
// e2e test supplies them.
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
	}
	return nil
}

// compareWithReference returns "" when berth and the reference agree on
// the service of name (or both refuse it), else what differs.
func compareWithReference(t *testing.T, gen, dir, name string, user bool) string {
	args := []string{"-dryrun", "-no-kmsg-log"}
	if user {
		args = append(args, "-user")
	}
	cmd := exec.Command(gen, args...)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	refFailed := err != nil || strings.Contains(stderr.String(), "converting \""+name+"\"")
	ref := splitDryrun(string(out))

	units, diags := Load([]string{dir})
	stubMissingTables(t)
	res := Compile(units, Options{User: user})
	var mine *Service
	for _, s := range res.Services {
		if s.Source.Name == name {
			mine = s
		}
	}
	myErrs := append(diags, res.Diags...).Errors()
	svcName := res.Infos[name].ServiceFile()
	refSvc, refHas := ref[svcName]
	switch {
	case refFailed && !refHas:
		if mine != nil {
			return fmt.Sprintf("reference refuses %s (%s) but berth compiles it", name, strings.TrimSpace(stderr.String()))
		}
		return missingMessages(stderr.String(), name, fmt.Sprint(myErrs))
	case mine == nil:
		return fmt.Sprintf("berth refuses %s: %v", name, myErrs)
	}
	return diffUnits(refSvc, mine.File.Format())
}

// stubMissingTables gives kinds whose converter is not written yet an empty
// key table for the test, so that their units still lend their names to the
// unit under test.
func stubMissingTables(t *testing.T) {
	for _, k := range Kinds() {
		if k.keys == nil {
			k.keys = newTable(k.Group, nil)
			t.Cleanup(func() { k.keys = nil })
		}
	}
}

// missingMessages checks that berth reports podman's error text.
func missingMessages(stderr, name, mine string) string {
	prefix := "converting \"" + name + "\": "
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, prefix); i >= 0 {
			msg := line[i+len(prefix):]
			if !strings.Contains(mine, msg) {
				return fmt.Sprintf("berth does not report %q; it reports:\n%s", msg, mine)
			}
		}
	}
	return ""
}

// splitDryrun splits `quadlet -dryrun` output into services by name.
func splitDryrun(out string) map[string]string {
	res := map[string]string{}
	parts := strings.Split("\n"+out, "\n---")
	for _, p := range parts[1:] {
		header, body, _ := strings.Cut(p, "\n")
		res[strings.TrimSuffix(header, "---")] = body
	}
	return res
}

// diffUnits compares two services section by section, key by key.
func diffUnits(ref, mine string) string {
	rf, _ := unitfile.Parse("ref", []byte(ref))
	mf, _ := unitfile.Parse("berth", []byte(mine))
	var diffs []string
	names := append(rf.SectionNames(), mf.SectionNames()...)
	seen := map[string]bool{}
	for _, sec := range names {
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

func sameValue(key, a, b string) bool {
	if a == b {
		return true
	}
	if !strings.HasPrefix(key, "Exec") {
		return false
	}
	wa, err1 := unitfile.SplitArgs(a)
	wb, err2 := unitfile.SplitArgs(b)
	if err1 != nil || err2 != nil || len(wa) != len(wb) || len(wa) < 3 {
		return false
	}
	if wa[len(wa)-1] != wb[len(wb)-1] {
		return false
	}
	sa, sb := append([]string(nil), wa...), append([]string(nil), wb...)
	sort.Strings(sa)
	sort.Strings(sb)
	return strings.Join(sa, "\x00") == strings.Join(sb, "\x00")
}
