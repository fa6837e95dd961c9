package observe

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Grafana cannot run here (no image, no package), so what berth observe
// writes for it is checked against Grafana's documented provisioning format
// (administration/provisioning: "Data sources", "Dashboards"; the dashboard
// JSON model): strict decoding into the documented fields, then the rules
// the documentation states. Unverified by a running Grafana.

// grafanaDatasources is the documented data source provisioning file.
type grafanaDatasources struct {
	APIVersion        int `yaml:"apiVersion"`
	DeleteDatasources []struct {
		Name  string `yaml:"name"`
		OrgID int    `yaml:"orgId"`
	} `yaml:"deleteDatasources"`
	Prune       bool `yaml:"prune"`
	Datasources []struct {
		Name            string         `yaml:"name"`
		Type            string         `yaml:"type"`
		Access          string         `yaml:"access"`
		OrgID           int            `yaml:"orgId"`
		UID             string         `yaml:"uid"`
		URL             string         `yaml:"url"`
		User            string         `yaml:"user"`
		Database        string         `yaml:"database"`
		BasicAuth       bool           `yaml:"basicAuth"`
		BasicAuthUser   string         `yaml:"basicAuthUser"`
		WithCredentials bool           `yaml:"withCredentials"`
		IsDefault       bool           `yaml:"isDefault"`
		JSONData        map[string]any `yaml:"jsonData"`
		SecureJSONData  map[string]any `yaml:"secureJsonData"`
		Version         int            `yaml:"version"`
		Editable        bool           `yaml:"editable"`
	} `yaml:"datasources"`
}

// grafanaProviders is the documented dashboard provider file.
type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		OrgID                 int    `yaml:"orgId"`
		Folder                string `yaml:"folder"`
		FolderUID             string `yaml:"folderUid"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// grafanaDashboard is the part of the dashboard JSON model berth writes.
type grafanaDashboard struct {
	ID            *int     `json:"id"`
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	Tags          []string `json:"tags"`
	Timezone      string   `json:"timezone"`
	SchemaVersion int      `json:"schemaVersion"`
	Version       int      `json:"version"`
	Refresh       string   `json:"refresh"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Links []struct {
		Title       string `json:"title"`
		Type        string `json:"type"`
		URL         string `json:"url"`
		TargetBlank bool   `json:"targetBlank"`
	} `json:"links"`
	Panels []struct {
		ID          int    `json:"id"`
		Type        string `json:"type"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Datasource  struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		GridPos struct {
			X int `json:"x"`
			Y int `json:"y"`
			W int `json:"w"`
			H int `json:"h"`
		} `json:"gridPos"`
		FieldConfig struct {
			Defaults  map[string]any `json:"defaults"`
			Overrides []any          `json:"overrides"`
		} `json:"fieldConfig"`
		Targets []struct {
			RefID        string `json:"refId"`
			Expr         string `json:"expr"`
			LegendFormat string `json:"legendFormat"`
			Datasource   struct {
				Type string `json:"type"`
				UID  string `json:"uid"`
			} `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

func strictYAML(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: not Grafana's documented format: %v", name, err)
	}
}

// uidRe is what Grafana accepts as a uid: at most 40 of [a-zA-Z0-9-_].
var uidRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)

func TestGrafanaProvisioningStructure(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"all", Options{}},
		{"collector", Options{Collector: true}},
		{"no-jaeger", Options{Without: map[string]bool{CompJaeger: true}}},
		{"no-prometheus", Options{Without: map[string]bool{CompPrometheus: true}}},
		{"a-very-long-stack-name-that-grafana-would-cut-somewhere", Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.name)
			writeFile(t, filepath.Join(dir, "app.network"), netUnit)
			writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.metrics=8000", "io.berth.otel=true"))
			st, err := LoadStack(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			files, err := Plan(st, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGrafana(t, st, tc.opts, files)
		})
	}
}

func checkGrafana(t *testing.T, st *Stack, opts Options, files map[string][]byte) {
	n := names{st.Name}
	unit, diags := unitfile.Parse("grafana.container", files[n.unit("grafana")])
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The folders are mounted where Grafana reads provisioning by default
	// (paths.provisioning) and where the provider says dashboards are.
	mounts := map[string]string{}
	for _, l := range unit.AllLines("Container", "Volume") {
		parts := strings.Split(l.Value, ":")
		mounts[parts[1]] = parts[0]
	}
	if mounts["/etc/grafana/provisioning"] != "./observe/grafana/provisioning" || mounts["/var/lib/grafana"] == "" {
		t.Errorf("grafana mounts: %v", mounts)
	}

	var ds grafanaDatasources
	strictYAML(t, pathDatasources, files[pathDatasources], &ds)
	if ds.APIVersion != 1 {
		t.Errorf("datasources apiVersion %d, want 1", ds.APIVersion)
	}
	uids := map[string]string{} // uid -> type
	defaults := 0
	for _, d := range ds.Datasources {
		u, err := url.Parse(d.URL)
		switch {
		case d.Name == "" || d.Type == "":
			t.Errorf("datasource without name or type: %+v", d)
		case d.Type != "prometheus" && d.Type != "jaeger":
			t.Errorf("datasource type %q is not a core plugin id", d.Type)
		case d.Access != "proxy" && d.Access != "direct":
			t.Errorf("%s: access %q", d.Name, d.Access)
		case !uidRe.MatchString(d.UID):
			t.Errorf("%s: uid %q", d.Name, d.UID)
		case err != nil || u.Scheme != "http" || u.Host == "":
			t.Errorf("%s: url %q", d.Name, d.URL)
		}
		// Grafana reaches them by container name on the stack network.
		want := map[string]string{"prometheus": n.container("prometheus") + ":9090", "jaeger": n.container("jaeger") + ":16686"}[d.Type]
		if u != nil && u.Host != want {
			t.Errorf("%s: url host %q, want %q", d.Name, u.Host, want)
		}
		if d.IsDefault {
			defaults++
		}
		uids[d.UID] = d.Type
	}
	wantDS := 0
	for _, c := range []string{CompPrometheus, CompJaeger} {
		if opts.Has(c) {
			wantDS++
		}
	}
	if len(ds.Datasources) != wantDS || defaults > 1 || (opts.Has(CompPrometheus) && defaults != 1) {
		t.Errorf("%d datasources (want %d), %d default", len(ds.Datasources), wantDS, defaults)
	}

	var pv grafanaProviders
	strictYAML(t, pathDashProvider, files[pathDashProvider], &pv)
	if pv.APIVersion != 1 || len(pv.Providers) != 1 {
		t.Fatalf("providers: %+v", pv)
	}
	p := pv.Providers[0]
	if p.Name == "" || p.Type != "file" || mounts[p.Options.Path] != "./observe/grafana/dashboards" {
		t.Errorf("provider %+v does not read the mounted dashboards folder (mounts %v)", p, mounts)
	}

	data := files[dashboardPath(st.Name)]
	var d grafanaDashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("dashboard: not the JSON model: %v", err)
	}
	if d.ID != nil || !uidRe.MatchString(d.UID) || d.Title == "" || d.SchemaVersion < 36 || len(d.Panels) == 0 {
		t.Errorf("dashboard: id %v uid %q title %q schemaVersion %d, %d panels", d.ID, d.UID, d.Title, d.SchemaVersion, len(d.Panels))
	}
	ids := map[int]bool{}
	for _, pn := range d.Panels {
		if ids[pn.ID] || pn.ID == 0 {
			t.Errorf("panel id %d repeated or zero", pn.ID)
		}
		ids[pn.ID] = true
		g := pn.GridPos
		if pn.Type != "timeseries" || g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: type %q gridPos %+v (24 columns)", pn.Title, pn.Type, g)
		}
		refs := map[string]bool{}
		for _, tg := range pn.Targets {
			if refs[tg.RefID] || tg.RefID == "" || tg.Expr == "" || strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") ||
				strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") {
				t.Errorf("panel %q: target %+v", pn.Title, tg)
			}
			refs[tg.RefID] = true
			if opts.Has(CompPrometheus) && uids[tg.Datasource.UID] != "prometheus" {
				t.Errorf("panel %q: datasource uid %q is not a provisioned Prometheus", pn.Title, tg.Datasource.UID)
			}
		}
	}
	for _, l := range d.Links {
		if strings.Contains(l.URL, "16686") && !opts.Has(CompJaeger) {
			t.Errorf("a Jaeger link without Jaeger: %+v", l)
		}
	}
}
