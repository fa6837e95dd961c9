package version

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want V
		bad  bool
	}{
		{in: "4.3.1", want: V{4, 3, 1}},
		{in: "v5.8.2", want: V{5, 8, 2}},
		{in: " 5.8 ", want: V{5, 8, 0}},
		{in: "6.0.0-dev", want: V{6, 0, 0}},
		{in: "5.4.0+ds1", want: V{5, 4, 0}},
		{in: "4.9.3~rc1", want: V{4, 9, 3}},
		{in: "10.20.30 extra", want: V{10, 20, 30}},
		{in: "", bad: true},
		{in: "5", bad: true},
		{in: "5.", bad: true},
		{in: ".5", bad: true},
		{in: "5..1", bad: true},
		{in: "1.2.3.4", bad: true},
		{in: "a.b", bad: true},
		{in: "5.-1", bad: true},
		{in: "podman version 5.8.2", bad: true},
	} {
		got, err := Parse(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse("5.8.2") }); n != 0 {
		t.Errorf("Parse allocates %v times per call; the key tables parse hundreds at start-up", n)
	}
}
