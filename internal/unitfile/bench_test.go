package unitfile

import (
	"fmt"
	"testing"
)

// BenchmarkParse parses 1000 .container files like those of generate's
// BenchmarkGenerate1000, and clones them as the compiler does.
func BenchmarkParse(b *testing.B) {
	texts := make([][]byte, 1000)
	for i := range texts {
		texts[i] = []byte(fmt.Sprintf(`[Unit]
Description=benchmark container %[1]d

[Container]
Image=quay.io/example/app:%[1]d
Network=net%[2]d.network
Volume=vol%[2]d.volume:/data:Z
PublishPort=%[3]d:80
Environment=ID=%[1]d MODE=bench
Label=app=bench
Exec=serve --port 80

[Service]
Restart=always

[Install]
WantedBy=default.target
`, i, i%10, 10000+i))
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
