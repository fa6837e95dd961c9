package generate

import "github.com/berth-dev/berth/internal/quadlet"

// CompileUnits returns what quadlet.Compile(units, opts) returns, compiling
// on up to workers goroutines (<= 0: one per CPU): quadlet.CompileParallel.
func CompileUnits(units []*quadlet.Unit, opts quadlet.Options, workers int) *quadlet.Result {
	return quadlet.CompileParallel(units, opts, workers)
}
