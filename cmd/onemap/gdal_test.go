package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// requestLog records the requests a server answered.
type requestLog struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		u := *r.URL
		l.urls = append(l.urls, &u)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) take() []*url.URL {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.urls
	l.urls = nil
	return out
}

// gdalServer serves the demo district, logging requests.
func gdalServer(t *testing.T) (*httptest.Server, *requestLog, *app) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, defaultConfig(), nil, quietLog())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	log := &requestLog{}
	s := httptest.NewServer(log.wrap(a.handler))
	t.Cleanup(func() { s.Close(); cancel(); a.close() })
	return s, log, a
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian: apt-get install gdal-bin)", name)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), "Unexpected Content-Type") || strings.Contains(string(out), "ERROR") {
		t.Fatalf("%s %s complains:\n%s", name, strings.Join(args, " "), out)
	}
	return string(out)
}

var featureCount = regexp.MustCompile(`Layer name: (\S+)[\s\S]*?Feature Count: (\d+)`)

func counts(out string) map[string]int {
	m := map[string]int{}
	for _, g := range featureCount.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(g[2])
		m[g[1]] = n
	}
	return m
}

// TestGDALOpensEveryCollection: GDAL's OAPIF driver opens the landing
// page, reads every collection with its count, and ogr2ogr copies them
// all with no complaint about content types.
func TestGDALOpensEveryCollection(t *testing.T) {
	ogrinfo, ogr2ogr := needTool(t, "ogrinfo"), needTool(t, "ogr2ogr")
	s, _, a := gdalServer(t)
	src := "OAPIF:" + s.URL + "/"
	info := counts(runTool(t, ogrinfo, "-ro", "-so", "-al", src))
	names := a.catalog.Names()
	if len(info) != len(names) {
		t.Fatalf("ogrinfo lists %d layers, the catalog %d: %v", len(info), len(names), info)
	}
	for _, n := range names {
		l, _ := a.catalog.Layer(n)
		if info[n] != l.Snapshot().Len() {
			t.Errorf("%s: ogrinfo counts %d, the catalog holds %d", n, info[n], l.Snapshot().Len())
		}
	}
	out := filepath.Join(t.TempDir(), "all.gpkg")
	runTool(t, ogr2ogr, "-f", "GPKG", out, src, "-oo", "PAGE_SIZE=1000")
	copied := counts(runTool(t, ogrinfo, "-ro", "-so", "-al", out))
	for _, n := range names {
		l, _ := a.catalog.Layer(n)
		if copied[n] != l.Snapshot().Len() {
			t.Errorf("%s: ogr2ogr copied %d of %d", n, copied[n], l.Snapshot().Len())
		}
	}
}

// TestGDALPushesFiltersToTheServer: ogr2ogr's -where and -spat reach the
// server as a CQL2 filter and a bbox, and GDAL needs no more requests than
// the pages of the answer.
func TestGDALPushesFiltersToTheServer(t *testing.T) {
	ogr2ogr := needTool(t, "ogr2ogr")
	s, log, _ := gdalServer(t)
	src := "OAPIF:" + s.URL + "/"
	for _, tc := range []struct {
		layer, where string
		spat         []string
		pageSize     int
	}{
		{"grids", "level = 'grid' AND residents > 3000", nil, 10},
		{"buildings", "use = 'residential' AND floors >= 10", []string{"114.03", "22.53", "114.04", "22.54"}, 100},
		{"hazards", "class <> 'industrial' OR risk_level = 4", nil, 1000},
	} {
		out := filepath.Join(t.TempDir(), tc.layer+".geojson")
		args := []string{"-f", "GeoJSON", out, src, tc.layer, "-where", tc.where, "-oo", "PAGE_SIZE=" + strconv.Itoa(tc.pageSize)}
		if tc.spat != nil {
			args = append(args, append([]string{"-spat"}, tc.spat...)...)
		}
		log.take()
		runTool(t, ogr2ogr, args...)
		reqs := log.take()

		// What the server answers to the same filter.
		q := url.Values{"filter": {tc.where}, "limit": {"1"}}
		if tc.spat != nil {
			q.Set("bbox", strings.Join(tc.spat, ","))
		}
		resp, err := http.Get(s.URL + "/collections/" + tc.layer + "/items?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			NumberMatched int `json:"numberMatched"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&fc)
		resp.Body.Close()

		var filtered int
		for _, u := range reqs {
			if strings.HasSuffix(u.Path, "/items") && u.Query().Get("filter") != "" {
				filtered++
				if tc.spat != nil && u.Query().Get("bbox") == "" {
					t.Errorf("%s: -spat not sent: %s", tc.layer, u)
				}
			}
		}
		pages := fc.NumberMatched/tc.pageSize + 1
		var got struct {
			Features []any `json:"features"`
		}
		b, _ := exec.Command("cat", out).Output()
		_ = json.Unmarshal(b, &got)
		t.Logf("%s -where %q: %d features in %d filtered requests (%d pages of %d); %d requests in all", tc.layer, tc.where,
			len(got.Features), filtered, pages, tc.pageSize, len(reqs))
		if fc.NumberMatched == 0 || len(got.Features) != fc.NumberMatched {
			t.Errorf("%s: ogr2ogr wrote %d features, the server matches %d", tc.layer, len(got.Features), fc.NumberMatched)
		}
		if filtered == 0 || filtered > pages {
			t.Errorf("%s: %d filtered requests for %d pages: %v", tc.layer, filtered, pages, reqs)
		}
	}
}
