package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/unitfile"
)

func (a *app) newImagesCmd() *cobra.Command {
	return a.servicesCmd("images [SERVICE...]", "List the image each service's container runs", a.runImages)
}

func (a *app) runImages(_ context.Context, p *run.Project, units []*run.Unit) error {
	tw := newTable(a.stdout, "SERVICE", "CONTAINER", "IMAGE")
	for _, u := range containerUnits(p, units) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Service, u.Resource, orDash(imageOf(u)))
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
