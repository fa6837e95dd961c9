package quadlet

import (
	"github.com/berth-dev/berth/internal/testutil/benchdata"
	"github.com/berth-dev/berth/internal/version"
	"testing"

	"github.com/berth-dev/berth/internal/unitfile"
)

// benchUnits parses, in memory, the 1000 .container, 10 .network and 10
// .volume files of generate's BenchmarkGenerate1000 (and of the side-by-side
// benchmark against podman), so that BenchmarkCompile times the compiler
// alone: no file system, no output.
func benchUnits(tb testing.TB) []*Unit {
	tb.Helper()
	var units []*Unit
	add := func(name, text string) {
		f, diags := unitfile.Parse("/bench/"+name, []byte(text))
		if diags.HasErrors() {
			tb.Fatal(diags)
		}
		units = append(units, &Unit{Name: name, Path: "/bench/" + name, File: f})
	}
	for _, f := range benchdata.Stack() {
		add(f.Name, f.Text)
	}
	return units
}

// BenchmarkCompile compiles the 1020 units on one goroutine; "format" times
// turning each service into text, which generate does after compiling.
func BenchmarkCompile(b *testing.B) {
	units := benchUnits(b)
	opts := Options{Target: version.Latest}
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res := Compile(units, opts); len(res.Services) != len(units) {
				b.Fatalf("%d services for %d units: %v", len(res.Services), len(units), res.Diags)
			}
		}
	})
	b.Run("format", func(b *testing.B) {
		res := Compile(units, opts)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range res.Services {
				_ = s.File.Format()
			}
		}
	})
}
