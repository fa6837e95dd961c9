package lint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// secretNameRe matches variable names that hold credentials.
var secretNameRe = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|CREDENTIAL|_KEY$|^KEY$|APIKEY|API_KEY|PRIVATE_KEY|ACCESS_KEY)`)

// placeholders are example values that end up in production, the seed's
// own default password among them: flagged whatever the variable's name.
var placeholders = []string{"your-secure-password-here", "your-password", "your-password-here", "changeme",
	"change-me", "sk-your-key-here", "passw0rd", "letmein"}

// weakPasswords are flagged in variables whose name says they are secrets.
var weakPasswords = []string{"password", "secret", "admin", "root", "postgres", "mysql", "example", "123456", "test"}

var urlCredsRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]+:[^/@\s]+@`)

func checkSecrets(s *Stack) diag.List {
	var out diag.List
	for _, f := range s.keyWords("Environment", ".container", ".pod", ".build") {
		name, val, ok := strings.Cut(f.word, "=")
		if !ok || val == "" || strings.HasSuffix(strings.ToUpper(name), "_FILE") {
			continue
		}
		if why := secretReason(name, val); why != "" {
			out = append(out, find(s.valuePos(f.e.l), secretHint(name),
				"%s in plain text: %s", name, why))
		}
	}
	return out
}

func secretReason(name, val string) string {
	switch {
	case containsFold(placeholders, val) || secretNameRe.MatchString(name) && containsFold(weakPasswords, val):
		return "the value is a well-known default password"
	case urlCredsRe.MatchString(val):
		return "the URL carries a password"
	case secretNameRe.MatchString(name) && !strings.HasPrefix(val, "%") && !strings.HasPrefix(val, "$"):
		return "the name says it is a secret, and Environment= values are visible in the unit, podman inspect and /proc"
	}
	return ""
}

func secretHint(name string) string {
	secret := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return fmt.Sprintf("store it as a podman secret (printf %%s 'VALUE' | podman secret create %s -) and write Secret=%s,type=env,target=%s instead",
		secret, secret, name)
}

// dbPorts are the container ports of common databases and caches.
var dbPorts = map[int]string{5432: "PostgreSQL", 3306: "MySQL/MariaDB", 27017: "MongoDB", 6379: "Redis",
	9200: "Elasticsearch", 5984: "CouchDB", 11211: "Memcached", 1433: "SQL Server", 1521: "Oracle",
	26257: "CockroachDB", 9042: "Cassandra", 8086: "InfluxDB", 7687: "Neo4j", 5672: "RabbitMQ"}

func checkDBExposed(s *Stack) diag.List {
	var out diag.List
	for _, pub := range s.publications() {
		if !pub.p.AllInterfaces() {
			continue
		}
		for port := pub.p.CtrLo; port <= pub.p.CtrHi && port-pub.p.CtrLo < 1024; port++ {
			db, ok := dbPorts[port]
			if !ok {
				continue
			}
			host := pub.p.HostLo + port - pub.p.CtrLo
			if pub.p.HostLo == 0 {
				host = port
			}
			out = append(out, find(s.valuePos(pub.l),
				fmt.Sprintf("publish on loopback only (PublishPort=127.0.0.1:%d:%d), or not at all: containers on the same network reach it by name", host, port),
				"%s port %d is published on all interfaces", db, port))
			break
		}
	}
	return out
}

func checkPrivileged(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"PodmanArgs"}, ".container", ".pod", ".kube") {
		words, _ := unitfile.SplitArgs(e.l.Value)
		for _, w := range words {
			if (w == "--privileged" || w == "--privileged=true") && !s.explained(e.l) {
				out = append(out, find(e.l.Pos(), justifyHint, "PodmanArgs=--privileged gives the container every capability and device of the host"))
			}
		}
	}
	for _, e := range s.keyLines([]string{"SecurityLabelDisable"}, ".container") {
		if b, _ := unitfile.ParseBool(value(e.l)); b && !s.explained(e.l) {
			out = append(out, find(e.l.Pos(), justifyHint, "SecurityLabelDisable=true turns off SELinux separation for this container"))
		}
	}
	return out
}

const justifyHint = "if it is needed, say why in a comment on the line above; otherwise add only the capability or label it needs"

// explained reports whether the line above l is a comment (other than a
// berth:ignore directive).
func (s *Stack) explained(l *unitfile.Line) bool {
	above := strings.TrimSpace(s.rawLine(l.Pos().File, l.Pos().Line-1))
	return (strings.HasPrefix(above, "#") || strings.HasPrefix(above, ";")) && !ignoreRe.MatchString(above)
}

// imageLines are the Image= values naming registry images.
func (s *Stack) imageLines() []entry {
	var out []entry
	for _, e := range s.keyLines([]string{"Image"}, ".container", ".volume", ".image") {
		v := value(e.l)
		if strings.HasSuffix(v, ".build") || strings.HasSuffix(v, ".image") || isImageID(v) || hasSpecifier(v) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// imageTag returns the tag and whether the reference has a digest.
func imageTag(ref string) (tag string, digest bool) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		return "", true
	}
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		return last[i+1:], false
	}
	return "", false
}

func isImageID(v string) bool {
	if strings.HasPrefix(v, "sha256:") {
		return true
	}
	if len(v) != 64 {
		return false
	}
	return strings.Trim(strings.ToLower(v), "0123456789abcdef") == ""
}

func checkUntagged(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.imageLines() {
		if tag, digest := imageTag(value(e.l)); tag == "" && !digest {
			out = append(out, find(s.valuePos(e.l), fmt.Sprintf("pin a version: Image=%s:<version>, or a digest @sha256:...", short(value(e.l))),
				"image %s has no tag or digest: it runs whatever :latest is when it is pulled", short(value(e.l))))
		}
	}
	return out
}

func checkLatest(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.imageLines() {
		if e.u.Kind.Ext != ".container" || strings.HasPrefix(value(e.l), "localhost/") {
			continue
		}
		tag, _ := imageTag(value(e.l))
		if au, _ := e.u.File.Lookup("Container", "AutoUpdate"); tag == "latest" && au != "registry" {
			out = append(out, find(s.valuePos(e.l), "pin a version tag, or add AutoUpdate=registry and enable podman-auto-update.timer",
				"image %s uses :latest without AutoUpdate=registry: it is never refreshed, and a re-pull changes it silently", short(value(e.l))))
		}
	}
	return out
}
