package quadlet

// imageKeys is the [Image] table, in the order of the arguments of
// `podman image pull`.
var imageKeys = []Key{
	{Name: "Arch", Since: v("4.8.0"), Form: Last, Flag: "--arch", Doc: "Pull the image for this architecture (--arch)."},
	{Name: "AuthFile", Since: v("4.8.0"), Form: Last, Flag: "--authfile", Doc: "Registry authentication file (--authfile)."},
	{Name: "CertDir", Since: v("4.8.0"), Form: Last, Flag: "--cert-dir", Doc: "Folder of registry TLS certificates (--cert-dir)."},
	{Name: "Creds", Since: v("4.8.0"), Form: Last, Flag: "--creds", Doc: "Registry USER[:PASSWORD] (--creds)."},
	{Name: "DecryptionKey", Since: v("4.8.0"), Form: Last, Flag: "--decryption-key", Needs: v("4.4.0"),
		Doc: "KEY[:PASSPHRASE] to decrypt the image (--decryption-key)."},
	{Name: "OS", Since: v("4.8.0"), Form: Last, Flag: "--os", Doc: "Pull the image for this OS (--os)."},
	{Name: "Policy", Since: v("5.6.0"), Form: Last, Flag: "--policy", Needs: v("5.6.0"), Doc: "Pull policy (--policy)."},
	{Name: "Variant", Since: v("4.8.0"), Form: Last, Flag: "--variant", Doc: "Pull the image for this architecture variant (--variant)."},
	{Name: "Retry", Since: v("5.5.0"), Form: Last, Flag: "--retry", Needs: v("5.0.0"), Doc: "Pull retries (--retry)."},
	{Name: "RetryDelay", Since: v("5.5.0"), Form: Last, Flag: "--retry-delay", Needs: v("5.0.0"), Doc: "Delay between pull retries (--retry-delay)."},
	{Name: "AllTags", Since: v("4.8.0"), Form: Bool, Flag: "--all-tags", Doc: "Pull every tag of the repository (--all-tags)."},
	{Name: "TLSVerify", Since: v("4.8.0"), Form: Bool, Flag: "--tls-verify", Doc: "Require HTTPS and valid registry certificates (--tls-verify)."},
	{Name: "PodmanArgs", Since: v("4.8.0"), Form: Flagless, Doc: "Extra podman image pull arguments."},
	{Name: "Image", Since: v("4.8.0"), Form: Custom, Emit: emitImageRef, Doc: "Image to pull; required."},
	{Name: "ImageTag", Since: v("4.8.0"), Form: NoArg,
		Doc: "Name other units get for x.image, when Image= is an archive or differs from the pulled name."},
	{Name: "ContainersConfModule", Since: v("4.8.0"), Form: NoArg, Needs: v("4.7.0"), Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: v("4.8.0"), Form: NoArg, Doc: "Arguments between podman and image."},
	{Name: "ServiceName", Since: v("5.3.0"), Form: NoArg, Doc: "Name of the generated service; default NAME-image."},
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
