package cli

import "strings"

// docker compose takes its file, environment and profile flags before the
// verb (`docker compose -f compose.yaml logs -f`), where berth's verbs take
// them after it: `-f` after `logs` means follow. moveComposeFlags moves
// those flags from before the verb to right after it, spelled long
// (--file), so that `berth -f compose.yaml logs -f` reads as docker
// compose's does. --project-name is docker compose's spelling of -p.

// composeGlobalFlags are the flags moved, each with its value.
var composeGlobalFlags = map[string]string{
	"-f": "--file", "--file": "--file", "--env-file": "--env-file", "--profile": "--profile",
}

// moveComposeFlags rewrites args (without the program name).
func moveComposeFlags(args []string) []string {
	var moved, before []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		name, val, inline := strings.Cut(a, "=")
		long, ok := composeGlobalFlags[name]
		switch {
		case a == "--":
			return args
		case ok && inline:
			moved = append(moved, long+"="+val)
		case ok && i+1 < len(args):
			moved = append(moved, long, args[i+1])
			i++
		case name == "--project-name":
			if inline {
				before = append(before, "--project="+val)
			} else if i+1 < len(args) {
				before = append(before, "--project", args[i+1])
				i++
			}
		case isValueFlag(a) && i+1 < len(args):
			before = append(before, a, args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			before = append(before, a)
		default: // the verb
			if len(moved) == 0 && len(before) == i {
				return args
			}
			out := append(before, a)
			out = append(out, moved...)
			return append(out, args[i+1:]...)
		}
	}
	return args // no verb: leave it to cobra to complain
}

// isValueFlag reports whether a global flag takes the next argument.
func isValueFlag(a string) bool {
	return a == "-C" || a == "-p" || a == "--directory" || a == "--project" || a == "--podman-version"
}
