package compose

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSourceAt: each line of a converted unit names the compose key, item
// and position it came from; lines berth adds itself say so (Unset) and
// point at their service.
func TestSourceAt(t *testing.T) {
	data, err := os.ReadFile("testdata/source-map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"compose.yaml": string(data), "key.txt": "k\n", "side.env": "X=1\n", "html/index.html": "x\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	units, _, err := ToUnits(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string][]string{}
	for _, u := range units {
		texts[u.Name] = strings.Split(u.File.Format(), "\n")
	}
	for _, c := range []struct {
		unit, line string // the unit line, by its text
		want       string // "line:col source", "unset" marks Unset
	}{
		{"smap-web.container", "Image=docker.io/library/nginx:1.27", "4:5 service web: image"},
		{"smap-web.container", "Environment=PLAIN=1", "6:9 service web: environment.0"},
		{"smap-web.container", "Secret=smap_web_api_token,type=env,target=API_TOKEN", "7:9 service web: environment.1"},
		{"smap-web.container", "Label=a.b=1", "9:7 service web: labels.a.b"},
		{"smap-web.container", "PublishPort=8080:80", "10:13 service web: ports.0"},
		{"smap-web.container", "PublishPort=8443:443", "10:24 service web: ports.1"},
		{"smap-web.container", "Volume=" + dir + "/html:/usr/share/nginx/html:ro", "12:9 service web: volumes.0"},
		{"smap-web.container", "Volume=smap-data.volume:/data", "13:9 service web: volumes.1"},
		{"smap-web.container", "Secret=smap_key,type=mount,target=/run/key", "17:9 service web: secrets.0"},
		{"smap-web.container", "Network=smap-back.network:alias=web,alias=www", "20:7 service web: networks.back"},
		{"smap-web.container", "Requires=smap-db.container", "23:7 service web: depends_on.db"},
		{"smap-web.container", "Ulimit=nofile=1024", "25:7 service web: ulimits.nofile"},
		{"smap-web.container", "SecurityLabelDisable=true", "26:20 service web: security_opt.0"},
		{"smap-web.container", "NoNewPrivileges=true", "26:37 service web: security_opt.1"},
		{"smap-web.container", "PodmanArgs=--tty", "27:5 service web: tty"},
		{"smap-web.container", "ContainerName=smap-web-1", "3:3 service web: container_name (not set) unset"},
		{"smap-web.container", "[Container]", "3:3 service web"},
		{"smap-web-2.container", "PublishPort=8443:443", "10:24 service web: ports.1"},
		{"smap-web-2.container", "Requires=smap-db.container", "23:7 service web: depends_on.db"},
		{"smap-db.container", "Memory=256m", "35:18 service db: deploy.resources.limits.memory"},
		{"smap-db.container", "PidsLimit=50", "35:32 service db: deploy.resources.limits.pids"},
		{"smap-db.container", "Notify=healthy", "31:5 service db: healthcheck"},
		{"smap-db.container", "Network=smap-default.network:alias=db", "29:3 service db: networks (not set) unset"},
		{"smap-side.container", "Network=smap-db.container", "38:5 service side: network_mode"},
		{"smap-side.container", "Requires=smap-db.container", "38:5 service side: network_mode"},
		{"smap-side.container", "EnvironmentFile=" + dir + "/side.env", "39:16 service side: env_file.0"},
		{"smap-data.volume", "Label=x=y", "42:14 volume data: labels.x"},
		{"smap-back.network", "Internal=true", "45:5 network back: internal"},
	} {
		lines := texts[c.unit]
		n := 0
		for i, l := range lines {
			if l == c.line {
				n = i + 1
				break
			}
		}
		if n == 0 {
			t.Errorf("%s has no line %q:\n%s", c.unit, c.line, strings.Join(lines, "\n"))
			continue
		}
		src := p.SourceAt(c.unit, lines, n)
		got := strings.Join([]string{strconv.Itoa(src.Pos.Line) + ":" + strconv.Itoa(src.Pos.Col), src.String()}, " ")
		if src.Unset {
			got += " unset"
		}
		if filepath.Base(src.Pos.File) != "compose.yaml" || got != c.want {
			t.Errorf("%s: %s\n got %s (%s)\nwant %s", c.unit, c.line, got, src.Pos.File, c.want)
		}
	}
	// Narrow finds what a line names below its key: an alias of a network.
	narrowed := 0
	for _, u := range []string{"smap-web.container", "smap-web-2.container"} {
		lines := texts[u]
		for i, l := range lines {
			if strings.HasPrefix(l, "Network=") {
				narrowed++
				src := p.Narrow(p.SourceAt(u, lines, i+1), "www")
				if got := strconv.Itoa(src.Pos.Line) + ":" + strconv.Itoa(src.Pos.Col) + " " + src.String(); got != "21:19 service web: networks.back.aliases.0" {
					t.Errorf("%s: alias www: got %s", u, got)
				}
				if again := p.Narrow(src, "nothing-names-this"); again != src {
					t.Errorf("narrowed by a name nothing has: %+v", again)
				}
			}
		}
	}
	if narrowed != 2 {
		t.Errorf("narrowed %d Network= lines, want 2", narrowed)
	}
	// Mention rewrites another generated unit's line in a message.
	web2, mentioned := texts["smap-web-2.container"], false
	for i, l := range web2 {
		if l == "PublishPort=8080:80" {
			mentioned = true
			msg := "port 8080 is already published by smap-web-2.container (smap-web-2.container:" + strconv.Itoa(i+1) + "); other.container:3 stays"
			lookup := func(u string) []string { return texts[u] }
			if got, want := p.Mention(msg, lookup), "port 8080 is already published by smap-web-2.container (compose.yaml:10:13); other.container:3 stays"; got != want {
				t.Errorf("Mention:\n got %s\nwant %s", got, want)
			}
		}
	}
	if !mentioned {
		t.Error("smap-web-2.container has no PublishPort=8080:80 to mention")
	}
	// Without a unit line, SourceOf names the compose key of a unit key.
	if src := p.SourceOf("smap-web.container", "Restart", "", 0, 0); src.String() != "service web: restart (not set)" || src.Pos.Line != 3 {
		t.Errorf("Restart of web: %+v", src)
	}
	if src := p.SourceOf("other-web.container", "Image", "x", 0, 1); src.Owner != "" {
		t.Errorf("a unit of another project has a source: %+v", src)
	}
}
