package kube

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// FuzzExport exports a stack of a random .container beside a .volume, a
// .pod and a .network: whatever the unit says, Export never panics, and what
// it writes reads back as YAML.
func FuzzExport(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/cases/*/*.container")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[Container]\nImage=x\nPublishPort=1-40:1-40\nVolume=::\nMount=type=bind\nHealthCmd=[\n"))
	f.Add([]byte("[Container]\nImage=x\nPod=p.pod\nMemory=12q\nHealthInterval=x\nUser=a:b\nSecret=,type=env\n"))
	others := map[string]string{
		"v.volume":  "[Volume]\nLabel=io.berth.kube.size=zz\n",
		"p.pod":     "[Pod]\nPublishPort=80\n",
		"n.network": "[Network]\nInternal=true\n",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var units []*quadlet.Unit
		for name, text := range others {
			uf, _ := unitfile.Parse(name, []byte(text))
			units = append(units, &quadlet.Unit{Name: name, File: uf})
		}
		uf, _ := unitfile.Parse("a.container", data)
		if uf == nil {
			return
		}
		units = append(units, &quadlet.Unit{Name: "a.container", File: uf})
		res, err := Export(units, Options{Project: "fuzz", Dir: t.TempDir()})
		if err != nil {
			return
		}
		out, err := YAML(res.Objects)
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		var v any
		if err := yaml.Unmarshal(out, &v); err != nil {
			t.Fatalf("the output does not read back: %v\n%s", err, out)
		}
	})
}
