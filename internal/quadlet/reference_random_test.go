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
	gen := os.Getenv("BERTH_REF_QUADLET")
	if gen == "" {
		t.Skip("set BERTH_REF_QUADLET to compare with podman's generator")
	}
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
		key := keys[rng.IntN(len(keys))].Name
		val := refValues[rng.IntN(len(refValues))]
		if (val == "" || val == `""`) && emptyValueDiffers(k, key) {
			continue // a deliberate difference (see emptyFlagKeys)
		}
		fmt.Fprintf(&b, "%s=%s\n", key, val)
	}
	if rng.IntN(5) == 0 {
		b.WriteString("[Service]\n" + []string{"Restart=always", "Type=oneshot", "KillMode=process", "Environment=A=1"}[rng.IntN(4)] + "\n")
	}
	return b.String()
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
