package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/flood"
	"github.com/onemap/onemap/web"
)

// TestBrowserLiveFlood: a reading over a point's alert level, posted to
// the SensorThings API, turns the point to alarm on the screen and changes
// the KPI panel within a second, without a reload.
func TestBrowserLiveFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	c := layers.NewCatalog()
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	if err := d.Put(c, layers.OwnerDemo); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	warmed := make(chan struct{})
	routes, collectors, err := web.Routes(context.Background(), web.RoutesConfig{Catalog: c, District: d, Log: logger,
		Warmed: func(int, error) { close(warmed) }})
	if err != nil {
		t.Fatal(err)
	}
	<-warmed
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors...)
	app := web.NewApp(web.AppConfig{Catalog: c, Log: logger, Registry: reg, Routes: routes, Tokens: web.Tokens{"s": web.SensorRole}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &requestLog{host: ln.Addr().String(), cert: selfSigned(t)}
	hs := &http.Server{Handler: rl.wrap(app), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	srv := &server{url: "http://" + ln.Addr().String(), catalog: c, log: rl}

	// A point the feed will move from normal to alarm.
	target := feature(t, c, flood.Layer, func(f *layers.Feature) bool { return f.Properties["state"] == "normal" })
	pt := target.Geometry.(orb.Point)
	alert := target.Properties["alert_level_m"].(float64)
	ds := target.Properties["datastream_id"].(int64)

	b := newBrowser(t, srv)
	b.open(1920, 1080)
	b.waitTrue(`!!(window.onemap.live)`, "live feed subscribed")
	kpiBefore := b.text("#kpi")
	eval[bool](b, fmt.Sprintf(`window.onemap.map.jumpTo({center: [%f, %f], zoom: 15}), true`, pt[0], pt[1]))
	b.idle()
	before := b.screenshot("live-flood-before.png")
	// In the page: when the point's feature state is alarm and the KPI
	// text has changed, note the time.
	eval[bool](b, fmt.Sprintf(`window.__alarmAt = new Promise((resolve) => {
		const kpi0 = document.querySelector('#kpi').textContent;
		const poll = () => {
			if (!window.__stateAt && window.onemap.map.getFeatureState({source: 'onemap', sourceLayer: 'flood_points', id: %[1]d}).state === 'alarm') window.__stateAt = Date.now();
			const st = window.onemap.map.getFeatureState({source: 'onemap', sourceLayer: 'flood_points', id: %[1]d});
			if (st.state === 'alarm' && document.querySelector('#kpi').textContent !== kpi0) resolve(Date.now());
			else requestAnimationFrame(poll);
		};
		poll();
	}), true`, target.ID))
	posted := time.Now()
	req, _ := http.NewRequest("POST", srv.url+web.STAPrefix+"/Observations",
		strings.NewReader(fmt.Sprintf(`{"result": %.3f, "Datastream": {"@iot.id": %d}}`, alert+0.3, ds)))
	req.Header.Set("Authorization", "Bearer s")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("POST observation: %d", res.StatusCode)
	}
	at := eval[float64](b, `window.__alarmAt`)
	delay := time.UnixMilli(int64(at)).Sub(posted)
	stateAt := eval[float64](b, `window.__stateAt`)
	t.Logf("reading posted → point in alarm on the page: %v; KPI changed too: %v", time.UnixMilli(int64(stateAt)).Sub(posted), delay)
	if delay > time.Second {
		t.Errorf("the page took %v (> 1 s) to show the alarm", delay)
	}
	if got := eval[int](b, `window.onemap.live.received`); got < 1 {
		t.Errorf("%d flood_state messages received", got)
	}
	if kpi := b.text("#kpi"); kpi == kpiBefore {
		t.Errorf("KPI unchanged: %q", kpi)
	}
	b.idle()
	after := b.screenshot("live-flood-after.png")
	x, y := b.screen(pt)
	// The point's pixel went from the normal green to the alarm red.
	if p := rgb(after, int(x), int(y)); !(p[0] > 180 && p[1] < 120) {
		t.Errorf("point pixel after the alarm %v, want red (before %v)", p, rgb(before, int(x), int(y)))
	}
	if navs := eval[int](b, `performance.getEntriesByType('navigation').length`); navs != 1 {
		t.Errorf("%d navigations: the page reloaded", navs)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
