// Resources: the shortage and accessibility map of the grids, the totals,
// and suggested sites (p-median or MCLP).

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {state} from './state.js';
import {L, layerTitle, t} from './i18n.js';
import {$, el, fmt, report} from './ui.js';
import {getJSON, postJSON} from './http.js';
import {centroidOf} from './geo.js';
import {map, pageSource, showLayers, zoomAt} from './map.js';
import {setLayerVisible} from './panel.js';
import {buildIndicators, paintChoropleth} from './drill.js';

// The resources of the demand model: API name, label, facility layer, unit.
const RESOURCES = [
  {id: 'elderly_care', key: 'resElderly', layer: 'elderly_care', unit: ['张', 'beds'], per1000: true},
  {id: 'hospital_beds', key: 'resHospital', layer: 'hospitals', unit: ['张', 'beds'], per1000: true},
  {id: 'parking', key: 'resParking', layer: 'parking', unit: ['个', 'spaces'], per1000: false},
  {id: 'jobs', key: 'resJobs', layer: null, unit: ['个', 'jobs'], per1000: false},
];
const BASES = {aged_60_plus: ['60岁以上老人', 'residents aged 60+'], residents: ['常住人口', 'residents'],
  dwellings: ['住宅套数', 'dwellings'], working_age: ['劳动年龄人口', 'working-age residents']};
const resourceOf = (id) => RESOURCES.find((r) => r.id === id);
const unitOf = (r) => L(...resourceOf(r).unit);
// Shortage classes of the gap (demand − supply) per grid, surplus first.
const SURPLUS = '#2a9d8f';
const SHORT_RAMP = ['#f2d65c', '#f5a142', '#ee6a3a', '#d7263d'];
// Accessibility (reachable supply per unit of demand; below 1 the standard
// is not met) in quintiles, the worst served first.
const SCORE_RAMP = ['#d7263d', '#ee6a3a', '#f2d65c', '#7cc47f', SURPLUS];
// E2SFCA over road minutes, with a 10-minute catchment in three steps.
const ACCESS_WEIGHT = {type: 'step', steps: [[3, 1], [6, 0.68], [10, 0.22]]};
const SITE_COLORS = ['#38c6ff', '#ff6bd6', '#ffd60a', '#7cf29a', '#ff9f43', '#b38cff', '#ff5e57', '#5ee7df', '#f8f3a6', '#c3e86a'];

// resourceData fetches, once per resource, the shortage map's figures per
// grid (GET /api/models/demand as GeoJSON: ids, demand, supply, gap and the
// polygons whose centroids the suggested sites link to).
function resourceData(r) {
  const cache = state.res.cache;
  if (!cache.has(r)) {
    const p = getJSON(`/api/models/demand?resource=${encodeURIComponent(r)}&level=grid&format=geojson`).then((fc) => {
      const byId = new Map();
      for (const f of fc.features || []) byId.set(f.id, {...f.properties, centroid: centroidOf(f.geometry)});
      p.settled = {byId, total: fc.total || {}, supplyKnown: fc.supply_known !== false, ratio: fc.ratio, base: fc.base, scores: null};
      return p.settled;
    });
    p.catch(() => cache.delete(r));
    cache.set(r, p);
  }
  return cache.get(r);
}

// resourceScores adds each grid's accessibility (POST /api/models/access, which only computes).
async function resourceScores(r) {
  const d = await resourceData(r);
  if (!d.scores) {
    const a = await postJSON('/api/models/access', {resource: r, method: 'e2sfca', weight: ACCESS_WEIGHT});
    d.scores = new Map(a.demand_ids.map((id, i) => [id, a.reachable[i] ? a.scores[i] : 0]));
    d.costSource = a.cost_source;
  }
  return d;
}

// setResource puts a resource's shortage map on the grids (null: off); the
// district choropleth gives way to it and comes back after.
export function setResource(r, {keepIndicator = false} = {}) {
  const R = state.res;
  if (R.resource && R.resource !== r) {
    const old = resourceOf(R.resource);
    if (old.layer && R.facilitiesShown) setLayerVisible(old.layer, false);
  }
  R.facilitiesShown = false;
  R.resource = r;
  R.error = null;
  setSiting(null);
  if (r) {
    if (state.indicator !== 'resource') R.prevIndicator = state.indicator;
    state.indicator = 'resource';
    // Show where the supply is, when the layer is there and hidden.
    const lay = resourceOf(r).layer;
    if (lay && map.getLayer(lay + '-circle') && map.getLayoutProperty(lay + '-circle', 'visibility') === 'none') {
      setLayerVisible(lay, true);
      R.facilitiesShown = true;
    }
  } else if (!keepIndicator) {
    state.indicator = R.prevIndicator || 'residents';
  }
  buildIndicators();
  paintResource().catch(resourceError);
  paintChoropleth().catch(report);
  renderResource();
}

function setResourceMode(mode) {
  state.res.mode = mode;
  paintResource().catch(resourceError);
  renderResource();
}

export function resourceError(err) {
  console.warn('onemap resource:', err);
  state.res.error = err.message || String(err);
  renderResource();
}

// paintResource colours the grids by the chosen resource's gap or accessibility.
export async function paintResource() {
  const R = state.res;
  const seq = ++R.seq;
  const r = R.resource;
  const mode = R.mode;
  const d = r ? await (mode === 'score' ? resourceScores(r) : resourceData(r)) : null;
  if (seq !== R.seq) return;
  for (const id of R.painted) map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: null});
  R.painted = [];
  R.legend = null;
  if (!d) {
    showLayers(['resource-fill', 'resource-line'], false);
    return;
  }
  if (mode === 'score' && d.scores) {
    const sorted = [...d.scores.values()].sort((a, b) => a - b);
    const q = [1, 2, 3, 4].map((i) => sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / 5))]);
    const cls = (v) => q.filter((b) => v >= b).length;
    for (const [id, v] of d.scores) {
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: SCORE_RAMP[cls(v)]});
      R.painted.push(id);
    }
    const edges = [sorted[0], ...q, sorted[sorted.length - 1]];
    R.legend = {title: `${t(resourceOf(r).key)} · ${t('scoreLegend')}`,
      rows: SCORE_RAMP.map((c, i) => [c, `${fmt(edges[i], 2)} – ${fmt(edges[i + 1], 2)}`])};
  } else {
    // Shortage classes by quartiles of the grids short of supply.
    const short = [...d.byId.values()].map((p) => p.gap).filter((g) => g > 0).sort((a, b) => a - b);
    const q = [1, 2, 3].map((i) => short[Math.min(short.length - 1, Math.floor((i * short.length) / 4))] ?? 0);
    const cls = (g) => q.filter((b) => g >= b).length;
    for (const [id, p] of d.byId) {
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: p.gap <= 0 ? SURPLUS : SHORT_RAMP[cls(p.gap)]});
      R.painted.push(id);
    }
    const edges = [short[0] ?? 0, ...q, short[short.length - 1] ?? 0];
    R.legend = {title: `${t(resourceOf(r).key)} · ${t('gap')} (${unitOf(r)})`,
      rows: [[SURPLUS, t('surplus')], ...SHORT_RAMP.map((c, i) => [c, `${fmt(edges[i], 1)} – ${fmt(edges[i + 1], 1)}`])]};
  }
  showLayers(['resource-fill', 'resource-line'], R.painted.length > 0);
  if (state.indicator === 'resource') $('#choro-legend').replaceChildren(...resourceLegend());
  renderResource();
}

export function resourceLegend() {
  const lg = state.res.legend;
  if (!lg) return [el('div', {}, state.res.resource ? t('loading') : '')];
  return [el('div', {}, `${layerTitle('grids')} · ${lg.title}`),
    ...lg.rows.map(([c, label]) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), label))];
}

// resourceBlock lists a grid's figures of the resource on the map, for its popup.
export function resourceBlock(id) {
  const r = state.res.resource;
  const c = r && state.res.cache.get(r);
  const d = c && c.settled;
  const p = d && d.byId.get(id);
  if (!p) return null;
  const rows = [[t('demand'), fmt(p.demand, 1)], [t('supply'), d.supplyKnown ? fmt(p.supply, 1) : '–'], [t('gap'), fmt(p.gap, 1)]];
  if (d.scores && d.scores.has(id)) rows.push([t('byScore'), fmt(d.scores.get(id), 2)]);
  return el('div', {class: 'popup sub', 'data-layer': 'resource'},
    el('div', {class: 'kind'}, `${t(resourceOf(r).key)} (${unitOf(r)}) · ${p.name || p.code}`),
    el('table', {}, rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}

export function renderResource() {
  const R = state.res;
  const box = $('#resource');
  if (!box || state.tab !== 'resource') return;
  const r = R.resource;
  const c = r && R.cache.get(r);
  const d = c && c.settled;
  const picker = el('div', {class: 'seg', role: 'radiogroup', id: 'resources'}, [...RESOURCES.map((x) => el('button', {
    type: 'button', role: 'radio', 'data-resource': x.id, 'aria-checked': String(r === x.id), onclick: () => setResource(x.id),
  }, t(x.key))), el('button', {type: 'button', role: 'radio', 'data-resource': '', 'aria-checked': String(!r), onclick: () => setResource(null)}, t('none'))]);
  const kids = [el('h2', {}, t('resources')), picker];
  if (!r) {
    kids.push(el('p', {class: 'note'}, t('pickResource')));
    box.replaceChildren(...kids);
    return;
  }
  const noSupply = d && !d.supplyKnown;
  kids.push(el('div', {class: 'controls', style: 'margin-top:0.6rem'}, t('colourBy'), el('div', {class: 'seg', role: 'radiogroup'},
    [['gap', 'byGap'], ['score', 'byScore']].map(([m, key]) => {
      const b = el('button', {type: 'button', role: 'radio', 'data-mode': m, 'aria-checked': String(R.mode === m), onclick: () => setResourceMode(m)}, t(key));
      b.disabled = m === 'score' && (!d || noSupply);
      return b;
    }))));
  if (d) {
    const tot = d.total;
    const u = unitOf(r);
    const figure = (key, v, id, cls = '') => el('div', {class: 'tile ' + cls, id, 'data-value': v ?? ''},
      el('div', {class: 'v'}, fmt(v), el('span', {class: 'u'}, u)), el('div', {class: 'l'}, t(key)));
    kids.push(el('div', {class: 'tiles three', id: 'res-totals'},
      figure('demand', tot.demand, 'res-demand'),
      figure('supply', d.supplyKnown ? tot.supply : undefined, 'res-supply'),
      figure('gap', tot.gap, 'res-gap', tot.gap > 0 ? 'alarm' : 'ok')));
    const base = BASES[d.base] ? L(...BASES[d.base]) : d.base;
    const std = resourceOf(r).per1000 ? L(`每千名${base} ${fmt(d.ratio * 1000, 1)} ${u}`, `${fmt(d.ratio * 1000, 1)} per 1,000 ${base} (${u})`) :
      L(`每${base.replace(/数$/, '')} ${fmt(d.ratio, 2)} ${u}`, `${fmt(d.ratio, 2)} per ${base.replace(/s$/, '')} (${u})`);
    kids.push(el('p', {class: 'note'}, `${t('standard')}: ${std}` +
      (tot.demand > 0 && d.supplyKnown ? ` · ${t('met')} ${fmt((100 * tot.supply) / tot.demand)}%` : '')));
    if (noSupply) kids.push(el('p', {class: 'note err'}, t('noSupply')));
  } else if (!R.error) {
    kids.push(el('p', {class: 'note'}, t('loading')));
  }
  if (R.error) kids.push(el('p', {class: 'note err'}, `${t('failed')}: ${R.error}`));
  // Suggest N sites.
  const n = el('input', {type: 'number', id: 'site-n', min: 1, max: 10, step: 1, value: R.n,
    onchange: (e) => { R.n = Math.max(1, Math.min(10, Math.round(Number(e.target.value)) || 3)); e.target.value = R.n; }});
  const model = el('select', {id: 'site-model', onchange: (e) => { R.model = e.target.value; renderResource(); }},
    el('option', {value: 'p-median'}, t('pmedian')), el('option', {value: 'mclp'}, t('mclp')));
  model.value = R.model;
  const radius = R.model === 'mclp' ? el('label', {}, t('radius'), el('input', {type: 'number', id: 'site-radius', min: 0.5, max: 30, step: 0.5, value: R.radius,
    onchange: (e) => { R.radius = Math.max(0.1, Number(e.target.value) || 1.5); e.target.value = R.radius; }})) : null;
  const go = el('button', {type: 'button', id: 'suggest', onclick: () => suggestSites().catch(resourceError)}, t('suggestSites'));
  go.disabled = !d || noSupply || Boolean(R.siting && R.siting.loading);
  kids.push(el('h2', {style: 'margin-top:0.9rem'}, t('suggestSites')),
    el('div', {class: 'controls'}, el('label', {}, t('sitesN'), n), el('label', {}, t('model'), model), radius, go),
    el('div', {id: 'siting'}, sitingBlock()));
  box.replaceChildren(...kids);
}

// suggestSites asks POST /api/models/siting (a computation: no token) for
// N new sites of the resource, given its existing facilities, over every
// grid's demand with every grid centroid a candidate.
async function suggestSites() {
  const R = state.res;
  const r = R.resource;
  if (!r || (R.siting && R.siting.loading)) return;
  const input = $('#site-n');
  if (input) R.n = Math.max(1, Math.min(10, Math.round(Number(input.value)) || 3));
  const body = {resource: r, model: R.model, p: R.n};
  if (R.model === 'mclp') body.radius = R.radius;
  R.siting = {loading: true};
  renderResource();
  const t0 = performance.now();
  try {
    const [ans, d] = await Promise.all([postJSON('/api/models/siting', body), resourceData(r)]);
    if (R.resource !== r) return;
    setSiting({...ans, resource: r, p: R.n, ms: performance.now() - t0, totalDemand: d.total.demand}, d);
  } catch (err) {
    R.siting = null;
    throw err;
  } finally {
    renderResource();
  }
}

// setSiting draws suggested sites (null: clears them): numbered markers,
// a line from every grid a new site serves to it, and those grids outlined.
function setSiting(ans, d) {
  const R = state.res;
  R.siting = ans;
  for (const id of R.siteGrids) map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {site: null});
  R.siteGrids = [];
  const features = [];
  if (ans && d) {
    const fresh = (ans.sites || []).filter((x) => !x.existing);
    const byColumn = new Map(fresh.map((x, k) => [x.column, {site: x, rank: k + 1, color: SITE_COLORS[k % SITE_COLORS.length]}]));
    (ans.assignment || []).forEach((j, i) => {
      const s = byColumn.get(j);
      if (!s || (ans.covered && !ans.covered[i])) return;
      const id = ans.demand_ids[i];
      const g = d.byId.get(id);
      if (!g) return;
      features.push({type: 'Feature', geometry: {type: 'LineString', coordinates: [g.centroid, s.site.point]}, properties: {kind: 'link', color: s.color}});
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {site: s.color});
      R.siteGrids.push(id);
    });
    for (const {site, rank, color} of byColumn.values()) {
      features.push({type: 'Feature', geometry: {type: 'Point', coordinates: site.point}, properties: {kind: 'site', rank, color, column: site.column}});
    }
  }
  showLayers(['siting-grid-line'], R.siteGrids.length > 0);
  const src = features.length || (map && map.getSource('siting')) ? pageSource('siting') : null;
  if (src) src.setData({type: 'FeatureCollection', features});
  if (features.length) {
    const b = new maplibregl.LngLatBounds();
    for (const f of features) {
      if (f.geometry.type === 'Point') b.extend(f.geometry.coordinates);
      else for (const c of f.geometry.coordinates) b.extend(c);
    }
    const v = map.getBounds();
    if (!v.contains(b.getSouthWest()) || !v.contains(b.getNorthEast())) {
      map.fitBounds(b, {padding: 60 * state.scale, maxZoom: zoomAt(15), duration: navigator.webdriver ? 0 : 800});
    }
  }
}

function sitingBlock() {
  const S = state.res.siting;
  if (!S) return null;
  if (S.loading) return el('p', {class: 'note'}, t('siting'));
  const u = unitOf(S.resource);
  const rows = [];
  const fresh = (S.sites || []).filter((x) => !x.existing);
  if (S.model === 'mclp') {
    const share = S.totalDemand > 0 ? ` (${fmt((100 * S.objective) / S.totalDemand, 1)}%)` : '';
    rows.push([t('covered'), `${fmt(S.objective, 1)} ${u}${share}`]);
    if (S.upper_bound !== undefined) rows.push([t('upperBound'), fmt(S.upper_bound, 1)]);
  } else {
    rows.push([t('objective'), `${fmt(S.objective, 1)} (${u}×${t('minutes')})`]);
    if (S.totalDemand > 0) rows.push([t('avgTravel'), `${fmt(S.objective / S.totalDemand, 2)} ${t('minutes')}`]);
    if (S.lower_bound !== undefined) {
      const gap = S.objective > 0 ? (100 * (S.objective - S.lower_bound)) / S.objective : 0;
      rows.push([t('lowerBound'), `${fmt(S.lower_bound, 1)}${S.optimal ? '' : ` · ${t('gapBound')} ${fmt(gap, 2)}%`}`]);
    }
  }
  rows.push([t('solveTime'), `${fmt(S.seconds, 2)} s · ${t('roundTrip')} ${fmt(S.ms / 1000, 2)} s` + (S.optimal ? ` · ${t('provenOptimal')}` : '')]);
  rows.push([L('出行成本', 'Costs'), S.cost_source === 'network' ? t('costNetwork') : S.cost_source === 'line' ? t('costLine') : S.cost_source]);
  // MCLP with the existing facilities already covering everything in reach:
  // any new sites are as good as none.
  const idle = fresh.length && fresh.every((x) => !x.clients);
  return el('div', {},
    idle ? el('p', {class: 'note err'}, L('现有设施已覆盖半径内的全部需求,新址不增加覆盖;可缩小半径或改用 p-中位模型',
      'The existing facilities already cover all demand within the radius: new sites add nothing. Try a smaller radius or the p-median.')) : null,
    el('table', {class: 'facts', id: 'siting-figures', 'data-objective': S.objective},
      rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))),
    el('ol', {class: 'sites'}, fresh.map((x, k) => el('li', {'data-rank': k + 1, onclick: () => map.easeTo({center: x.point, duration: navigator.webdriver ? 0 : 600})},
      el('span', {class: 'no', style: `border-color:${SITE_COLORS[k % SITE_COLORS.length]};color:${SITE_COLORS[k % SITE_COLORS.length]}`}, String(k + 1)),
      el('span', {class: 'nm'}, x.name || `#${x.column}`),
      el('span', {class: 'n'}, `${fmt(x.clients)} ${t('servedGrids')} · ${fmt(x.demand, 1)} ${u}`)))));
}

export function sitePopup(rank) {
  const S = state.res.siting;
  const x = S && (S.sites || []).filter((s) => !s.existing)[rank - 1];
  if (!x) return el('div', {class: 'popup'});
  const u = unitOf(S.resource);
  return el('div', {class: 'popup', 'data-layer': 'siting'},
    el('h4', {}, `${rank}. ${x.name || '#' + x.column}`),
    el('div', {class: 'kind'}, `${t('newSite')} · ${t(resourceOf(S.resource).key)} · ${S.model === 'mclp' ? t('mclp') : t('pmedian')}`),
    el('table', {}, [[t('servedGrids'), fmt(x.clients)], [t('servedDemand'), `${fmt(x.demand, 1)} ${u}`],
      [L('位置', 'Location'), `${x.point[0].toFixed(5)}, ${x.point[1].toFixed(5)}`]].map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}
