package quadlet

import (
	"strings"
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
		{"x.container", "[Container]\nImage=a:1\nVolume=/a:/b:ro,bogus\n", CodeVolume, 3},
		{"x.container", "[Container]\nImage=a:1\nPublishPort=localhost:8080:80\n", "invalid-port", 3},
		{"x.pod", "[Pod]\nPublishPort=127.0.0.1:99999:80\n", "invalid-port", 2},
		{"x.container", "[Container]\nImage=a:1\nPublishPort=[::1]:8080:80/udp\nPublishPort=8000-8001:80-81\nPublishPort=80\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\nVolume=/a:/b:ro,rw\n", CodeVolume, 3},
		{"x.container", "[Container]\nImage=a:1\nVolume=/a:/b:ro,Z,U,rshared,idmap=uids=0-1-2\nVolume=/c:/d\nVolume=/e\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\n[Service]\nTimeoutStartSec=forever-ish\n", "invalid-duration", 4},
		{"x.container", "[Container]\nImage=a:1\n[Service]\nTimeoutStartSec=1min 30s\nRestart=on-failure\n", "", 0},
		{"x.container", "[Container]\nImage=a:1\n[Service]\nRestart=sometimes\n", "invalid-enum", 4},
		{"x.container", "[Unit]\nAfter=p.pod\n[Container]\nImage=a:1\nPod=p.pod\n", "", 0},
	} {
		f, _ := unitfile.Parse("/s/"+c.name, []byte(c.text))
		units := []*Unit{{Name: c.name, Path: "/s/" + c.name, File: f}}
		units = append(units, &Unit{Name: "p.pod", Path: "/s/p.pod", File: mustParse(t, "/s/p.pod", "[Pod]\n")})
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

func mustParse(t *testing.T, path, text string) *unitfile.File {
	f, ds := unitfile.Parse(path, []byte(text))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return f
}

func TestOrderingCycle(t *testing.T) {
	a := &Unit{Name: "a.container", Path: "/s/a.container", File: mustParse(t, "/s/a.container", "[Unit]\nRequires=b.container\nAfter=b.container\n[Container]\nImage=a:1\n")}
	b := &Unit{Name: "b.container", Path: "/s/b.container", File: mustParse(t, "/s/b.container", "[Container]\nImage=a:1\nNetwork=n.network\n")}
	n := &Unit{Name: "n.network", Path: "/s/n.network", File: mustParse(t, "/s/n.network", "[Unit]\nAfter=a.container\n[Network]\n")}
	if d := Compile([]*Unit{a, b, n}, Options{}).Diags; len(d) != 0 {
		t.Errorf("the generator reports %v", d)
	}
	d := Compile([]*Unit{a, b, n}, Options{Strict: true}).Diags
	want := "/s/a.container:2: error: [dependency-cycle] dependency cycle: a.container -> b.container -> n.network -> a.container"
	if len(d) != 1 || !strings.HasPrefix(d[0].String(), want) {
		t.Errorf("got %v\nwant %s", d, want)
	}
}
