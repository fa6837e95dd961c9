package generate

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
)

// imageGroups are the groups whose Image= podman's generator checks for a
// fully qualified name.
var imageGroups = map[string]string{
	".container": "Container", ".volume": "Volume", ".image": "Image", ".artifact": "Artifact",
}

// Lint returns the warnings podman's generator (cmd/quadlet) gives about a
// unit besides those of the conversion itself, with podman's wording: an
// Image= that is not a fully qualified name. (The [Service] User=/Group=/
// DynamicUser= warning is the compiler's.)
func Lint(u *quadlet.Unit) diag.List {
	var out diag.List
	kind := quadlet.KindOf(u.Name)
	if kind == nil {
		return out
	}
	group, ok := imageGroups[kind.Ext]
	if !ok {
		return out
	}
	image, ok := u.File.Lookup(group, "Image")
	if !ok || strings.HasSuffix(image, ".build") || strings.HasSuffix(image, ".image") || isUnambiguousName(image) {
		return out
	}
	out.Add(diag.Diagnostic{Pos: u.File.LastLine(group, "Image").Pos(), Severity: diag.Warning, Code: "short-name",
		Message: fmt.Sprintf("%s specifies the image \"%s\" which not a fully qualified image name. "+
			"This is not ideal for performance and security reasons. "+
			"See the podman-pull manpage discussion of short-name-aliases.conf for details.", u.Name, image),
		Hint: "name the registry, e.g. " + qualifiedExample(image)})
	return out
}

// qualifiedExample suggests a fully qualified spelling of a short name.
func qualifiedExample(image string) string {
	if strings.Contains(image, "/") {
		return "docker.io/" + image
	}
	return "docker.io/library/" + image
}

// isUnambiguousName reports whether image names one image wherever it is
// pulled: an image id, or a name whose first element is a registry.
func isUnambiguousName(image string) bool {
	if isImageID(image) {
		return true
	}
	domain, _, found := strings.Cut(image, "/")
	if !found {
		return false
	}
	return strings.ContainsAny(domain, ".:") || domain == "localhost"
}

func isImageID(image string) bool {
	if strings.HasPrefix(image, "sha256:") {
		return true
	}
	if len(image) != 64 {
		return false
	}
	for i := 0; i < len(image); i++ {
		c := image[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
