package quadlet

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// refValues are the values random units assign: well-formed and malformed
// ones, quoting and escapes, specifiers and quadlet references, so that the
// two generators are compared where their readers are most likely to part.
var refValues = []string{
	"", "x", "quay.io/a", "a=b", "10", "0", "-1", "true", "false", "yes", "no", "/abs/path", "rel/path",
	"a b", `"a b"`, `"a\x20b"`, `a\ b`, `""`, `'q'`, `"open`, "%n", "%%", "%h/x", "1:2", ":::", "1-2", "a,b",
	"host", "none", "all", "always", "never", "keep-id", "10.0.0.1", "10.0.0.0/24", "fd00::1", "80:80",
	"80-90:80-90/udp", "/a:/b:ro", "5s", "1g", "SIGTERM", "/dev/null", "--flag", "x=y,z", "a=b c=d",
	"type=bind,src=/a,dst=/b", "data.volume:/d", "net.network", "p.pod", "i.image", "b.build",
}

// TestRandomUnitsMatchReference compiles random units of every type, built
// from berth's key tables and refValues, with berth and with the reference
// generator, as system and as user units. BERTH_REF_RANDOM sets how many
// (default 300) and BERTH_REF_SEED the seed, so a failure can be replayed.
func TestRandomUnitsMatchReference(t *testing.T) {
	gen := refGenerator(t)
	n := envInt(t, "BERTH_REF_RANDOM", 300)
	seed := uint64(envInt(t, "BERTH_REF_SEED", 1))
	rng := rand.New(rand.NewPCG(seed, 0))
	kinds := Kinds()
	for i := 0; i < n; i++ {
		k := kinds[rng.IntN(len(kinds))]
		name := fmt.Sprintf("r%d-%04d%s", seed, i, k.Ext)
		text := randomUnit(rng, k)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, user := range []bool{false, true} {
			for _, msg := range compareWithReference(gen, dir, []string{name}, user) {
				t.Errorf("seed %d, user=%v, unit:\n%s%s", seed, user, text, msg)
			}
		}
	}
}

// randomUnit assigns one to six random keys of k's table, after the key
// most units of the type need (which it leaves out one time in five).
func randomUnit(rng *rand.Rand, k *Kind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\n", k.Group)
	required := map[string]string{".container": "Image=quay.io/a", ".kube": "Yaml=/a.yml",
		".build": "ImageTag=localhost/b", ".image": "Image=quay.io/i", ".artifact": "Artifact=quay.io/art"}
	if r, ok := required[k.Ext]; ok && rng.IntN(5) > 0 {
		b.WriteString(r + "\n")
	}
	keys := k.keys.Keys
	for j := rng.IntN(6) + 1; j > 0; j-- {
		row := keys[rng.IntN(len(keys))]
		key := row.Name
		val := refValues[rng.IntN(len(refValues))]
		if (val == "" || val == `""`) && emptyValueDiffers(k, key) {
			continue // a deliberate difference (see emptyFlagKeys)
		}
		if newerThanReference(row) {
			continue // the reference refuses the key; berth compiles it for the CLI
		}
		fmt.Fprintf(&b, "%s=%s\n", key, val)
	}
	if rng.IntN(5) == 0 {
		b.WriteString("[Service]\n" + []string{"Restart=always", "Type=oneshot", "KillMode=process", "Environment=A=1"}[rng.IntN(4)] + "\n")
	}
	return b.String()
}

// newerThanReference reports a key the reference generator's quadlet does
// not know yet (UID= for podman 5.8): it refuses the unit, while berth,
// which compiles for podman's command line, does not.
func newerThanReference(k Key) bool {
	t := refTarget(os.Getenv("BERTH_REF_QUADLET"))
	return !t.IsZero() && t.Less(k.Since)
}

func emptyValueDiffers(k *Kind, key string) bool {
	for _, e := range emptyFlagKeys[k.Group] {
		if e == key {
			return true
		}
	}
	return false
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

// TestRandomStacksMatchReference compiles random stacks of several files
// that refer to each other (networks, volumes, images, builds, pods, kube,
// artifacts, templates and instances, drop-ins, [Unit] and [Install]
// references) with both generators. BERTH_REF_STACKS sets how many
// (default 100), BERTH_REF_SEED the seed.
func TestRandomStacksMatchReference(t *testing.T) {
	gen := refGenerator(t)
	n := envInt(t, "BERTH_REF_STACKS", 100)
	seed := uint64(envInt(t, "BERTH_REF_SEED", 1))
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < n; i++ {
		files := randomStack(rng)
		dir := t.TempDir()
		var names []string
		for _, f := range files {
			p := filepath.Join(dir, f.Name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(f.Text), 0o644); err != nil {
				t.Fatal(err)
			}
			if d := filepath.Dir(f.Name); IsQuadlet(f.Name) && !strings.HasSuffix(d, ".d") {
				names = append(names, filepath.Base(f.Name)) // units in subfolders too
			}
		}
		for _, user := range []bool{false, true} {
			for _, msg := range compareWithReference(gen, dir, names, user) {
				t.Errorf("seed %d, stack %d, user=%v: %s\nstack: %v", seed, i, user, msg, files)
			}
		}
	}
}

type stackFile struct{ Name, Text string }

// randomStack builds one stack: zero to two networks and volumes, maybe an
// image, a build, a pod, a kube unit and an artifact, and one to three
// containers (some templates or instances) using them.
func randomStack(rng *rand.Rand) []stackFile {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var files []stackFile
	add := func(name, text string) { files = append(files, stackFile{name, text}) }
	nets := make([]string, rng.IntN(3))
	for i := range nets {
		nets[i] = fmt.Sprintf("n%d", i)
		add(nets[i]+".network", "[Network]\n"+pick("", "NetworkName="+nets[i]+"-name\n", "ServiceName=netsvc-"+nets[i]+"\n", "Subnet=10.9.0.0/24\n"))
	}
	vols := make([]string, rng.IntN(3))
	image := rng.IntN(2) == 0
	for i := range vols {
		vols[i] = fmt.Sprintf("v%d", i)
		text := pick("", "VolumeName="+vols[i]+"-name\n", "ServiceName=volsvc-"+vols[i]+"\n", "Label=a=b\n")
		if image && rng.IntN(3) == 0 {
			text = "Driver=image\nImage=img.image\n"
		}
		add(vols[i]+".volume", "[Volume]\n"+text)
	}
	if image {
		add("img.image", "[Image]\nImage=quay.io/i\n"+pick("", "ImageTag=localhost/tagged\n", "ServiceName=imgsvc\n"))
	}
	firstNet := func(fallback string) string {
		if len(nets) > 0 {
			return nets[0] + ".network"
		}
		return fallback
	}
	build := rng.IntN(3) == 0
	if build {
		text := "[Build]\nImageTag=localhost/built\nFile=/srv/Containerfile\n" + pick("", "ServiceName=bsvc\n", "Network="+firstNet("host")+"\n")
		if len(vols) > 0 && rng.IntN(2) == 0 {
			text += "Volume=" + vols[0] + ".volume:/cache\n"
		}
		add("b.build", text)
	}
	pod := rng.IntN(5) < 2
	if pod {
		add("p.pod", "[Pod]\n"+pick("", "PodName=mypod\n", "ServiceName=podsvc\n", "Network="+firstNet("host")+"\n")+randomKeys(rng, &podKind, 2))
	}
	if rng.IntN(3) == 0 {
		add("k.kube", "[Kube]\nYaml=/srv/k.yml\n"+pick("", "Network="+firstNet("host")+"\n", "ServiceName=kubesvc\n", "PublishPort=8080:80\n"))
	}
	if rng.IntN(4) == 0 {
		add("art.artifact", "[Artifact]\nArtifact=quay.io/art:1\n"+pick("", "ServiceName=artsvc\n"))
		add("am.container", "[Container]\nImage=quay.io/a\nMount=type=artifact,source=art.artifact,destination=/art\n")
	}
	images := []string{"quay.io/a"}
	if image {
		images = append(images, "img.image")
	}
	if build {
		images = append(images, "b.build")
	}
	for c := 0; c < rng.IntN(3)+1; c++ {
		name := pick(fmt.Sprintf("c%d", c), fmt.Sprintf("t%d@", c), fmt.Sprintf("t%d@x", c))
		text := "[Container]\nImage=" + images[rng.IntN(len(images))] + "\n"
		for _, n := range nets {
			if rng.IntN(5) < 3 {
				text += "Network=" + n + ".network" + pick("", ":alias=a", ":ip=10.9.0.5") + "\n"
			}
		}
		for _, v := range vols {
			if rng.IntN(5) < 3 {
				text += pick("Volume="+v+".volume:/data", "Mount=type=volume,source="+v+".volume,destination=/m") + "\n"
			}
		}
		if pod && rng.IntN(2) == 0 {
			text += "Pod=p.pod\n"
		}
		text += randomKeys(rng, &containerKind, 2)
		if c > 0 && rng.IntN(2) == 0 {
			text += "[Unit]\n" + pick("Requires=c0.container", "After=c0.container\nWants=c0.container", "BindsTo=c0.container") + "\n"
		}
		if rng.IntN(3) == 0 {
			text += "[Install]\n" + pick("WantedBy=default.target", "Alias=al"+fmt.Sprint(c)+".service", "RequiredBy=multi-user.target\nDefaultInstance=z") + "\n"
		}
		add(name+".container", text)
		if rng.IntN(3) == 0 {
			add(name+".container.d/10.conf", pick("[Container]\nLabel=dropin=1\n", "[Service]\nRestart=always\n", "[Unit]\nDescription=from a drop-in\n"))
		}
	}
	if rng.IntN(5) == 0 {
		add("container.d/05.conf", "[Container]\nLabel=type=1\n")
	}
	if rng.IntN(4) == 0 { // a dashed name, its truncated drop-in folder, a unit in a subfolder
		add("web-api.container", "[Container]\nImage=quay.io/w\n"+pick("", "[Unit]\nRequires=c0.container\n", "[Unit]\nWants="+firstNet("x.network")+"\n"))
		add("web-.container.d/10.conf", pick("[Container]\nLabel=prefix=1\n", "[Service]\nRestart=on-failure\n"))
		add("sub/s.container", "[Container]\nImage=quay.io/s\n"+randomKeys(rng, &containerKind, 1))
	}
	if pod && rng.IntN(3) == 0 {
		add("pw.container", "[Unit]\n"+pick("Requires=p.pod", "After=p.pod\nWants=p.pod", "BindsTo=p.pod")+"\n[Container]\nImage=quay.io/pw\n")
	}
	return files
}

// randomKeys assigns up to max random keys of k's table.
func randomKeys(rng *rand.Rand, k *Kind, max int) string {
	var b strings.Builder
	for j := rng.IntN(max + 1); j > 0; j-- {
		row := k.keys.Keys[rng.IntN(len(k.keys.Keys))]
		key := row.Name
		if val := refValues[rng.IntN(len(refValues))]; !((val == "" || val == `""`) && emptyValueDiffers(k, key)) && !newerThanReference(row) {
			b.WriteString(key + "=" + val + "\n")
		}
	}
	return b.String()
}
