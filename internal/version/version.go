// Package version parses and compares podman versions ("4.3.1", "5.8.0-dev").
package version

import (
	"fmt"
	"strconv"
	"strings"
)

// V is a podman release version. The zero value means "unknown".
type V struct{ Major, Minor, Patch int }

// Latest is the newest podman release berth knows the quadlet keys and flags of.
var Latest = V{5, 8, 2}

// Main is podman's main branch, 6.0 in the making: the newest target whose
// quadlet keys and behaviour berth knows (`--podman-version 6.0.0`).
var Main = V{6, 0, 0}

// Must parses s or panics; for constant tables only.
func Must(s string) V {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Parse reads "X.Y[.Z]" with an optional "v" prefix and any suffix after "-" or "+".
// It does not allocate for a valid version: the key tables parse a few
// hundred at every start of the generator.
func Parse(s string) (V, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+~ "); i >= 0 {
		s = s[:i]
	}
	var n [3]int
	parts := 0
	for rest := s; ; parts++ {
		field, tail, more := strings.Cut(rest, ".")
		if parts == len(n) {
			return V{}, invalid(orig)
		}
		x, err := strconv.Atoi(field)
		if err != nil || x < 0 {
			return V{}, invalid(orig)
		}
		n[parts] = x
		if !more {
			break
		}
		rest = tail
	}
	if parts < 1 {
		return V{}, invalid(orig)
	}
	return V{n[0], n[1], n[2]}, nil
}

func invalid(s string) error {
	return fmt.Errorf("invalid podman version %q: want MAJOR.MINOR[.PATCH], e.g. 4.3.1", s)
}

func (v V) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// IsZero reports whether v is unknown.
func (v V) IsZero() bool { return v == V{} }

// Compare returns -1, 0 or 1.
func (v V) Compare(o V) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// Less reports whether v is older than o.
func (v V) Less(o V) bool { return v.Compare(o) < 0 }

// AtLeast reports whether v is o or newer. An unknown v counts as Latest.
func (v V) AtLeast(o V) bool {
	if v.IsZero() {
		v = Latest
	}
	return v.Compare(o) >= 0
}
