package quadlet

import (
	"fmt"
	"github.com/berth-dev/berth/internal/version"
	"strings"
)

// volumeKeys is the [Volume] table, in the order of the arguments of
// `podman volume create`. The ContainersConfModule=, GlobalArgs= and naming
// rows come last: podmanCmd places the first two before the verb.
var volumeKeys = []Key{
	{Name: "UID", Since: version.V{Major: 6, Minor: 0, Patch: 0}, Form: Custom, Emit: emitVolumeUID, Needs: version.V{Major: 5, Minor: 6, Patch: 0},
		Doc: "UID that owns the volume's mount point (--uid); unlike User= not a mount option."},
	{Name: "GID", Since: version.V{Major: 6, Minor: 0, Patch: 0}, Form: Custom, Emit: emitVolumeGID, Needs: version.V{Major: 5, Minor: 6, Patch: 0},
		Doc: "GID that owns the volume's mount point (--gid); unlike Group= not a mount option."},
	{Name: "Driver", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Emit: emitVolumeDriver,
		Doc: "Volume driver (--driver); the image driver needs Image=."},
	{Name: "Image", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Emit: emitVolumeImage,
		Doc: "Image behind a Driver=image volume (--opt image=); x.image and x.build refer to quadlets."},
	{Name: "Copy", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolumeCopy,
		Doc: "Copy the image's files at the mount point into the empty volume (--opt copy, or nocopy)."},
	{Name: "Device", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolumeDevice,
		Doc: "Device or path the volume mounts (--opt device=)."},
	{Name: "Type", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolumeType,
		Doc: "File system type of Device, as mount -t (--opt type=); bind adds RequiresMountsFor=."},
	{Name: "User", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom,
		Doc: "Numeric UID that owns the volume (uid= in --opt o=)."},
	{Name: "Group", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom,
		Doc: "Numeric GID that owns the volume (gid= in --opt o=)."},
	{Name: "Options", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: Custom, Emit: emitVolumeMountOptions,
		Doc: "Mount options of Device, as mount -o (--opt o=)."},
	{Name: "Label", Since: version.V{Major: 4, Minor: 4, Patch: 0}, Form: KeyVals, Flag: "--label", Doc: "Volume labels (--label)."},
	{Name: "PodmanArgs", Since: version.V{Major: 4, Minor: 6, Patch: 0}, Form: Flagless, Doc: "Extra podman volume create arguments."},
	{Name: "VolumeName", Since: version.V{Major: 4, Minor: 7, Patch: 0}, Form: Custom, Emit: emitVolumeName,
		Doc: "Name of the podman volume; default systemd- plus the file's base name."},
	{Name: "ContainersConfModule", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and volume."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-volume."},
}

// convertVolume makes a oneshot service that creates the volume unless it
// exists.
func convertVolume(c *ctx) {
	name := resourceName(c.unit, c.kind.Group, "VolumeName", c.opts.namePrefix())
	c.convertCreate("volume", name)
}

// imageDriver reports whether the volume uses the image driver, under which
// the mount keys mean nothing.
func (c *ctx) imageDriver() bool {
	driver, ok := c.src.Lookup(c.kind.Group, "Driver")
	return ok && driver == "image"
}

// emitVolumeUID writes --uid for UID= and emitVolumeGID --gid for GID=:
// the last value, an empty one too, as podman's generator does.
func emitVolumeUID(c *ctx, cmd *cmdline) error { return emitLastAlways(c, cmd, "UID", "--uid") }

func emitVolumeGID(c *ctx, cmd *cmdline) error { return emitLastAlways(c, cmd, "GID", "--gid") }

func emitLastAlways(c *ctx, cmd *cmdline, key, flag string) error {
	if val, ok := c.src.Lookup(c.kind.Group, key); ok {
		cmd.add(flag, val)
	}
	return nil
}

// emitVolumeDriver leaves out an empty Driver=, which means the default
// driver. (Podman 5.8 writes it as an unquoted empty word that systemd
// drops, so the volume name becomes the driver and the unit fails.)
func emitVolumeDriver(c *ctx, cmd *cmdline) error {
	if driver := c.lookup("Driver"); driver != "" {
		cmd.add("--driver", driver)
	}
	return nil
}

// mountKeys are the [Volume] keys that only a mounting driver reads.
var mountKeys = []string{"Copy", "Device", "Type", "User", "Group", "Options"}

func emitVolumeImage(c *ctx, cmd *cmdline) error {
	if !c.imageDriver() {
		if c.present("Image") {
			c.warnf("Image", "ignored-key", "key Image is ignored unless Driver=image")
		}
		return nil
	}
	for _, key := range mountKeys {
		if c.present(key) {
			c.warnf(key, "ignored-key", "key %s is ignored when Driver=image", key)
		}
	}
	image, ok := c.src.Lookup(c.kind.Group, "Image")
	if !ok {
		c.errorf("Driver", "missing-key", "the key Image is mandatory when using the image driver")
		return nil
	}
	resolved, err := c.imageSource(image)
	if err != nil {
		c.errorf("Image", "dangling-reference", "%v", err)
		return nil
	}
	cmd.add("--opt", "image="+resolved)
	return nil
}

func emitVolumeCopy(c *ctx, cmd *cmdline) error {
	if c.imageDriver() {
		return nil
	}
	if copyOn, ok := c.src.LookupBool(c.kind.Group, "Copy"); ok {
		if copyOn {
			cmd.add("--opt", "copy")
		} else {
			cmd.add("--opt", "nocopy")
		}
	}
	return nil
}

func emitVolumeDevice(c *ctx, cmd *cmdline) error {
	if dev := c.lookup("Device"); dev != "" && !c.imageDriver() {
		cmd.add("--opt", "device="+dev)
	}
	return nil
}

func emitVolumeType(c *ctx, cmd *cmdline) error {
	devType, dev := c.lookup("Type"), c.lookup("Device")
	switch {
	case devType == "" || c.imageDriver():
	case dev == "":
		c.errorf("Type", "missing-key", "key Type can't be used without Device")
	default:
		cmd.add("--opt", "type="+devType)
		if devType == "bind" {
			c.svc.Add("Unit", "RequiresMountsFor", quoteIfNeeded(dev))
		}
	}
	return nil
}

// emitVolumeMountOptions writes one --opt o= holding User=, Group= and
// Options=, in that order.
func emitVolumeMountOptions(c *ctx, cmd *cmdline) error {
	if c.imageDriver() {
		return nil
	}
	var opts []string
	for _, id := range []struct{ key, opt string }{{"User", "uid"}, {"Group", "gid"}} {
		if c.present(id.key) {
			opts = append(opts, fmt.Sprintf("%s=%d", id.opt, c.volumeID(id.key)))
		}
	}
	if mountOpts := c.lookup("Options"); mountOpts != "" {
		if c.lookup("Device") == "" && !c.has(podman6) {
			c.errorf("Options", "missing-key", "key Options can't be used without Device")
		} else {
			opts = append(opts, mountOpts)
		}
	}
	if len(opts) > 0 {
		cmd.add("--opt", "o="+strings.Join(opts, ","))
	}
	return nil
}

// volumeID reads User= or Group= as podman 5.8 does: a number, anything else
// (a user or group name too) reading as 0, which is worth a warning.
func (c *ctx) volumeID(key string) uint32 {
	id := c.uint32(key)
	if val := c.lookup(key); id == 0 && !isZero(val) {
		c.warnf(key, "invalid-value", "%s=%s is not a numeric ID; podman's quadlet uses 0 (root) for it", key, val)
	}
	return id
}

// isZero reports whether s is a way of writing the number 0.
func isZero(s string) bool {
	n, err := parseInt(s)
	return err == nil && n == 0
}

func emitVolumeName(c *ctx, cmd *cmdline) error {
	cmd.add(resourceName(c.unit, c.kind.Group, "VolumeName", c.opts.namePrefix()))
	return nil
}
