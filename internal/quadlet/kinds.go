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
	return []*Kind{&ArtifactKind, &ImageKind, &NetworkKind, &VolumeKind, &BuildKind, &ContainerKind, &KubeKind, &PodKind}
}

// The unit types. Their key tables are attached in init() of each type's file
// to avoid an initialisation cycle between tables and converters.
var (
	ArtifactKind  = Kind{Ext: ".artifact", Group: "Artifact", ServiceSuffix: "-artifact", Order: 1, Since: version.Must("5.7.0")}
	ImageKind     = Kind{Ext: ".image", Group: "Image", ServiceSuffix: "-image", Order: 1, Since: version.Must("4.8.0")}
	NetworkKind   = Kind{Ext: ".network", Group: "Network", ServiceSuffix: "-network", Order: 2, Since: version.Must("4.4.0")}
	VolumeKind    = Kind{Ext: ".volume", Group: "Volume", ServiceSuffix: "-volume", Order: 2, Since: version.Must("4.4.0")}
	BuildKind     = Kind{Ext: ".build", Group: "Build", ServiceSuffix: "-build", Order: 3, Since: version.Must("5.2.0")}
	ContainerKind = Kind{Ext: ".container", Group: "Container", Order: 4, Since: version.Must("4.4.0")}
	KubeKind      = Kind{Ext: ".kube", Group: "Kube", Order: 4, Since: version.Must("4.4.0")}
	PodKind       = Kind{Ext: ".pod", Group: "Pod", ServiceSuffix: "-pod", Order: 5, Since: version.Must("5.0.0")}
)

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
