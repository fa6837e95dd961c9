package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) newCpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cp SERVICE:SRC_PATH DEST_PATH | SRC_PATH SERVICE:DEST_PATH",
		Short: "Copy files between a service's container and the host",
		Args:  cobra.ExactArgs(2),
		RunE:  func(c *cobra.Command, args []string) error { return a.runCp(args[0], args[1]) },
	}
}

func (a *app) runCp(src, dst string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	resolve := func(arg string) (string, bool, error) {
		svc, path, ok := strings.Cut(arg, ":")
		if !ok || strings.Contains(svc, "/") {
			return absUnder(p.Stack.Dir, arg), false, nil // a host path, relative to -C
		}
		u, err := ownContainer(ctx, p, svc)
		if err != nil {
			return "", false, err
		}
		return u.Resource + ":" + path, true, nil
	}
	from, inSrc, err := resolve(src)
	if err != nil {
		return err
	}
	to, inDst, err := resolve(dst)
	if err != nil {
		return err
	}
	if inSrc == inDst {
		return &usageError{err: fmt.Errorf("one of the paths must be SERVICE:PATH and the other a host path")}
	}
	_, err = p.Podman.Output(ctx, "cp", from, to)
	return err
}
