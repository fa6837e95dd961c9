package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/lint"
)

// lintOptions are the flags of `berth lint`.
type lintOptions struct {
	format       string
	strict       bool
	disable      []string
	generator    string
	composeFiles // -f: lint a compose project
}

func (a *app) newLintCmd() *cobra.Command {
	var o lintOptions
	cmd := &cobra.Command{
		Use:   "lint [PATH...|-f compose.yaml...] [--podman-version V] [--format text|json|sarif] [--strict] [--disable CODE]",
		Short: "Check quadlet files for every problem at once, before podman or systemd see them",
		Long: "lint reads quadlet files, or every quadlet file directly in a folder with their\n" +
			"drop-ins (default: the current folder, or -C DIR), and reports every problem of\n" +
			"every file as file:line:col: severity: [CODE] message, with a hint: syntax,\n" +
			"unknown keys, keys the target podman lacks (--podman-version), invalid values,\n" +
			"references to missing units, dependency cycles, clashing names and ports, and\n" +
			"security problems such as plain-text secrets. Silence a finding with\n" +
			"--disable CODE or a \"# berth:ignore CODE\" comment on the line above it\n" +
			"(not after the value: systemd has no trailing comments).\n\n" +
			"With -f (or in a folder with a compose file and no quadlets) lint loads the\n" +
			"compose project as up and convert do, converts it, and reports each finding on\n" +
			"the generated units against the compose file, line, service and key it came\n" +
			"from, plus what the conversion approximated or dropped (warnings; errors with\n" +
			"--strict). There a \"# berth:ignore CODE\" may also end the compose line.\n" +
			"The exit status is 1 when there is an error (or, with --strict, a warning).\n\n" +
			"Rules:\n" + ruleList(),
		RunE: func(c *cobra.Command, args []string) error { return a.runLint(o, args) },
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output `FORMAT`: text, json or sarif")
	f.BoolVar(&o.strict, "strict", false, "exit 1 on warnings too")
	f.StringSliceVar(&o.disable, "disable", nil, "do not report rule `CODE` (repeatable, or comma-separated)")
	f.StringVar(&o.generator, "generator", "", "who compiles the units: podman or berth (default: podman from 4.4 on; berth for compose)")
	o.composeFiles.add(cmd, "lint the compose project of `FILE` (repeatable; later files override)")
	return cmd
}

func ruleList() string {
	var b strings.Builder
	for _, r := range lint.Rules() {
		fmt.Fprintf(&b, "  %-21s %-7s %s\n", r.Code, r.Severity, r.Rationale)
	}
	return b.String()
}

func (a *app) runLint(o lintOptions, paths []string) error {
	if !slices.Contains(lint.Formats, o.format) {
		return &usageError{err: fmt.Errorf("unknown --format %q", o.format), cmd: "berth lint", hint: "use text, json or sarif"}
	}
	if o.generator != "" && o.generator != "podman" && o.generator != "berth" {
		return &usageError{err: fmt.Errorf("unknown --generator %q", o.generator), cmd: "berth lint", hint: "use podman or berth"}
	}
	for _, code := range o.disable {
		if _, ok := lint.RuleByCode(code); !ok {
			fmt.Fprintf(a.stderr, "%s: warning: --disable %s: no such rule (compiler codes can be disabled too)\n", programName, code)
		}
	}
	if len(o.files) > 0 && len(paths) > 0 {
		return &usageError{err: fmt.Errorf("both -f and paths given"), cmd: "berth lint", hint: "lint a compose project (-f) or quadlet files, one at a time"}
	}
	if len(o.files) > 0 || len(paths) == 0 {
		base, err := a.global.workDir()
		if err != nil {
			return err
		}
		isCompose := len(o.files) > 0
		if !isCompose {
			isCompose, _ = composeFolder(base)
		}
		if isCompose {
			return a.lintCompose(o, base)
		}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	if a.global.dir != "" {
		for i, p := range paths {
			if !filepath.IsAbs(p) {
				paths[i] = filepath.Join(a.global.dir, p)
			}
		}
	}
	rep := lint.Run(paths, lint.Options{Target: a.target(context.Background()), Generator: o.generator, Disable: o.disable})
	return a.writeLint(rep, o)
}

// lintCompose lints the compose project of -f (or of base), loaded with the
// same options as up and convert; positions are shown relative to base.
func (a *app) lintCompose(o lintOptions, base string) error {
	ctx := context.Background()
	cp, err := compose.Load(ctx, a.composeLoadOptions(base, o.composeFiles))
	var le diag.ListError
	if errors.As(err, &le) { // a compose file compose-go refuses: a finding like the others
		rep := &lint.Report{Files: o.files, Diagnostics: diag.List(le)}
		for i := range rep.Diagnostics {
			rep.Diagnostics[i].Pos.File = relTo(base, rep.Diagnostics[i].Pos.File)
		}
		return a.writeLint(rep, o)
	}
	if err != nil {
		return err
	}
	rep := lint.RunCompose(cp, lint.ComposeOptions{Strict: o.strict,
		Options: lint.Options{Target: a.target(ctx), Generator: o.generator, Disable: o.disable}})
	for i := range rep.Files {
		rep.Files[i] = relTo(base, rep.Files[i])
	}
	for i := range rep.Diagnostics {
		rep.Diagnostics[i].Pos.File = relTo(base, rep.Diagnostics[i].Pos.File)
	}
	return a.writeLint(rep, o)
}

func (a *app) writeLint(rep *lint.Report, o lintOptions) error {
	if err := rep.Write(a.stdout, o.format); err != nil {
		return err
	}
	if rep.Failed(o.strict) {
		return generate.ErrFailed // reported above: exit 1 without another message
	}
	return nil
}
