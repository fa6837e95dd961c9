package quadlet

import (
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
)

// TestRefusalsOnlyWhenStrict: the generator (Strict off) writes what
// podman's generator writes; compile, up, install and lint (Strict on)
// report the refusal at the line, and the valid neighbour stays clean.
func TestRefusalsOnlyWhenStrict(t *testing.T) {
	for _, c := range []struct {
		name, text, code string
		line             int
	}{
		{"x.container", "[Container]\nImage=a:1\nEnvironment=DISCOUNT=50%x\n", CodeSpecifier, 3},
		{"x.container", "[Container]\nImage=a:1\nEnvironment=DISCOUNT=50%%\nExec=echo 100%\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\nContainerName=my/web\n", CodeName, 3},
		{"x.container", "[Container]\nImage=a:1\nContainerName=web-%i\n", "", 0},
		{"x.network", "[Network]\nNetworkName=a b\n", CodeName, 2},
		{"x.container", "[Container]\nImage=a:1\nPod=p.pod\nHostName=h\n", CodePodOwned, 4},
		{"x.container", "[Container]\nImage=a:1\nPod=p.pod\nDNS=1.1.1.1\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\nAnnotation=k\n", CodeKeyValue, 3},
		{"x.container", "[Container]\nImage=a:1\nAnnotation=k=v\nEnvironment=A=\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\nSecret=s,type=env,uid=1\n", CodeSecret, 3},
		{"x.container", "[Container]\nImage=a:1\nSecret=s,type=env\n", "", 0},
		{"x.network", "[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.1.1\n", CodeAddress, 3},
		{"x.network", "[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.0.1\nIPRange=10.0.0.10-10.0.0.20\n", "", 0},
		{"x.kube", "[Kube]\nYaml=missing.yaml\n", CodeMissingFile, 2},
		{"@.container", "[Container]\nImage=a:1\n", CodeUnitName, 1},
		{"a@.container", "[Container]\nImage=a:1\n", "", 0},
	} {
		f, _ := unitfile.Parse("/s/"+c.name, []byte(c.text))
		units := []*Unit{{Name: c.name, Path: "/s/" + c.name, File: f}}
		units = append(units, &Unit{Name: "p.pod", Path: "/s/p.pod", File: mustParse(t, "[Pod]\n")})
		if d := Compile(units, Options{}).Diags.Errors(); len(d) != 0 {
			t.Errorf("%s %q: the generator reports %v", c.name, c.text, d)
		}
		errs := Compile(units, Options{Strict: true, HostFile: func(string) bool { return false }}).Diags.Errors()
		switch {
		case c.code == "" && len(errs) != 0:
			t.Errorf("%s %q: valid, got %v", c.name, c.text, errs)
		case c.code != "" && (len(errs) != 1 || errs[0].Code != c.code || errs[0].Pos.Line != c.line):
			t.Errorf("%s %q: got %v, want one %s at line %d", c.name, c.text, errs, c.code, c.line)
		}
	}
}

func mustParse(t *testing.T, text string) *unitfile.File {
	f, ds := unitfile.Parse("/s/p.pod", []byte(text))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return f
}
