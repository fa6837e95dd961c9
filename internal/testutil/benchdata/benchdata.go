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
func Stack() []File { return StackN(1000) }

// StackN is the stack scaled to n containers, with one network and one
// volume per hundred containers (at least one of each): the growth
// benchmark's 100, 1,000 and 10,000.
func StackN(n int) []File {
	shared := max(1, (n+99)/100)
	files := make([]File, 0, n+2*shared)
	for i := 0; i < shared; i++ {
		subnet := fmt.Sprintf("10.%d.0.0/24", i)
		if i > 255 {
			subnet = fmt.Sprintf("11.%d.%d.0/24", i/256, i%256)
		}
		files = append(files,
			File{fmt.Sprintf("net%d.network", i), fmt.Sprintf("[Network]\nSubnet=%s\nLabel=bench=yes\n", subnet)},
			File{fmt.Sprintf("vol%d.volume", i), "[Volume]\nLabel=bench=yes\n"})
	}
	for i := 0; i < n; i++ {
		files = append(files, File{fmt.Sprintf("app%04d.container", i), container(i, shared)})
	}
	return files
}

// Container is the i-th container of the stack.
func Container(i int) string { return container(i, 10) }

// container is the i-th container of a stack with shared networks and volumes.
func container(i, shared int) string {
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
`, i, i%shared, 10000+i%50000)
}
