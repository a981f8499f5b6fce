// The MapLibre map: the one instance (createMap), the style scaled for the
// wall, the page's own layers added to the style, its GeoJSON sources, and
// the index of the style's layers the panels toggle and restyle.

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {state} from './state.js';
import {emptyFC} from './geo.js';
import {ADMIN, LAYER_OPACITY} from './constants.js';

// scaleStyle makes a wall of k×1080 pixels show what a 1920×1080 one does,
// as a device pixel ratio of k would: MapLibre shows the same area at zoom
// z + log2(k), so every zoom in the style (stops, filters, layer ranges)
// moves by log2(k) and every size (text, circles, lines) grows k times.
export function scaleStyle(style, k) {
  if (k === 1) return style;
  const dz = Math.log2(k);
  const sizes = ['text-size', 'circle-radius', 'circle-stroke-width', 'line-width', 'text-halo-width'];
  const isZoom = (e) => Array.isArray(e) && e[0] === 'zoom';
  const shift = (v) => {
    if (!Array.isArray(v)) return v;
    if ((String(v[0]).startsWith('interpolate') && isZoom(v[2])) || (v[0] === 'step' && isZoom(v[1]))) {
      return v.map((x, i) => (i >= 3 && i % 2 === 1 ? x + dz : shift(x)));
    }
    if (['<', '<=', '>', '>=', '==', '!='].includes(v[0]) && isZoom(v[1]) && typeof v[2] === 'number') return [v[0], v[1], v[2] + dz];
    return v.map(shift);
  };
  const grow = (v) => {
    if (typeof v === 'number') return v * k;
    if (Array.isArray(v) && String(v[0]).startsWith('interpolate') && isZoom(v[2])) {
      return v.map((x, i) => (i >= 4 && i % 2 === 0 ? grow(x) : x));
    }
    return Array.isArray(v) ? ['*', k, v] : v;
  };
  for (const layer of style.layers) {
    if (layer.minzoom) layer.minzoom += dz;
    if (layer.maxzoom) layer.maxzoom = Math.min(24, layer.maxzoom + dz);
    if (layer.filter) layer.filter = shift(layer.filter);
    for (const part of [layer.paint, layer.layout]) {
      if (!part) continue;
      for (const p of Object.keys(part)) {
        part[p] = shift(part[p]);
        if (sizes.includes(p)) part[p] = grow(part[p]);
      }
    }
  }
  return style;
}

// zoomAt is the zoom that shows on this wall what zoom z shows at 1080 pixels.
export const zoomAt = (z) => z + Math.log2(state.scale);

// map is the page's one map, made by createMap.
export let map;

// createMap makes the page's map (new maplibregl.Map(options)).
export function createMap(options) {
  map = new maplibregl.Map(options);
  return map;
}

// interactiveLayers are the style layers a click can hit, visible ones only.
export function interactiveLayers() {
  return styleIndex()
    .filter((l) => l.metadata && ['point', 'choropleth', 'cluster'].includes(l.metadata['onemap:role']))
    .filter((l) => l.type !== 'symbol' && map.getLayoutProperty(l.id, 'visibility') !== 'none')
    .map((l) => l.id);
}

// styleIndex lists the style's layers (id, type, metadata). Serialising the
// style is not cheap, so the list is kept until a layer is added.
let styleIndexCache = null;
export function styleIndex() {
  if (!styleIndexCache) styleIndexCache = map.getStyle().layers.map(({id, type, metadata, layout}) => ({id, type, metadata, layout}));
  return styleIndexCache;
}

// styleChanged drops the style index after layers were added.
export function styleChanged() {
  styleIndexCache = null;
}

export function styleLayersOf(name) {
  return styleIndex().filter((l) => l.metadata && l.metadata['onemap:layer'] === name);
}

// skipUnstyledSky stops MapLibre drawing a sky the style does not have.
// MapLibre 6 draws one (a transparent full-screen quad) in every frame
// even then, though it meant to skip it (maplibre-gl-js#3645); without a
// GPU it costs ~15 ms a frame, and its shader program the first frame.
// The frame is the same to the pixel without it (measured). If a later
// MapLibre renames these internals, nothing changes.
export function skipUnstyledSky(map, style) {
  const painter = map.painter;
  if (style.sky || !painter || !painter.drawFunctions || typeof painter.drawFunctions.sky !== 'function') return;
  painter.drawFunctions = {...painter.drawFunctions, sky: () => {}};
}

// addPageLayers adds the page's own layers over the served tiles to the
// style before the map starts, so that no tile is laid out twice.
export function addPageLayers(style) {
  const served = new Set((style.metadata && style.metadata['onemap:layers']) || []);
  const at = (pred) => { const i = style.layers.findIndex(pred); return i < 0 ? style.layers.length : i; };
  const level = ['==', ['get', 'level'], state.school.level];
  if (style.sources.onemap && served.has('grids')) {
    // The resource shortage map: grids coloured by feature state, under
    // every boundary, road and point; suggested sites' grids outlined.
    style.layers.splice(at((l) => l.metadata && ADMIN.includes(l.metadata['onemap:layer'])), 0,
      {id: 'resource-fill', type: 'fill', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'fill-color': ['coalesce', ['feature-state', 'res'], 'rgba(0,0,0,0)'], 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.78, 15, 0.6, 17, 0.4]},
        metadata: {'onemap:role': 'resource'}},
      {id: 'resource-line', type: 'line', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'line-color': '#0a0f1a', 'line-width': 0.5, 'line-opacity': ['case', ['to-boolean', ['feature-state', 'res']], 0.55, 0]},
        metadata: {'onemap:role': 'resource'}});
    style.layers.splice(at((l) => l.type === 'symbol'), 0,
      {id: 'siting-grid-line', type: 'line', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'line-color': ['coalesce', ['feature-state', 'site'], 'rgba(0,0,0,0)'], 'line-width': 1.6},
        metadata: {'onemap:role': 'siting'}});
  }
  if (style.sources.onemap && served.has('catchments')) {
    // Catchments are drawn as lines; a transparent fill makes them clickable.
    style.layers.splice(at((l) => l.id === 'catchments-line') + 1, 0,
      {id: 'catchments-hit', type: 'fill', source: 'onemap', 'source-layer': 'catchments', minzoom: 10, filter: level,
        layout: {visibility: 'none'}, paint: {'fill-color': 'rgba(0,0,0,0)'}, metadata: {'onemap:layer': 'catchments', 'onemap:role': 'hit'}});
  }
  if (style.sources.onemap && served.has('school_pressure')) {
    // The catchment whose chart is open.
    style.layers.splice(at((l) => l.type === 'symbol'), 0,
      {id: 'school-focus', type: 'line', source: 'onemap', 'source-layer': 'school_pressure', minzoom: 10,
        layout: {'line-join': 'round', visibility: 'none'},
        paint: {'line-color': '#ffe066', 'line-width': 3, 'line-opacity': ['case', ['boolean', ['feature-state', 'sel'], false], 0.95, 0]},
        metadata: {'onemap:role': 'school-focus'}});
  }
  for (const l of style.layers) {
    // The choropleth fills and focus outlines of the grid hierarchy start
    // undrawn; setState draws the level it colours or outlines.
    const role = l.metadata && l.metadata['onemap:role'];
    if (role === 'choropleth' || role === 'focus') {
      const prop = LAYER_OPACITY[l.type];
      l.paint = {...l.paint, [prop]: 0, [prop + '-transition']: {duration: 0, delay: 0}};
    }
  }
  for (const l of style.layers) {
    // School-place pressure: one level at a time (primary and junior
    // catchments overlap), and another projected year than the layer's
    // is painted by feature state.
    if (!l.metadata || l.metadata['onemap:layer'] !== 'school_pressure') continue;
    l.filter = level;
    if (l.type === 'fill') l.paint['fill-color'] = ['coalesce', ['feature-state', 'warn'], l.paint['fill-color']];
    if (l.type === 'line') l.paint['line-color'] = ['coalesce', ['feature-state', 'warn'], l.paint['line-color']];
  }
  return style;
}

// pageSource is the GeoJSON source the page draws name ('dispatch': the
// fire desk's routes, teams and incident; 'siting': suggested sites),
// added with its layers on first use: an empty source in the first view
// would cost it a frame.
export function pageSource(name) {
  if (!map || !state.styleReady) return null;
  if (!map.getSource(name)) {
    map.addSource(name, {type: 'geojson', data: emptyFC()});
    // Sites under the desk's routes, both over everything else.
    const before = name === 'siting' && map.getLayer('dispatch-route-casing') ? 'dispatch-route-casing' : undefined;
    for (const l of scaleStyle({layers: PAGE_LAYERS[name]()}, state.scale).layers) map.addLayer(l, before);
    styleIndexCache = null;
  }
  return map.getSource(name);
}

const isKind = (k) => ['==', ['get', 'kind'], k];
const PAGE_LAYERS = {
  siting: () => [
    {id: 'siting-link', type: 'line', source: 'siting', filter: isKind('link'),
      paint: {'line-color': ['get', 'color'], 'line-width': 1.3, 'line-opacity': 0.75}},
    // Proposed sites are rings (the fire desk's teams are filled discs).
    {id: 'siting-site-halo', type: 'circle', source: 'siting', filter: isKind('site'),
      paint: {'circle-radius': 22, 'circle-color': ['get', 'color'], 'circle-opacity': 0.25, 'circle-blur': 0.35}},
    {id: 'siting-site', type: 'circle', source: 'siting', filter: isKind('site'),
      paint: {'circle-radius': 13, 'circle-color': '#0a0f1a', 'circle-stroke-color': ['get', 'color'], 'circle-stroke-width': 3.5},
      metadata: {'onemap:role': 'site'}},
    {id: 'siting-site-rank', type: 'symbol', source: 'siting', filter: isKind('site'),
      layout: {'text-field': ['to-string', ['get', 'rank']], 'text-font': ['DejaVu Sans Book'], 'text-size': 15, 'text-allow-overlap': true, 'text-ignore-placement': true},
      paint: {'text-color': ['get', 'color']}}],
  dispatch: () => [
    {id: 'dispatch-route-casing', type: 'line', source: 'dispatch', filter: isKind('route'),
      layout: {'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['-', 10, ['get', 'rank']]},
      paint: {'line-color': '#05080f', 'line-width': 8, 'line-opacity': 0.8}},
    {id: 'dispatch-route', type: 'line', source: 'dispatch', filter: isKind('route'),
      layout: {'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['-', 10, ['get', 'rank']]},
      paint: {'line-color': ['get', 'color'], 'line-width': ['case', ['==', ['get', 'rank'], 1], 5, 3.5],
        'line-dasharray': ['case', ['get', 'straight'], ['literal', [2, 1.5]], ['literal', [1, 0]]]}},
    {id: 'dispatch-unit', type: 'circle', source: 'dispatch', filter: isKind('unit'),
      paint: {'circle-radius': 11, 'circle-color': ['get', 'color'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2}},
    {id: 'dispatch-unit-rank', type: 'symbol', source: 'dispatch', filter: isKind('unit'),
      layout: {'text-field': ['to-string', ['get', 'rank']], 'text-font': ['DejaVu Sans Book'], 'text-size': 13, 'text-allow-overlap': true},
      paint: {'text-color': '#05080f'}},
    {id: 'dispatch-incident-halo', type: 'circle', source: 'dispatch', filter: isKind('incident'),
      paint: {'circle-radius': 22, 'circle-color': '#ff3b30', 'circle-opacity': 0.3, 'circle-blur': 0.3}},
    {id: 'dispatch-incident', type: 'circle', source: 'dispatch', filter: isKind('incident'),
      paint: {'circle-radius': 8, 'circle-color': '#ff3b30', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3}}],
};

export function firstLabelLayer() {
  const l = styleIndex().find((x) => x.type === 'symbol');
  return l && l.id;
}

// showLayers shows or hides page layers drawn only while in use: a visible
// layer is laid out in every tile and drawn in every frame, even where it
// is transparent.
export function showLayers(ids, on) {
  for (const id of ids) {
    if (map.getLayer(id) && (map.getLayoutProperty(id, 'visibility') !== 'none') !== on) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
}

// drillTo makes unit (null: the whole district) the current area: the
