package quadlet

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// User services wait on podman-user-wait-network-online.service, which
// podman ships from 5.3 on: for an older target berth supplies it.
func TestSupportFor(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		user   bool
		target string
		want   bool
	}{
		{"user, podman 4.3.1", "[Container]\nImage=quay.io/a\n", true, "4.3.1", true},
		{"user, podman 5.2.0", "[Container]\nImage=quay.io/a\n", true, "5.2.0", true},
		{"user, podman 5.3.0 ships it", "[Container]\nImage=quay.io/a\n", true, "5.3.0", false},
		{"user, newest podman", "[Container]\nImage=quay.io/a\n", true, "", false},
		{"system services wait on network-online.target", "[Container]\nImage=quay.io/a\n", false, "4.3.1", false},
		{"no default dependencies", "[Container]\nImage=quay.io/a\n[Quadlet]\nDefaultDependencies=false\n", true, "4.3.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, diags := unitfile.Parse("/q/a.container", []byte(tc.text))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			opts := Options{User: tc.user}
			if tc.target != "" {
				opts.Target = version.Must(tc.target)
			}
			res := Compile([]*Unit{{Name: "a.container", Path: "/q/a.container", File: f}}, opts)
			if res.Diags.HasErrors() {
				t.Fatal(res.Diags)
			}
			got := SupportFor(res.Services, opts)
			if (len(got) == 1) != tc.want || len(got) > 1 {
				t.Fatalf("support units %v, want one: %v", got, tc.want)
			}
			if tc.want && (got[0].Name != UserWaitNetworkOnline || !strings.Contains(got[0].Text, "systemctl is-active --quiet network-online.target")) {
				t.Errorf("support unit %s:\n%s", got[0].Name, got[0].Text)
			}
		})
	}
}
