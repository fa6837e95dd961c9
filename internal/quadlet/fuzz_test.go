package quadlet

import (
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// FuzzCompile feeds arbitrary text to the compiler as every unit type, for
// the newest podman and for 4.3.1: whatever the input, it must not panic, and
// every diagnostic must name the file.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		"[Container]\nImage=x\nNetwork=n.network\nVolume=v.volume:/d\nPod=p.pod\n",
		"[Container]\nImage=b.build\nNotify=healthy\nHealthCmd=true\nRemapUsers=keep-id\nRemapUid=1\n",
		"[Volume]\nDriver=image\nImage=i.image\n[Service]\nUser=x\n",
		"[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.0.1\nGateway=10.0.1.1\n",
		"[Build]\nImageTag=t\nSetWorkingDirectory=unit\nFile=./C\n",
		"[Kube]\nYaml=a.yml\nSetWorkingDirectory=yaml\nPublishPort=1:1\n",
		"[Pod]\nPodName=p\nNetwork=n.network\n[Unit]\nRequires=c.container\n",
		"[Container]\nMount=type=volume,src=v.volume,dst=/x\nMount=\"type=bind,source=\"\n",
		"[Image]\nImage=x\n[Quadlet]\nDefaultDependencies=no\n",
		"[Artifact]\nArtifact=a\n",
		"[Container]\nImage=x\nPod=p.pod\nHostName=h\nSecret=s,type=env,mode=1\nVolume=/a:/b:ro,rw\nEnvironment=A=%x\n",
		"[Network]\nSubnet=fd00::/64\nIPRange=fd00::1-fd00::9\n[Unit]\nAfter=c.container\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	names := []string{"c.container", "v.volume", "n.network", "b.build", "k.kube", "p.pod", "i.image", "a.artifact", "t@.container"}
	f.Fuzz(func(t *testing.T, text string) {
		var units []*Unit
		for _, name := range names {
			file, _ := unitfile.Parse(name, []byte(text))
			units = append(units, &Unit{Name: name, File: file})
		}
		for i, target := range []version.V{{}, version.Must("4.3.1")} {
			// Strict (compile, up, lint) on one target, the generator's reading on the other.
			res := Compile(units, Options{Target: target, User: target.IsZero(), Strict: i == 0, HostFile: func(string) bool { return false }})
			for _, d := range res.Diags {
				if d.Pos.File == "" {
					t.Fatalf("diagnostic without a file: %v", d)
				}
			}
			for _, s := range res.Services {
				_ = s.File.Format()
			}
		}
	})
}
