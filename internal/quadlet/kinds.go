package quadlet

import (
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/version"
)

// Kind describes one quadlet unit type.
type Kind struct {
	Ext           string    // ".container"
	Group         string    // "Container": the section that holds its keys
	ServiceSuffix string    // added to the base name for the service ("-volume")
	Order         int       // conversion order: resources before their users
	Since         version.V // first podman whose generator knows the type
	keys          *Table
}

// XGroup is the section name the source group is kept under in the service.
func (k *Kind) XGroup() string { return "X-" + k.Group }

// Keys is the kind's key table.
func (k *Kind) Keys() *Table { return k.keys }

// Kinds lists every unit type in conversion order. Resources that others
// refer to are converted first so their names are known.
func Kinds() []*Kind {
	return []*Kind{&artifactKind, &imageKind, &networkKind, &volumeKind, &buildKind, &containerKind, &kubeKind, &podKind}
}

// The unit types and their key tables: fixed data, never changed after
// initialisation. Other packages reach them through the functions below
// (there are no assignable exported variables).
var (
	artifactKind  = Kind{Ext: ".artifact", Group: "Artifact", ServiceSuffix: "-artifact", Order: 1, Since: version.V{Major: 5, Minor: 7, Patch: 0}, keys: newTable("Artifact", artifactKeys)}
	imageKind     = Kind{Ext: ".image", Group: "Image", ServiceSuffix: "-image", Order: 1, Since: version.V{Major: 4, Minor: 8, Patch: 0}, keys: newTable("Image", imageKeys)}
	networkKind   = Kind{Ext: ".network", Group: "Network", ServiceSuffix: "-network", Order: 2, Since: version.V{Major: 4, Minor: 4, Patch: 0}, keys: newTable("Network", networkKeys)}
	volumeKind    = Kind{Ext: ".volume", Group: "Volume", ServiceSuffix: "-volume", Order: 2, Since: version.V{Major: 4, Minor: 4, Patch: 0}, keys: newTable("Volume", volumeKeys)}
	buildKind     = Kind{Ext: ".build", Group: "Build", ServiceSuffix: "-build", Order: 3, Since: version.V{Major: 5, Minor: 2, Patch: 0}, keys: newTable("Build", buildKeys)}
	containerKind = Kind{Ext: ".container", Group: "Container", Order: 4, Since: version.V{Major: 4, Minor: 4, Patch: 0}, keys: newTable("Container", containerKeys)}
	kubeKind      = Kind{Ext: ".kube", Group: "Kube", Order: 4, Since: version.V{Major: 4, Minor: 4, Patch: 0}, keys: newTable("Kube", kubeKeys)}
	podKind       = Kind{Ext: ".pod", Group: "Pod", ServiceSuffix: "-pod", Order: 5, Since: version.V{Major: 5, Minor: 0, Patch: 0}, keys: newTable("Pod", podKeys)}
)

// ArtifactKind and the functions below return the unit types.
func ArtifactKind() *Kind  { return &artifactKind }
func ImageKind() *Kind     { return &imageKind }
func NetworkKind() *Kind   { return &networkKind }
func VolumeKind() *Kind    { return &volumeKind }
func BuildKind() *Kind     { return &buildKind }
func ContainerKind() *Kind { return &containerKind }
func KubeKind() *Kind      { return &kubeKind }
func PodKind() *Kind       { return &podKind }

// converter is the function that compiles units of kind k. A switch rather
// than a field of Kind: the converters refer to the kinds, and a field would
// make the kinds' initialisation refer to itself.
func converter(k *Kind) func(*ctx) {
	switch k {
	case &artifactKind:
		return convertArtifact
	case &imageKind:
		return convertImage
	case &networkKind:
		return convertNetwork
	case &volumeKind:
		return convertVolume
	case &buildKind:
		return convertBuild
	case &containerKind:
		return convertContainer
	case &kubeKind:
		return convertKube
	case &podKind:
		return convertPod
	}
	return nil
}

// KindOf returns the kind for a file name, or nil if it is not a quadlet.
func KindOf(name string) *Kind {
	ext := filepath.Ext(name)
	for _, k := range Kinds() {
		if k.Ext == ext {
			return k
		}
	}
	return nil
}

// IsQuadlet reports whether name has a quadlet extension.
func IsQuadlet(name string) bool { return KindOf(name) != nil }

// templateParts splits "foo@bar.container" into "foo", "bar", true.
func templateParts(name string) (base, instance string, isTemplate bool) {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	base, instance, isTemplate = strings.Cut(stem, "@")
	return base, instance, isTemplate
}

// stem removes the extension: "db.container" → "db".
func stem(name string) string {
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		return name[:dot]
	}
	return name
}
