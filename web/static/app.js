// The one-map big screen of the command centre. Plain JavaScript (ES
// modules, no framework, no dependency but the vendored MapLibre GL JS):
// every request goes to onemap itself — /api/*, /style.json, /tiles/*,
// /fonts/*, /collections/* — so the page works on a closed network.
//
// This is the page's entry: it builds the map and starts the panels. The
// page's parts are ES modules in js/, one per part (no build step);
// index.html preloads every one of them (rel=modulepreload), so that they
// load at once and not one import after another.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import {state} from './js/state.js';
import {labelText} from './js/i18n.js';
import {$, report} from './js/ui.js';
import {getJSON} from './js/http.js';
import {addPageLayers, createMap, interactiveLayers, scaleStyle, skipUnstyledSky, zoomAt} from './js/map.js';
import {setLayerVisible} from './js/panel.js';
import {buildIndicators, drillTo, stats} from './js/drill.js';
import {onMapClick} from './js/popups.js';
import {setupSearch} from './js/search.js';
import {renderDispatch, setPicking} from './js/desk.js';
import {buildTabs, openTab} from './js/tabs.js';
import {setResource} from './js/resources.js';
import {setLanguage} from './js/language.js';
import {tick} from './js/clock.js';
import {startLive} from './js/live.js';

async function start() {
  state.lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';
  state.scale = Math.max(1, Math.min(3, window.innerHeight / 1080));
  document.documentElement.style.setProperty('--ui-scale', String(state.scale));
  // The district's figures and its streets' are fetched with the config, so
  // the choropleth is ready when the tiles are.
  stats('').then((root) => { for (const k of root.children || []) stats(k.code).catch(() => {}); }).catch(() => {});
  const [config, style] = await Promise.all([getJSON('/api/config'), getJSON('/style.json')]);
  mark('config');
  // One turn of the event loop before building the map (a long task on a
  // slow machine): the browser starts MapLibre's worker, which prewarm()
  // asked for, now rather than after it, and the first tiles are asked for
  // sooner.
  await new Promise((resolve) => setTimeout(resolve, 0));
  state.config = config;
  // Instant restyling and short label fades: the wall is watched, not browsed.
  style.transition = {duration: 150, delay: 0};
  for (const s of config.layers || []) state.schemas.set(s.name, s);
  for (const l of style.layers) {
    if (l.metadata && l.metadata['onemap:role'] === 'label') l.layout['text-field'] = labelText(l.metadata['onemap:field'], state.lang);
  }
  state.labelLang = state.lang;

  // The style's ground colour is painted by the page (CSS) under a
  // transparent map: in software WebGL a full-screen fill costs every
  // frame ~9 ms and the first frame a shader program.
  const ground = style.layers.findIndex((l) => l.type === 'background');
  if (ground >= 0) {
    $('#map').style.backgroundColor = style.layers[ground].paint['background-color'];
    style.layers.splice(ground, 1);
  }
  const bounds = config.bounds;
  const map = createMap({
    container: 'map',
    style: scaleStyle(addPageLayers(style), state.scale),
    bounds: bounds ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    center: bounds ? undefined : config.center,
    zoom: bounds ? undefined : 12,
    fitBoundsOptions: {padding: 24 * state.scale},
    fadeDuration: 150,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
    attributionControl: {compact: false},
    dragRotate: false,
    pitchWithRotate: false,
    maxZoom: zoomAt(19),
    // The style is validated by the browser test (a long task of ~30 ms
    // on every start otherwise).
    validateStyle: false,
  });
  skipUnstyledSky(map, style);
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({showCompass: false}), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({unit: 'metric'}), 'bottom-left');
  window.onemap.map = map;
  // ready: every tile of the first view drawn and the district's panels
  // and choropleth in place.
  let pending = 2;
  const done = () => { if (--pending === 0) window.onemap.resolveReady(); };
  map.once('style.load', () => {
    mark('style');
    state.styleReady = true;
    setLanguage(state.lang);
    // The district's choropleth and focus are feature state, set before the
    // tiles come so that their first frame has them. A server without the
    // grid hierarchy (an OSM extract) still shows its map.
    drillTo(null, {fit: false}).then(() => { mark('choropleth'); done(); }, (err) => { report(err); done(); });
    startLive();
  });
  // Frames drawn until every tile of the first view is in.
  let frames = 0;
  const countFrame = () => { frames++; };
  map.on('render', countFrame);
  map.once('load', () => {
    mark('load');
    map.off('render', countFrame);
    window.onemap.firstViewFrames = frames;
    map.once('idle', () => {
      // Navigation → every tile of the first view loaded and drawn (Performance API).
      window.onemap.firstIdleMs = performance.now();
      window.onemap.firstIdleTilesLoaded = map.areTilesLoaded();
      mark('idle');
      done();
    });
  });
  map.on('click', onMapClick);
  map.on('mousemove', (e) => {
    if (state.picking) return;
    const hit = map.queryRenderedFeatures(e.point, {layers: interactiveLayers()});
    map.getCanvas().style.cursor = hit.length ? 'pointer' : '';
  });

  buildIndicators();
  buildTabs();
  $('#synthetic').hidden = !config.synthetic;
}

// mark records a phase of start-up with the Performance API (ms since navigation).
function mark(name) {
  performance.mark('onemap-' + name);
  window.onemap.timings[name] = Math.round(performance.now());
}

let resolveReady;
window.onemap = {
  timings: {},
  state,
  ready: new Promise((r) => { resolveReady = r; }),
  resolveReady: () => resolveReady(),
  drillTo: (unit, opts) => drillTo(unit, opts),
  setLayerVisible: (name, on) => setLayerVisible(name, on),
  setLanguage: (lang) => setLanguage(lang),
  openTab: (id) => openTab(id),
  setResource: (r) => setResource(r),
};

mark('module');
// Start MapLibre's workers while the page fetches its configuration and style.
maplibregl.prewarm();
$('#lang').addEventListener('click', () => setLanguage(state.lang === 'zh' ? 'en' : 'zh'));
$('#alarm').addEventListener('click', () => setPicking(!state.picking));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.picking) setPicking(false); });
setupSearch();
tick();
setInterval(tick, 1000);
renderDispatch();
start().catch((err) => {
  report(err);
  throw err;
});
