package cli

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/quadlet"
)

// compileIsCompose tells whether compile works on a compose project: -f,
// or no paths in a folder with a compose file and no quadlet files.
func (a *app) compileIsCompose(o compileOptions, base string, paths []string) (bool, error) {
	if len(o.files) > 0 && len(paths) > 0 {
		return false, &usageError{err: fmt.Errorf("both -f and paths given"), cmd: "berth compile",
			hint: "compile a compose project (-f) or quadlet files, one at a time"}
	}
	if len(o.files) > 0 {
		return true, nil
	}
	if len(paths) > 0 {
		return false, nil
	}
	isCompose, _ := composeFolder(base)
	return isCompose, nil
}

// compileCompose converts the compose project as convert does, compiles
// its units as up does, and prints or writes them; the conversion's losses
// are listed as convert lists them, and every problem of the units is
// reported at the compose key it came from.
func (a *app) compileCompose(o compileOptions, base string) error {
	ctx := context.Background()
	cp, err := compose.Load(ctx, a.composeLoadOptions(base, o.composeFiles))
	if err != nil {
		return err
	}
	target := a.target(ctx)
	units, rep, err := compose.ToUnits(cp, compose.Options{Target: target})
	printReport(a.stderr, compose.Report{Entries: rep.Entries}, base)
	if err != nil {
		return errSilent{fmt.Errorf("%d compose setting(s) cannot be expressed as quadlets (listed above)", countErrors(rep))}
	}
	parsed, texts, diags := readBack(units)
	if diags.HasErrors() {
		return &diagsError{diags: placeDiags(cp, texts, diags), base: base}
	}
	opts := quadlet.Options{User: o.user, Target: target, Podman: a.podmanBinary(), Strict: true, HostFile: fileExists}
	res := generate.CompileUnits(parsed, opts, 0)
	for _, u := range parsed {
		diags = append(diags, generate.Lint(u)...)
	}
	diags = append(diags, res.Diags...)
	support := quadlet.SupportFor(res.Services, opts)
	if o.output != "" {
		diags = append(diags, writeUnits(absUnder(base, o.output), a.argv0, res.Services, support)...)
	} else if err := generate.DryRun(a.stdout, res.Services); err != nil {
		return err
	} else if err := generate.DryRunSupport(a.stdout, support); err != nil {
		return err
	}
	if diags = placeDiags(cp, texts, diags); len(diags) > 0 {
		return &diagsError{diags: diags, base: base}
	}
	return nil
}
