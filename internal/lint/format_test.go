package lint

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	rep := Run([]string{"testdata/plaintext-secret", "testdata/compiler", "testdata/env-file-runtime"}, Options{})
	var text, js, sarif bytes.Buffer
	for f, buf := range map[string]*bytes.Buffer{"text": &text, "json": &js, "sarif": &sarif} {
		if err := rep.Write(buf, f); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(text.String(), "testdata/plaintext-secret/db.container:3:13: warning: [plaintext-secret]") {
		t.Errorf("text output lacks file:line:col: severity: [CODE]:\n%s", text.String())
	}
	var j struct {
		Diagnostics []map[string]any
		Errors      int
	}
	if err := json.Unmarshal(js.Bytes(), &j); err != nil || len(j.Diagnostics) != len(rep.Diagnostics) || j.Errors != 2 {
		t.Errorf("json: %v, %d diagnostics, %d errors\n%s", err, len(j.Diagnostics), j.Errors, js.String())
	}
	var s struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(sarif.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 || s.Runs[0].Tool.Driver.Name != "berth" {
		t.Fatalf("not a SARIF 2.1.0 log: %s", sarif.String())
	}
	run := s.Runs[0]
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("bad result %+v", r)
		}
		if r.Level != "error" && r.Level != "warning" && r.Level != "note" {
			t.Errorf("bad level %q", r.Level)
		}
	}
	if err := rep.Write(&text, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestStrictAndDisable(t *testing.T) {
	rep := Run([]string{"testdata/untagged-image"}, Options{})
	if rep.Failed(false) || !rep.Failed(true) {
		t.Errorf("warnings only: Failed(false)=%v Failed(true)=%v", rep.Failed(false), rep.Failed(true))
	}
	rep = Run([]string{"testdata/untagged-image"}, Options{Disable: []string{"untagged-image"}})
	if len(rep.Diagnostics) != 0 {
		t.Errorf("disabled rule still reported: %v", rep.Diagnostics)
	}
	rep = Run([]string{"testdata/unknown-key"}, Options{})
	if !rep.Failed(false) {
		t.Error("errors must fail")
	}
}

func TestExplicitFiles(t *testing.T) {
	rep := Run([]string{"testdata/golden-missing.container", "lint.go", "testdata/compiler/web.container"}, Options{})
	var codes []string
	for _, d := range rep.Diagnostics {
		codes = append(codes, d.Pos.File+":"+d.Code)
	}
	want := "lint.go:unsupported-type testdata/compiler/web.container:invalid-value testdata/golden-missing.container:unreadable"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestParsePublish(t *testing.T) {
	for in, want := range map[string]string{
		"80":                  "*:0/tcp",
		"8080:80":             "*:8080/tcp",
		"127.0.0.1:5432:5432": "127.0.0.1:5432/tcp",
		"[::1]:53:53/udp":     "[::1]:53/udp",
		"0.0.0.0::80":         "0.0.0.0:0/tcp",
		"9000-9001:80-81":     "*:9000-9001/tcp",
	} {
		p, err := ParsePublish(in)
		if err != nil || p.HostPorts() != want {
			t.Errorf("%s: got %s %v, want %s", in, p.HostPorts(), err, want)
		}
	}
	for _, in := range []string{"", "0", "65536", "a:b", "1:2:3:4", "[::1]:80", "80/xyz", "9000-9001:80", "10-5"} {
		if _, err := ParsePublish(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
