package unitexec

import "testing"

// TestEscapeRoundTrips: what Escape protects comes out of systemd's two
// expansions, specifiers when the unit loads and then $VAR substitution
// when the line runs, as it went in.
func TestEscapeRoundTrips(t *testing.T) {
	u, h := ParseUnitName("web.service"), testHost()
	var env Env
	env.Set("HOME", "/root")
	for _, in := range []string{"", "plain", "100%", "%n", "$HOME", "${HOME}", "a%%b$$c", "%$", "$%n"} {
		loaded, err := Expand(EscapeAll([]string{in})[0], u, h)
		if err != nil {
			t.Fatalf("Expand(Escape(%q)): %v", in, err)
		}
		if got := SubstituteArgs([]string{loaded}, env); len(got) != 1 || got[0] != in {
			t.Errorf("SubstituteArgs(Expand(Escape(%q))) = %q", in, got)
		}
	}
}
