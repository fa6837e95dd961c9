package compose

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
)

// envFile maps one env_file entry to EnvironmentFile=. The file is
// referenced, not copied, so its values (often secrets) stay out of the
// unit. podman reads env files literally, without compose's quoting and
// interpolation: variables the two read differently are reported by name.
func (v *svc) envFile(i int, ef types.EnvFile) {
	key := "env_file." + strconv.Itoa(i)
	data, err := os.ReadFile(ef.Path)
	if err != nil {
		if !bool(ef.Required) && os.IsNotExist(err) {
			v.note(key, "optional env file "+v.p.rel(ef.Path)+" does not exist and is skipped", "")
			return
		}
		v.fail(key, "cannot read env file: "+err.Error(), "create the file or mark it required: false")
		return
	}
	v.u.set("EnvironmentFile", ef.Path)
	if ef.Format != "" && ef.Format != "raw" {
		v.approx(key, "podman reads env files in its own format, not "+ef.Format, "convert the file to KEY=value lines")
		return
	}
	if ef.Format == "raw" {
		return
	}
	differ := envFileDifferences(data, v.p.Environment)
	if len(differ) > 0 {
		v.approx(key, "podman reads "+v.p.rel(ef.Path)+" literally; compose unquotes or interpolates "+strings.Join(differ, ", "),
			"write those lines as plain KEY=value without quotes, ${...} or export")
	}
}

// envFileDifferences lists the variables that compose's dotenv parser and
// podman's literal KEY=value reading disagree on, sorted.
func envFileDifferences(data []byte, env map[string]string) []string {
	composeVals, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(k string) (string, bool) {
		val, ok := env[k]
		return val, ok
	})
	if err != nil {
		return []string{"(the file does not parse: " + err.Error() + ")"}
	}
	podmanVals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, val, ok := strings.Cut(line, "="); ok {
			podmanVals[k] = val
		}
	}
	var differ []string
	for _, k := range sortedKeys(composeVals) {
		if pv, ok := podmanVals[k]; !ok || pv != composeVals[k] {
			differ = append(differ, k)
		}
	}
	return differ
}
