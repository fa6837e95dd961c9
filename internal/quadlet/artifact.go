package quadlet

import (
	"fmt"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/version"
)

// artifactPull is the first podman with `podman artifact pull`. Every flag
// an .artifact unit emits was there from the start, so the keys need nothing
// more: below it the whole unit type is refused (see convertArtifact).
var artifactPull = version.V{Major: 5, Minor: 4, Patch: 0}

// artifactKeys is the [Artifact] table, in the order of the arguments of
// `podman artifact pull`.
var artifactKeys = []Key{
	{Name: "AuthFile", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--authfile", Doc: "Registry authentication file (--authfile)."},
	{Name: "CertDir", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--cert-dir", Doc: "Folder of registry TLS certificates (--cert-dir)."},
	{Name: "Creds", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--creds", Doc: "Registry USER[:PASSWORD] (--creds)."},
	{Name: "DecryptionKey", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--decryption-key", Doc: "KEY[:PASSPHRASE] to decrypt the artifact (--decryption-key)."},
	{Name: "Retry", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--retry", Doc: "Pull retries (--retry)."},
	{Name: "RetryDelay", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Last, Flag: "--retry-delay", Doc: "Delay between pull retries (--retry-delay)."},
	{Name: "Quiet", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Bool, Flag: "--quiet", Doc: "No progress output (--quiet)."},
	{Name: "TLSVerify", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Bool, Flag: "--tls-verify", Doc: "Require HTTPS and valid registry certificates (--tls-verify)."},
	{Name: "PodmanArgs", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Flagless, Doc: "Extra podman artifact pull arguments."},
	{Name: "Artifact", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: Custom, Emit: emitArtifactRef, Doc: "Fully qualified artifact to pull; required."},
	{Name: "ContainersConfModule", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: NoArg, Doc: "containers.conf module (--module)."},
	{Name: "GlobalArgs", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: NoArg, Doc: "Arguments between podman and artifact."},
	{Name: "ServiceName", Since: version.V{Major: 5, Minor: 7, Patch: 0}, Form: NoArg, Doc: "Name of the generated service; default NAME-artifact."},
}

// convertArtifact makes a oneshot service that pulls the artifact.
func convertArtifact(c *ctx) {
	if !c.has(artifactPull) {
		c.tooNewUnit(artifactPull, "podman artifact pull")
	}
	artifact := c.lookup("Artifact")
	if artifact == "" {
		c.errorf("Artifact", "missing-key", "no Artifact key specified")
	}
	if c.failed() {
		return
	}
	c.pull("artifact", artifact)
	if !c.failed() {
		c.info.ResourceName = artifact
	}
}

// tooNewUnit reports, once for the file, a unit type whose command the
// target podman does not have.
func (c *ctx) tooNewUnit(min version.V, command string) {
	c.diags.Add(diag.Diagnostic{Pos: c.pos(""), Severity: diag.Error, Code: "too-new",
		Message: fmt.Sprintf("%s needs podman %s or newer: %s units run %s; the target is podman %s",
			c.unit.Name, min, c.kind.Ext, command, c.opts.target()),
		Hint: "target a newer podman with --podman-version"})
}

func emitArtifactRef(c *ctx, cmd *cmdline) error {
	cmd.add(c.lookup("Artifact"))
	return nil
}
