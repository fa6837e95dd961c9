package quadlet

import "github.com/berth-dev/berth/internal/version"

import "path/filepath"

// buildKeys is the [Build] table, in the order the arguments of
// `podman build` are emitted. The build context (from SetWorkingDirectory=
// or the service's working directory) is always the last argument.
var buildKeys = []Key{
	{Name: "Pull", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Custom, Emit: emitBuildPull,
		Doc: "Pull policy for base images (--pull=POLICY)."},
	{Name: "Arch", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Last, Flag: "--arch", Doc: "Architecture of the image built (--arch)."},
	{Name: "AuthFile", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Last, Flag: "--authfile", Doc: "Registry credentials file (--authfile)."},
	{Name: "IgnoreFile", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--ignorefile", Doc: "Alternative .containerignore file (--ignorefile)."},
	{Name: "Target", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Last, Flag: "--target", Doc: "Build stage to stop at (--target)."},
	{Name: "Variant", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Last, Flag: "--variant", Doc: "Architecture variant of the image built (--variant)."},
	{Name: "Retry", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry", Needs: version.V{Major: 4, Minor: 3, Patch: 0}, Doc: "Pull retries on HTTP errors (--retry)."},
	{Name: "RetryDelay", Since: version.V{Major: 5, Minor: 5, Patch: 0}, Form: Last, Flag: "--retry-delay", Needs: version.V{Major: 4, Minor: 3, Patch: 0}, Doc: "Delay between pull retries (--retry-delay)."},
	{Name: "TLSVerify", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Bool, Flag: "--tls-verify", Doc: "Verify registry TLS certificates (--tls-verify)."},
	{Name: "ForceRM", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Bool, Flag: "--force-rm", Doc: "Remove intermediate containers even on failure (--force-rm)."},
	{Name: "DNS", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--dns", Doc: "DNS server for RUN steps (--dns)."},
	{Name: "DNSOption", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--dns-option", Doc: "DNS option for RUN steps (--dns-option)."},
	{Name: "DNSSearch", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--dns-search", Doc: "DNS search domain for RUN steps (--dns-search)."},
	{Name: "GroupAdd", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--group-add", Needs: version.V{Major: 4, Minor: 4, Patch: 0}, Doc: "Supplementary group for RUN steps (--group-add)."},
	{Name: "ImageTag", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: All, Flag: "--tag",
		Doc: "Name of the image built (--tag); required, the first one names it for other units."},
	{Name: "BuildArg", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: KeyVals, Flag: "--build-arg", Doc: "Build arguments NAME=value (--build-arg)."},
	{Name: "Environment", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: KeyVals, Flag: "--env", Needs: version.V{Major: 4, Minor: 1, Patch: 0}, Doc: "Environment of the image built (--env)."},
	{Name: "Label", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: KeyVals, Flag: "--label", Doc: "Image labels (--label)."},
	{Name: "Annotation", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: KeyVals, Flag: "--annotation", Doc: "Image annotations (--annotation)."},
	{Name: "Network", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Custom, Emit: emitNetworks,
		Doc: "Network mode for RUN steps (--network); x.network refers to a quadlet."},
	{Name: "Secret", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Words, Flag: "--secret", Needs: version.V{Major: 3, Minor: 2, Patch: 0}, Doc: "Secret for RUN steps (--secret)."},
	{Name: "Volume", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Custom, Emit: emitVolumes,
		Doc: "Volume for RUN steps (-v); x.volume refers to a quadlet."},
	{Name: "File", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Custom, Emit: emitBuildFile,
		Doc: "Containerfile path or URL (--file); a relative path needs SetWorkingDirectory=."},
	{Name: "PodmanArgs", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Flagless, Doc: "Extra podman build arguments."},
	{Name: "SetWorkingDirectory", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: Custom, Emit: emitBuildContext,
		Doc: "Build context: unit, file, a path or a URL; unit and file also set WorkingDirectory=."},
	{Name: "ContainersConfModule", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: NoArg, Needs: version.V{Major: 4, Minor: 7, Patch: 0}, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 5, Minor: 2, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and build."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 3, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-build."},
}

// convertBuild makes a oneshot service that builds the image.
func convertBuild(c *ctx) {
	if c.info.ResourceName == "" {
		c.errorf("ImageTag", "missing-key", "no ImageTag key specified")
	}
	cmd := c.podmanCmdCap(32)
	cmd.add("build")
	c.runKeys(cmd)
	if c.failed() {
		return
	}
	c.exec("ExecStart", cmd)
	c.oneshot(false)
}

// emitBuildPull joins flag and value: `--pull never` would read never as
// the context, --pull taking an optional value.
func emitBuildPull(c *ctx, cmd *cmdline) error {
	if pull := c.lookup("Pull"); pull != "" {
		cmd.add("--pull=" + pull)
	}
	return nil
}

func emitBuildFile(c *ctx, cmd *cmdline) error {
	if file := c.lookup("File"); file != "" {
		cmd.add("--file", file)
	}
	return nil
}

// emitBuildContext applies SetWorkingDirectory= and adds the context: the
// path or URL it names, else the working directory when the Containerfile is
// given relative to it (or not at all).
func emitBuildContext(c *ctx, cmd *cmdline) error {
	buildContext, err := c.setWorkingDirectory()
	if err != nil {
		c.errorf("SetWorkingDirectory", "invalid-value", "%v", err)
		return nil
	}
	wd, _ := c.svc.Lookup("Service", "WorkingDirectory")
	file := c.lookup("File")
	switch {
	case wd == "" && file == "" && buildContext == "":
		c.errorf("", "missing-key", "neither SetWorkingDirectory, nor File key specified")
	case buildContext != "":
		cmd.add(buildContext)
	case startsWithSpecifier(file) || filepath.IsAbs(file) || isURL(file):
		// The Containerfile's own location is enough.
	case wd == "":
		c.errorf("File", "missing-key", "relative path in File key requires SetWorkingDirectory key to be set")
	default:
		cmd.add(wd)
	}
	return nil
}
