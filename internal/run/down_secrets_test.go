package run

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

// TestDownSecrets: the podman secrets berth created for the project
// (labelled io.berth.project=proj) are kept by down and removed by down
// --volumes; others' secrets and external ones are left alone.
func TestDownSecrets(t *testing.T) {
	for _, volumes := range []bool{false, true} {
		stub := &podman.Stub{}
		stub.On("podman secret ls", 0, "id1\nid2\nid3\n")
		stub.On("podman secret inspect id1 id2 id3", 0, `[
 {"ID":"id1","Spec":{"Name":"proj_db_password","Labels":{"io.berth.project":"proj","io.berth.secret-digest":"x"}}},
 {"ID":"id2","Spec":{"Name":"other_token","Labels":{"io.berth.project":"other"}}},
 {"ID":"id3","Spec":{"Name":"external_key","Labels":{}}}
]`)
		st := testStack(t, map[string]string{"web.container": "[Container]\nImage=localhost/web\n"})
		p := &Project{Stack: st, Exec: testExecutor(t, stub), Podman: &podman.Client{Runner: stub}, Store: Store{Dir: t.TempDir()}}
		if err := p.Down(context.Background(), volumes); err != nil {
			t.Fatal(err)
		}
		var removed []string
		for _, c := range stub.Commands() {
			if rest, ok := strings.CutPrefix(c, "podman secret rm "); ok {
				removed = append(removed, rest)
			}
		}
		want := ""
		if volumes {
			want = "proj_db_password"
		}
		if strings.Join(removed, " ") != want {
			t.Errorf("down volumes=%v removed secrets %q, want %q\n%q", volumes, removed, want, stub.Commands())
		}
	}
}
