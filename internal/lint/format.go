package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/berth-dev/berth/internal/diag"
)

// Formats lists the output formats of Write.
var Formats = []string{"text", "json", "sarif"}

// Write prints the report in format (text, json or sarif).
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		return r.writeText(w)
	case "json":
		return r.writeJSON(w)
	case "sarif":
		return r.writeSARIF(w)
	}
	return fmt.Errorf("unknown format %q: want text, json or sarif", format)
}

func (r *Report) writeText(w io.Writer) error {
	for _, d := range r.Diagnostics {
		d = d.Printable()
		line := fmt.Sprintf("%s: %s: [%s] %s\n", d.Pos, d.Severity, d.Code, d.Message)
		if d.Hint != "" {
			line += "    hint: " + d.Hint + "\n"
		}
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	e, wn, n := r.Counts()
	_, err := fmt.Fprintf(w, "%d files: %s, %s, %s\n", len(r.Files), plural(e, "error"), plural(wn, "warning"), plural(n, "note"))
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type jsonDiag struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

func (r *Report) writeJSON(w io.Writer) error {
	e, wn, n := r.Counts()
	out := struct {
		Files       []string   `json:"files"`
		Diagnostics []jsonDiag `json:"diagnostics"`
		Errors      int        `json:"errors"`
		Warnings    int        `json:"warnings"`
		Notes       int        `json:"notes"`
	}{Files: r.Files, Diagnostics: []jsonDiag{}, Errors: e, Warnings: wn, Notes: n}
	if out.Files == nil {
		out.Files = []string{}
	}
	for _, d := range r.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, jsonDiag{d.Pos.File, d.Pos.Line, d.Pos.Col, d.Severity.String(), d.Code, d.Message, d.Hint})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// SARIF 2.1.0, the minimal valid log: one run, the rules that fired, results.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string    `json:"id"`
	ShortDescription sarifText `json:"shortDescription"`
	DefaultConfig    struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

func sarifLevel(s diag.Severity) string {
	switch s {
	case diag.Error:
		return "error"
	case diag.Warning:
		return "warning"
	}
	return "note"
}

func (r *Report) writeSARIF(w io.Writer) error {
	codes := map[string]diag.Severity{}
	for _, d := range r.Diagnostics {
		codes[d.Code] = d.Severity
	}
	ids := make([]string, 0, len(codes))
	for c := range codes {
		ids = append(ids, c)
	}
	sort.Strings(ids)
	index := map[string]int{}
	drv := sarifDriver{Name: "berth", InformationURI: "https://github.com/berth-dev/berth", Rules: []sarifRule{}}
	for i, id := range ids {
		rule := sarifRule{ID: id, ShortDescription: sarifText{"reported by podman's quadlet compiler or the unit file parser"}}
		rule.DefaultConfig.Level = sarifLevel(codes[id])
		if rr, ok := RuleByCode(id); ok {
			rule.ShortDescription.Text = rr.Rationale
			rule.DefaultConfig.Level = sarifLevel(rr.Severity)
		}
		drv.Rules = append(drv.Rules, rule)
		index[id] = i
	}
	run := sarifRun{Tool: sarifTool{drv}, Results: []sarifResult{}}
	for _, d := range r.Diagnostics {
		msg := d.Message
		if d.Hint != "" {
			msg += " (" + d.Hint + ")"
		}
		res := sarifResult{RuleID: d.Code, RuleIndex: index[d.Code], Level: sarifLevel(d.Severity), Message: sarifText{msg}}
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = d.Pos.File
		if d.Pos.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{d.Pos.Line, d.Pos.Col}
		}
		res.Locations = []sarifLocation{loc}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
