package compose

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
)

// build writes a .build for build: and runs the container from it. Targets
// whose quadlet has no .build get Image= of the tag and the podman build
// command to run first.
func (v *svc) build() {
	b := v.s.Build
	tag := v.s.Image
	if tag == "" {
		tag = v.p.Name + "-" + v.name
	}
	file := b.Dockerfile
	if file != "" && !filepath.IsAbs(file) && !isRemote(b.Context) {
		file = filepath.Join(b.Context, file)
	}
	if _, err := os.Stat(file); b.Dockerfile == "Dockerfile" && err != nil {
		file = "" // compose-go's default; podman build finds Containerfile or Dockerfile itself
	}
	if b.DockerfileInline != "" {
		if v.opts.InlineDir == "" {
			v.fail("build.dockerfile_inline", "quadlet builds need a Containerfile on disk", "convert with -o DIR (berth writes it there), or save it to a file and set build.dockerfile")
			v.u.set("Image", tag)
			v.buildLosses()
			return
		}
		// Named by its content, so that a changed Dockerfile changes the
		// .build unit and is built again.
		sum := sha256.Sum256([]byte(b.DockerfileInline))
		file = filepath.Join(v.opts.InlineDir, v.p.Name+"-"+v.name+"-"+hex.EncodeToString(sum[:4])+".Containerfile")
		v.rep.Files = append(v.rep.Files, File{Path: file, Data: []byte(b.DockerfileInline)})
	}
	if !v.supports(quadlet.BuildKind(), "ImageTag") {
		v.u.set("Image", tag)
		v.approx("build", "the target podman's quadlet has no .build units; the image must exist before the container starts",
			"run once: podman build -t "+tag+fileFlag(file)+" "+b.Context)
		return
	}
	u := v.newUnit(v.buildFile(v.name), quadlet.BuildKind(), "image build of compose service "+v.name+" of project "+v.p.Name)
	u.set("ImageTag", tag)
	for _, t := range b.Tags {
		u.set("ImageTag", t)
	}
	u.set("SetWorkingDirectory", b.Context)
	if file != "" {
		u.set("File", file)
	}
	v.buildOptions(u)
	v.u.setRaw("Image", u.name)
}

func fileFlag(file string) string {
	if file == "" {
		return ""
	}
	return " -f " + file
}

func isRemote(ctx string) bool {
	return strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@") || strings.HasPrefix(ctx, "github.com/")
}

// buildOptions maps the rest of build:.
func (v *svc) buildOptions(u *unit) {
	b := v.s.Build
	for _, k := range sortedKeys(b.Args) {
		arg := k
		if val := b.Args[k]; val != nil {
			arg += "=" + *val
		} else if val, ok := v.p.Environment[k]; ok {
			arg += "=" + val
		}
		if v.supports(u.kind, "BuildArg") {
			u.setWords("BuildArg", arg)
		} else {
			u.podmanArgs("--build-arg=" + arg)
		}
	}
	if b.Target != "" {
		u.set("Target", b.Target)
	}
	for _, k := range sortedKeys(b.Labels) {
		u.setWords("Label", k+"="+b.Labels[k])
	}
	if b.Network != "" {
		u.set("Network", b.Network)
	}
	if b.Pull {
		u.set("Pull", "always")
	}
	if b.NoCache {
		u.podmanArgs("--no-cache")
	}
	for _, h := range b.ExtraHosts.AsList(":") {
		u.podmanArgs("--add-host=" + h)
	}
	if b.ShmSize > 0 {
		u.podmanArgs("--shm-size=" + bytesString(int64(b.ShmSize)))
	}
	if len(b.Platforms) > 0 {
		u.podmanArgs("--platform=" + strings.Join(b.Platforms, ","))
	}
	for _, k := range sortedKeys(b.AdditionalContexts) {
		u.podmanArgs("--build-context=" + k + "=" + b.AdditionalContexts[k])
	}
	for _, k := range sortedKeys(b.Ulimits) {
		u.podmanArgs("--ulimit=" + ulimitString(k, b.Ulimits[k]))
	}
	v.buildSecrets(u)
	for _, s := range b.SSH {
		spec := s.ID
		if s.Path != "" {
			spec += "=" + s.Path
		}
		u.podmanArgs("--ssh=" + spec)
	}
	v.buildLosses()
}

// buildLosses reports build: keys podman build cannot honour.
func (v *svc) buildLosses() {
	b := v.s.Build
	if len(b.CacheFrom) > 0 || len(b.CacheTo) > 0 {
		v.dropped("build.cache_from", "BuildKit cache import/export has no podman equivalent here", "podman build caches layers locally")
	}
	if len(b.NoCacheFilter) > 0 {
		v.approx("build.no_cache_filter", "podman cannot skip the cache for single stages", "")
	}
	if b.Privileged || len(b.Entitlements) > 0 {
		v.dropped("build.privileged", "privileged builds and entitlements are not supported by podman build", "")
	}
	if b.Isolation != "" {
		v.note("build.isolation", "Windows-only setting ignored", "")
	}
	if b.Provenance != "" || b.SBOM != "" {
		v.dropped("build.provenance", "podman build makes no provenance or SBOM attestations", "")
	}
}

// buildSecrets passes file secrets to RUN --mount=type=secret steps, under
// their target name (default: the secret's name), as docker compose does.
func (v *svc) buildSecrets(u *unit) {
	for i, ref := range v.s.Build.Secrets {
		at := "build.secrets." + strconv.Itoa(i)
		sec, ok := v.p.Secrets[ref.Source]
		switch {
		case !ok:
			v.fail(at, "secret "+ref.Source+" is not declared", "declare it under the top-level secrets:")
			continue
		case sec.File == "":
			v.dropped(at, "only file secrets can be passed to podman build", "use file: for secret "+ref.Source)
			continue
		}
		id := ref.Target
		if id == "" {
			id = ref.Source
		}
		spec := "id=" + id + ",src=" + sec.File
		if v.supports(u.kind, "Secret") {
			u.setWords("Secret", spec)
		} else {
			u.podmanArgs("--secret=" + spec)
		}
	}
}
