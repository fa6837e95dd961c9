package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/unitfile"
)

func (a *app) newImagesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "images [SERVICE...]",
		Short: "List the image each service's container runs",
		RunE:  func(c *cobra.Command, args []string) error { return a.runImages(args) },
	}
}

func (a *app) runImages(args []string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		units = p.Stack.Units
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tCONTAINER\tIMAGE")
	for _, u := range units {
		if u.Kind != run.KindContainer {
			continue
		}
		img := imageOf(u)
		if img == "" {
			img = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Service, u.Resource, img)
	}
	return tw.Flush()
}

// imageOf is the image a container unit runs, as its compiled unit names
// it: an image name, or the tag of the .build or .image unit it uses.
func imageOf(u *run.Unit) string {
	f, _ := unitfile.Parse(u.Name, []byte(u.Text))
	if f == nil {
		return ""
	}
	img, _ := f.Lookup("X-Container", "Image")
	if strings.HasSuffix(img, ".build") || strings.HasSuffix(img, ".image") {
		return "" // the other unit's image; its Resource names it
	}
	return img
}
