// Package benchdata holds the one definition of the inputs of berth's
// compiler benchmarks: the stack issue 2 measures berth against podman's own
// generator with (1000 .container, 10 .network, 10 .volume files).
package benchdata

import "fmt"

// File is one quadlet file of the benchmark stack.
type File struct {
	Name string
	Text string
}

// Stack returns the 1020 files: networks and volumes first, then the
// containers, each using one of each.
func Stack() []File {
	files := make([]File, 0, 1020)
	for i := 0; i < 10; i++ {
		files = append(files,
			File{fmt.Sprintf("net%d.network", i), fmt.Sprintf("[Network]\nSubnet=10.%d.0.0/24\nLabel=bench=yes\n", i)},
			File{fmt.Sprintf("vol%d.volume", i), "[Volume]\nLabel=bench=yes\n"})
	}
	for i := 0; i < 1000; i++ {
		files = append(files, File{fmt.Sprintf("app%04d.container", i), Container(i)})
	}
	return files
}

// Container is the i-th container of the stack.
func Container(i int) string {
	return fmt.Sprintf(`[Unit]
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
`, i, i%10, 10000+i)
}
