package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/version"
)

// lspCase is one rule of quadlet-lsp (onlyati/quadlet-lsp, internal/syntax/
// qsrNNN.go) with an input that triggers it. refuses says podman or systemd
// refuse or break the unit (then berth must report an error); otherwise it
// is a matter of style and berth gives a warning or a note, or nothing where
// the input is valid (code ""). docs/lint-rules.md has the table and why.
type lspCase struct {
	qsr     string
	files   map[string]string // the stack; "ok.*" files must stay clean
	file    string            // where the finding is expected
	line    int
	code    string // "" when berth deliberately reports nothing
	sev     diag.Severity
	refuses bool
	target  string // podman version, default 5.8.0
}

const img = "Image=docker.io/library/alpine:3.20\n"

var lspCases = []lspCase{
	{qsr: "QSR001", files: map[string]string{"x.container": "Image=x\n", "ok.container": "[Container]\n" + img},
		file: "x.container", line: 1, code: "no-section", sev: diag.Error, refuses: true},
	{qsr: "QSR001", files: map[string]string{"x.volume": "# no section\n", "ok.volume": "[Volume]\n"},
		file: "x.volume", line: 1, code: "volume-no-section", sev: diag.Note},
	{qsr: "QSR002", files: map[string]string{"ok.container": "[Container]\n" + img + "Environment=\nLabel=\n"}},
	{qsr: "QSR003", files: map[string]string{"x.container": "[Container]\n" + img + "Enviroment=A=1\n", "ok.container": "[Container]\n" + img},
		file: "x.container", line: 3, code: "unknown-key", sev: diag.Error, refuses: true},
	{qsr: "QSR004", files: map[string]string{"x.container": "[Container]\nImage=alpine:3.20\n", "ok.container": "[Container]\n" + img},
		file: "x.container", line: 2, code: "short-name", sev: diag.Warning},
	{qsr: "QSR005", files: map[string]string{"x.container": "[Container]\n" + img + "AutoUpdate=yes\n", "ok.container": "[Container]\n" + img + "AutoUpdate=registry\n"},
		file: "x.container", line: 3, code: "invalid-enum", sev: diag.Error, refuses: true},
	{qsr: "QSR006", files: map[string]string{"x.container": "[Container]\nImage=app.build\n", "ok.container": "[Container]\nImage=web.image\n", "web.image": "[Image]\n" + img},
		file: "x.container", line: 2, code: "missing-ref", sev: diag.Error, refuses: true},
	{qsr: "QSR007", files: map[string]string{"x.container": "[Container]\n" + img + "Environment==x\n", "ok.container": "[Container]\n" + img + "Environment=A=1 \"B=two words\" C\n"},
		file: "x.container", line: 3, code: "bad-key-value", sev: diag.Error, refuses: true},
	{qsr: "QSR007", files: map[string]string{"x.container": "[Container]\n" + img + "Environment=1X=2\n", "ok.container": "[Container]\n" + img + "Environment=X1=2\n"},
		file: "x.container", line: 3, code: "env-name", sev: diag.Warning},
	{qsr: "QSR008", files: map[string]string{"x.container": "[Container]\n" + img + "Annotation=a.b\n", "ok.container": "[Container]\n" + img + "Annotation=a.b=1\n"},
		file: "x.container", line: 3, code: "bad-key-value", sev: diag.Error, refuses: true},
	{qsr: "QSR009", files: map[string]string{"x.container": "[Container]\n" + img + "Label=traefik.enable\n", "ok.container": "[Container]\n" + img + "Label=traefik.enable=true\n"},
		file: "x.container", line: 3, code: "label-no-value", sev: diag.Warning},
	{qsr: "QSR010", files: map[string]string{"x.container": "[Container]\n" + img + "PublishPort=80:80/http\n", "ok.container": "[Container]\n" + img + "PublishPort=[::]:3000:3000/tcp\n"},
		file: "x.container", line: 3, code: "invalid-port", sev: diag.Error, refuses: true},
	// QSR011 needs the image (its EXPOSE list): podman accepts any port.
	{qsr: "QSR011", files: map[string]string{"ok.container": "[Container]\n" + img + "PublishPort=127.0.0.1:8080:8080\n"}},
	{qsr: "QSR012", files: map[string]string{"x.container": "[Container]\n" + img + "Secret=s,type=env,mode=0400\n", "ok.container": "[Container]\n" + img + "Secret=s,type=env,target=S\n"},
		file: "x.container", line: 3, code: "bad-secret", sev: diag.Error, refuses: true},
	{qsr: "QSR013", files: map[string]string{"x.container": "[Container]\n" + img + "Volume=data.volume:/data\n", "ok.container": "[Container]\n" + img + "Volume=ok.volume:/data\n", "ok.volume": "[Volume]\n"},
		file: "x.container", line: 3, code: "missing-ref", sev: diag.Error, refuses: true},
	{qsr: "QSR014", files: map[string]string{"x.container": "[Container]\n" + img + "Network=front.network\n", "ok.container": "[Container]\n" + img + "Network=ok.network\n", "ok.network": "[Network]\n"},
		file: "x.container", line: 3, code: "missing-ref", sev: diag.Error, refuses: true},
	{qsr: "QSR015", files: map[string]string{"x.container": "[Container]\n" + img + "Volume=/srv:/srv:ro,bogus\n", "ok.container": "[Container]\n" + img + "Volume=/srv:/srv:ro,Z\n"},
		file: "x.container", line: 3, code: "bad-volume", sev: diag.Error, refuses: true},
	{qsr: "QSR016", files: map[string]string{"x.container": "[Container]\n" + img + "UserNS=keepid\n", "ok.container": "[Container]\n" + img + "UserNS=keep-id:uid=1000\n"},
		file: "x.container", line: 3, code: "invalid-enum", sev: diag.Error, refuses: true},
	{qsr: "QSR017", files: map[string]string{"x.container": "[Container]\n" + img + "Pod=app.pod\n", "ok.container": "[Container]\n" + img + "Pod=ok.pod\n", "ok.pod": "[Pod]\n"},
		file: "x.container", line: 3, code: "missing-ref", sev: diag.Error, refuses: true},
	{qsr: "QSR018", files: map[string]string{"x.container": "[Container]\n" + img + "Pod=ok.pod\nPublishPort=8080:80\n", "ok.pod": "[Pod]\nPublishPort=8081:80\n"},
		file: "x.container", line: 4, code: "port-in-pod", sev: diag.Error, refuses: true},
	{qsr: "QSR019", files: map[string]string{"x.container": "[Container]\n" + img + "Pod=ok.pod\nNetwork=ok.network\n", "ok.pod": "[Pod]\nNetwork=ok.network\n", "ok.network": "[Network]\n"},
		file: "x.container", line: 4, code: "network-in-pod", sev: diag.Warning},
	{qsr: "QSR020", files: map[string]string{"x.container": "[Container]\n" + img + "ContainerName=my/web\n", "ok.container": "[Container]\n" + img + "ContainerName=my-web_1.a\n"},
		file: "x.container", line: 3, code: "invalid-name", sev: diag.Error, refuses: true},
	{qsr: "QSR021", target: "5.0.0", files: map[string]string{"x.container": "[Unit]\nRequires=ok.container\n[Container]\n" + img, "ok.container": "[Container]\n" + img},
		file: "x.container", line: 2, code: "too-new", sev: diag.Error, refuses: true},
	{qsr: "QSR022", files: map[string]string{"x.container": "[Container]\n" + img + "Volume=/%h/data:/data\n", "ok.container": "[Container]\n" + img + "Volume=%h/data:/data\n"},
		file: "x.container", line: 3, code: "slash-specifier", sev: diag.Warning},
	{qsr: "QSR023", files: map[string]string{"x.container": "[Container]\n" + img + "Environment=DISCOUNT=50%x\n", "ok.container": "[Container]\n" + img + "Environment=DISCOUNT=50%% HOME=%h\n"},
		file: "x.container", line: 3, code: "bad-specifier", sev: diag.Error, refuses: true},
	{qsr: "QSR024", files: map[string]string{"x.container": "[Container]\n" + img + "[Service]\nUser=1000\n", "ok.container": "[Container]\n" + img + "User=1000\n"},
		file: "x.container", line: 4, code: "unsupported-service-key", sev: diag.Warning},
	{qsr: "QSR025", files: map[string]string{"x.container": "[Container]\nExec=sleep 1\n", "ok.container": "[Container]\n" + img},
		file: "x.container", line: 1, code: "missing-key", sev: diag.Error, refuses: true},
	{qsr: "QSR026", files: map[string]string{"x.artifact": "[Artifact]\n", "ok.artifact": "[Artifact]\nArtifact=quay.io/x/y:1\n"},
		file: "x.artifact", line: 1, code: "missing-key", sev: diag.Error, refuses: true},
}

// TestQuadletLSPCorpus runs berth lint on an input for each quadlet-lsp rule:
// what podman or systemd refuses is an error at the expected line, the rest
// a warning or note as the table in docs/lint-rules.md says, and the valid
// neighbours stay clean.
func TestQuadletLSPCorpus(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range lspCases {
		seen[c.qsr] = true
		dir := t.TempDir()
		for name, text := range c.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		target := c.target
		if target == "" {
			target = "5.8.0"
		}
		rep := Run([]string{dir}, Options{Target: version.Must(target)})
		found := false
		for _, d := range rep.Diagnostics {
			base := filepath.Base(d.Pos.File)
			switch {
			case base == c.file && d.Code == c.code && d.Pos.Line == c.line:
				found = true
				if d.Severity != c.sev {
					t.Errorf("%s: %s is a %v, want %v", c.qsr, d, d.Severity, c.sev)
				}
				if c.refuses && d.Severity != diag.Error {
					t.Errorf("%s: podman or systemd refuses this, but berth says %v", c.qsr, d.Severity)
				}
			case base != c.file:
				t.Errorf("%s: the valid neighbour is not clean: %s", c.qsr, d)
			}
		}
		if c.code != "" && !found {
			t.Errorf("%s: no %s at %s:%d; got %v", c.qsr, c.code, c.file, c.line, rep.Diagnostics)
		}
	}
	for i := 1; i <= 26; i++ {
		if q := "QSR0" + string(rune('0'+i/10)) + string(rune('0'+i%10)); !seen[q] {
			t.Errorf("%s has no case", q)
		}
	}
}

// TestDocListsEveryRule keeps docs/lint-rules.md in step with the rules.
func TestDocListsEveryRule(t *testing.T) {
	doc, err := os.ReadFile("../../docs/lint-rules.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(doc), "| `"+r.Code+"` |") {
			t.Errorf("docs/lint-rules.md does not list rule %s", r.Code)
		}
	}
}
