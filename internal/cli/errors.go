package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/generate"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the input has errors, or something could not be done
	exitUsage   = 2 // the command line is wrong
	programName = "berth"
)

// usageError is a wrong command line: bad flag, bad argument count or value.
type usageError struct {
	err  error
	cmd  string // command path, for the --help hint
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErr(c *cobra.Command, err error) error {
	return &usageError{err: err, cmd: c.CommandPath()}
}

// diagsError carries the diagnostics of the input files. It is returned
// whenever there are any, warnings included: it exits non-zero only when one
// is an error.
type diagsError struct {
	diags diag.List
	base  string // paths under base are shown relative to it
}

func (e *diagsError) Error() string { return diag.ListError(e.diags).Error() }

// exitCodeError ends berth with a given exit code: the code of a container
// (`run`, `up --exit-code-from`), as docker compose passes it through. err,
// when set, is printed first.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// report prints err and returns the exit code; it is the one place where
// errors become messages.
func (a *app) report(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	var de *diagsError
	var le diag.ListError
	var ue *usageError
	var xe *exitCodeError
	switch {
	case errors.As(err, &xe):
		if xe.err != nil {
			fmt.Fprintf(a.stderr, "%s: %v\n", programName, xe.err)
		}
		return xe.code
	case errors.Is(err, generate.ErrFailed):
		return exitFailed // the generator has logged everything already
	case errors.As(err, &de):
		return printDiags(a.stderr, de.diags, de.base)
	case errors.As(err, &le):
		return printDiags(a.stderr, diag.List(le), "")
	case errors.As(err, &ue):
		a.printUsageError(ue.err.Error(), ue.hint, ue.cmd)
		return exitUsage
	case strings.HasPrefix(err.Error(), "unknown command"):
		a.printUsageError(err.Error(), "", cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "%s: %v\n", programName, err)
	return exitFailed
}

func (a *app) printUsageError(msg, hint, cmdPath string) {
	fmt.Fprintf(a.stderr, "%s: %s\n", programName, msg)
	if hint != "" {
		fmt.Fprintf(a.stderr, "%s: %s\n", programName, hint)
	}
	if cmdPath == "" {
		cmdPath = programName
	}
	fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmdPath)
}

// printDiags prints every diagnostic as "file:line: severity: message
// (hint)", sorted by file and line, then a count; it returns exitFailed when
// any is an error.
func printDiags(w io.Writer, diags diag.List, base string) int {
	sorted := append(diag.List(nil), diags...)
	sorted.Sort()
	var b strings.Builder
	errs, warns := 0, 0
	for _, d := range sorted {
		b.WriteString(formatDiag(d, base))
		b.WriteByte('\n')
		if d.Severity == diag.Error {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		fmt.Fprintf(&b, "%s: %s, %s\n", programName, plural(errs, "error"), plural(warns, "warning"))
	}
	_, _ = io.WriteString(w, b.String())
	if errs > 0 {
		return exitFailed
	}
	return exitOK
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// formatDiag renders d as "file:line: severity: message (hint)".
func formatDiag(d diag.Diagnostic, base string) string {
	d.Pos.File = relTo(base, d.Pos.File)
	d.Code = ""
	return d.String()
}

// relTo shows p relative to base when p lies under it.
func relTo(base, p string) string {
	if base == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(base, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return p
	}
	return rel
}
