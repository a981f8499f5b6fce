// The choropleth and the drill-down: indicators, the district's figures
// (/api/stats), the focus outline, the breadcrumb.

import {state} from './state.js';
import {L, layerTitle, t, unitName, value} from './i18n.js';
import {$, el, fmt, report} from './ui.js';
import {getJSON} from './http.js';
import {ADMIN, LAYER_OPACITY, RAMP, WARNING} from './constants.js';
import {map, styleLayersOf, zoomAt} from './map.js';
import {renderChildren, renderKPI} from './kpi.js';
import {renderDispatch} from './desk.js';
import {openTab} from './tabs.js';
import {setSchoolLevel} from './school.js';
import {resourceLegend, setResource} from './resources.js';

export function indicators() {
  const list = [['residents', 'residents'], ['floating', 'floating'], ['hazards', 'hazardCount']];
  if (state.schemas.has('school_pressure')) list.push(['school_pressure:primary', 'pressurePrimary'], ['school_pressure:junior', 'pressureJunior']);
  list.push(['none', 'none']);
  return list;
}

export function buildIndicators() {
  const box = $('#indicators');
  box.replaceChildren(...indicators().map(([id, key]) => el('button', {
    type: 'button', role: 'radio', 'data-indicator': id, 'aria-checked': String(state.indicator === id),
    onclick: () => {
      if (state.res.resource) setResource(null, {keepIndicator: true});
      state.indicator = id;
      buildIndicators();
      paintChoropleth().catch(report);
      if (id.startsWith('school_pressure')) openTab('school');
    },
  }, t(key))));
}

export const current = () => state.path[state.path.length - 1];
export const childLayer = (layer) => ADMIN[ADMIN.indexOf(layer) + 1];

export async function stats(code) {
  if (!state.stats.has(code)) {
    state.stats.set(code, getJSON('/api/stats?code=' + encodeURIComponent(code)).then((s) => {
      state.statsReady.set(s.code, s);
      return s;
    }));
  }
  return state.stats.get(code);
}

function indicatorValue(s) {
  switch (state.indicator) {
    case 'residents': return s.residents;
    case 'floating': return s.floating;
    case 'hazards': return s.hazards ? s.hazards.total : undefined;
    default: return undefined;
  }
}

// setState sets one feature-state key on features of an admin layer
// (pairs of id and value) after clearing it wherever it was set before.
// The choropleth colour and the focus outline are feature state, so
// drilling down never re-lays out a tile.
const stateSet = {color: [], focus: []};
function setState(key, layer, pairs) {
  for (const [sourceLayer, id] of stateSet[key]) map.setFeatureState({source: 'onemap', sourceLayer, id}, {[key]: null});
  stateSet[key] = [];
  for (const [id, v] of pairs) {
    if (id === undefined || id === null) continue;
    map.setFeatureState({source: 'onemap', sourceLayer: layer, id}, {[key]: v});
    stateSet[key].push([layer, id]);
  }
  // Only the level that has colours (or the outline) is drawn: the others
  // are transparent everywhere, and a transparent fill or line still costs
  // a software-rendered wall its pixels in every frame. The layers stay
  // laid out and clickable; their layer opacity is paint, so no tile is
  // laid out again.
  const suffix = key === 'color' ? '-choropleth' : '-focus';
  for (const level of ADMIN) {
    const l = map.getLayer(level + suffix);
    if (!l) continue;
    const prop = LAYER_OPACITY[l.type];
    const want = level === layer && stateSet[key].length ? 1 : 0;
    if (map.getPaintProperty(l.id, prop) !== want) map.setPaintProperty(l.id, prop, want);
  }
}

// breadcrumb, the focus outline, the KPI panel and the choropleth of its
// children follow it. path is the list of its ancestors when known.
export async function drillTo(unit, {path, fit = true} = {}) {
  if (!unit) {
    const s = await stats('');
    state.path = [{id: s.id, code: s.code, name: s.name, name_en: s.name_en, layer: 'districts'}];
    state.stats.set(s.code, Promise.resolve(s));
  } else {
    state.path = path || [...state.path, unit];
  }
  const here = current();
  renderBreadcrumb();
  setState('focus', here.layer, here.id === undefined ? [] : [[here.id, true]]);
  const s = await stats(here.code);
  if (current() !== here) return;
  if (fit && s.bbox) {
    map.fitBounds([[s.bbox[0], s.bbox[1]], [s.bbox[2], s.bbox[3]]],
      {padding: 40 * state.scale, duration: navigator.webdriver ? 0 : 900, maxZoom: zoomAt(17)});
  }
  renderKPI(s);
  if (!state.dispatch) renderDispatch();
  await paintChoropleth();
}

export async function paintChoropleth() {
  const here = current();
  if (!here) return;
  const s = await stats(here.code);
  const legend = $('#choro-legend');
  setState('color', null, []);
  // School-place pressure is per catchment, one map per school level.
  const [ind, level] = state.indicator.split(':');
  if (ind === 'school_pressure' || state.pressureShown) {
    state.pressureShown = ind === 'school_pressure';
    for (const l of styleLayersOf('school_pressure')) {
      map.setLayoutProperty(l.id, 'visibility', state.pressureShown && l.type !== 'symbol' ? 'visible' : 'none');
    }
    if (level && level !== state.school.level) setSchoolLevel(level);
    const box = document.querySelector('#layers input[data-layer="school_pressure"]');
    if (box) box.checked = state.pressureShown;
  }
  if (state.indicator === 'resource') { legend.replaceChildren(...resourceLegend()); return; }
  if (ind === 'school_pressure') {
    legend.replaceChildren(...WARNING.map(([w, c]) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), value(w))));
    return;
  }
  if (state.indicator === 'none') { legend.replaceChildren(); return; }
  const kids = s.children || [];
  const layer = childLayer(here.layer);
  if (!layer || !kids.length || !map.getLayer(layer + '-choropleth')) {
    legend.replaceChildren(el('div', {}, L('当前区域无下级单元', 'No sub-areas here')));
    return;
  }
  const values = await Promise.all(kids.map(async (k) => {
    const v = indicatorValue(k);
    return v !== undefined ? v : indicatorValue(await stats(k.code));
  }));
  if (current() !== here) return;
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  const breaks = [1, 2, 3, 4].map((i) => sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / 5))]);
  const cls = (v) => breaks.filter((b) => v >= b).length;
  setState('color', layer, kids.map((k, i) => [k.id, values[i] === undefined ? null : RAMP[Math.min(4, cls(values[i]))]]));
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  const edges = [lo, ...breaks, hi];
  legend.replaceChildren(el('div', {}, `${layerTitle(layer)} · ${t(indicators().find(([i]) => i === state.indicator)[1])}`),
    ...RAMP.map((c, i) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), `${fmt(edges[i])} – ${fmt(edges[i + 1])}`)));
  renderChildren(kids, values, layer);
}

export function renderBreadcrumb() {
  const nav = $('#breadcrumb');
  const items = [];
  state.path.forEach((u, i) => {
    if (i) items.push(el('span', {class: 'sep'}, '›'));
    const last = i === state.path.length - 1;
    items.push(el('button', {type: 'button', 'aria-current': last ? 'page' : null, 'data-code': u.code,
      onclick: () => { if (!last) drillTo(u, {path: state.path.slice(0, i + 1)}).catch(report); }},
    `${unitName(u)}`));
  });
  nav.replaceChildren(...items);
}
