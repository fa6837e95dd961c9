// Package startup holds what must run before the rest of berth is
// initialised. Its only job today: keep the garbage collector off while
// the packages berth links (compose-go's JSON schema compiler, OpenTelemetry,
// gRPC, prometheus) build their tables at init. They allocate a few
// megabytes, enough for a collection to start and compete with them, while
// nothing they allocate is garbage yet. Go initialises a package as soon as
// its dependencies are, in import-path order, so this one, which needs only
// runtime/debug, runs before those heavy packages.
//
// cli.Execute calls Done first thing: from there on the collector runs as
// configured (GOGC), and `berth generate` tunes it for itself.
package startup

import "runtime/debug"

// gcPercent is the setting (GOGC) in force before init turned collection off.
var gcPercent = debug.SetGCPercent(-1)

// Done restores the garbage collector's setting. It is idempotent.
func Done() { debug.SetGCPercent(gcPercent) }
