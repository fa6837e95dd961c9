package quadlet

import "github.com/berth-dev/berth/internal/version"

// imageKeys is the [Image] table, in the order of the arguments of
// `podman image pull`.
var imageKeys = []Key{
	{Name: "Arch", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--arch", Doc: "Pull the image for this architecture (--arch)."},
	{Name: "AuthFile", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--authfile", Doc: "Registry authentication file (--authfile)."},
	{Name: "CertDir", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--cert-dir", Doc: "Folder of registry TLS certificates (--cert-dir)."},
	{Name: "Creds", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--creds", Doc: "Registry USER[:PASSWORD] (--creds)."},
	{Name: "DecryptionKey", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--decryption-key", Needs: version.V{Major: 4, Minor: 4, Patch: 0},
		Doc: "KEY[:PASSPHRASE] to decrypt the image (--decryption-key)."},
	{Name: "OS", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--os", Doc: "Pull the image for this OS (--os)."},
	{Name: "Policy", Since: version.V{Major: 5, Minor: 6, Patch: 0}, Form: Last, Flag: "--policy", Needs: version.V{Major: 5, Minor: 6, Patch: 0}, Doc: "Pull policy (--policy)."},
	{Name: "Variant", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Last, Flag: "--variant", Doc: "Pull the image for this architecture variant (--variant)."},
	{Name: "Retry", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry", Needs: version.V{Major: 5, Minor: 0, Patch: 0}, Doc: "Pull retries (--retry)."},
	{Name: "RetryDelay", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry-delay", Needs: version.V{Major: 5, Minor: 0, Patch: 0}, Doc: "Delay between pull retries (--retry-delay)."},
	{Name: "AllTags", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Bool, Flag: "--all-tags", Doc: "Pull every tag of the repository (--all-tags)."},
	{Name: "TLSVerify", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Bool, Flag: "--tls-verify", Doc: "Require HTTPS and valid registry certificates (--tls-verify)."},
	{Name: "PodmanArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Flagless, Doc: "Extra podman image pull arguments."},
	{Name: "Image", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: Custom, Emit: emitImageRef, Doc: "Image to pull; required."},
	{Name: "ImageTag", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg,
		Doc: "Name other units get for x.image, when Image= is an archive or differs from the pulled name."},
	{Name: "ContainersConfModule", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 4, Minor: 8, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and image."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-image."},
}

// convertImage makes a oneshot service that pulls the image.
func convertImage(c *ctx) {
	image := c.lookup("Image")
	if image == "" {
		c.errorf("Image", "missing-key", "no Image key specified")
		return
	}
	c.pull("image", image)
	if c.failed() {
		return
	}
	if tag := c.lookup("ImageTag"); tag != "" {
		image = tag
	}
	c.info.ResourceName = image
}

// pull writes `podman <noun> pull [keys...] REF` as ExecStart= of a oneshot
// service that stays active.
func (c *ctx) pull(noun, ref string) {
	cmd := c.podmanCmd()
	cmd.add(noun, "pull")
	c.runKeys(cmd)
	if c.failed() {
		return
	}
	c.exec("ExecStart", cmd)
	c.oneshot(true)
}

func emitImageRef(c *ctx, cmd *cmdline) error {
	cmd.add(c.lookup("Image"))
	return nil
}
