package unitfile

import (
	"github.com/berth-dev/berth/internal/testutil/benchdata"
	"testing"
)

// BenchmarkParse parses 1000 .container files like those of generate's
// BenchmarkGenerate1000, and clones them as the compiler does.
func BenchmarkParse(b *testing.B) {
	texts := make([][]byte, 1000)
	for i := range texts {
		texts[i] = []byte(benchdata.Container(i))
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, t := range texts {
				if _, diags := Parse("/bench/app.container", t); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		}
	})
	b.Run("clone", func(b *testing.B) {
		files := make([]*File, len(texts))
		for i, t := range texts {
			files[i], _ = Parse("/bench/app.container", t)
		}
		b.ReportAllocs()
		for b.Loop() {
			for _, f := range files {
				_ = f.Clone()
			}
		}
	})
}
