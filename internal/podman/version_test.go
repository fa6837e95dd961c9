package podman

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/internal/version"
)

func TestBinaryVersion(t *testing.T) {
	tests := []struct {
		stdout string
		code   int
		want   version.V
		err    bool
	}{
		{"podman version 4.3.1\n", 0, version.Must("4.3.1"), false},
		{"podman version 5.2.0\n", 0, version.Must("5.2.0"), false},
		{"", 0, version.V{}, true},
		{"podman version nonsense\n", 0, version.V{}, true},
		{"", 127, version.V{}, true},
	}
	for _, tc := range tests {
		stub := (&Stub{}).On("podman --version", tc.code, tc.stdout)
		got, err := (&Client{Runner: stub}).BinaryVersion(context.Background())
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("podman --version printing %q (exit %d): %v, %v; want %v, error %v", tc.stdout, tc.code, got, err, tc.want, tc.err)
		}
	}
}

func TestParseVersionLine(t *testing.T) {
	if v, err := ParseVersionLine("podman version 4.3.1\n"); err != nil || v != version.Must("4.3.1") {
		t.Errorf("%v, %v", v, err)
	}
}
