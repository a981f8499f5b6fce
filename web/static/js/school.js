// School places: the chart of demand vs seats, the pressure map by year,
// the most pressed catchments.

import {state} from './state.js';
import {L, t, unitName, value} from './i18n.js';
import {$, el, fmt} from './ui.js';
import {getJSON} from './http.js';
import {bboxOf} from './geo.js';
import {RAMP, WARNING} from './constants.js';
import {map, showLayers, styleLayersOf, zoomAt} from './map.js';
import {buildIndicators} from './drill.js';
import {featureBlock, showPopup} from './popups.js';
import {openTab} from './tabs.js';

const WARN_COLOR = Object.fromEntries(WARNING);

export function schoolError(err) {
  console.warn('onemap school:', err);
  state.school.error = err.message || String(err);
  if (state.tab === 'school') renderSchool();
}

// schoolData loads, once, the ten-year projection of both levels and the
// school_pressure layer's features (ids, codes, extents and the year the
// layer was put for).
function schoolData() {
  const s = state.school;
  if (!s.load) {
    s.load = Promise.all([getJSON('/api/school/projection?years=10&format=json'), getJSON('/collections/school_pressure/items?limit=10000')])
      .then(([proj, fc]) => {
        s.proj = proj;
        s.features = new Map();
        for (const f of fc.features || []) s.features.set(f.properties.code, {id: f.id, props: f.properties, bbox: bboxOf(f.geometry)});
        const first = (fc.features || [])[0];
        s.layerYear = first ? first.properties.year : proj.base_year + 3;
        if (!s.year) s.year = s.layerYear;
        return s;
      });
    s.load.catch(() => { s.load = null; });
  }
  return s.load;
}

// showSchool loads what the school tab shows and draws it.
export async function showSchool() {
  const s = state.school;
  s.error = null;
  renderSchool();
  await schoolData();
  applySchoolYear();
  renderSchool();
  await loadChart();
  renderSchool();
}

// loadChart fetches the API's SVG chart of demand vs seats for the open
// catchment (or the district at the chosen level), unless it is the one shown.
async function loadChart() {
  const s = state.school;
  const q = new URLSearchParams({years: '10', level: s.level});
  if (s.catchment) q.set('catchment', s.catchment);
  const key = q.toString();
  if (key === s.chartKey && s.svg) return;
  const seq = ++s.chartSeq;
  const r = await fetch('/api/school/chart.svg?' + key, {headers: {Accept: 'image/svg+xml'}});
  if (!r.ok) throw new Error(`${L('学位图表', 'school chart')}: ${r.status}`);
  const text = await r.text();
  if (seq !== s.chartSeq) return;
  s.svg = text;
  s.chartKey = key;
}

// chartNode parses the API's SVG and fits it to the dark wall: the panel
// heading replaces its title, the legend is translated and the chosen
// year is marked.
function chartNode() {
  const s = state.school;
  const doc = new DOMParser().parseFromString(s.svg, 'image/svg+xml');
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== 'svg') return el('div', {class: 'note err'}, L('图表无法显示', 'The chart could not be read'));
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  const texts = [...svg.querySelectorAll('text')];
  const title = texts.find((x) => x.getAttribute('font-weight') === 'bold');
  if (title) {
    svg.setAttribute('aria-label', title.textContent);
    title.remove();
  }
  const words = {pupils: t('pupils'), projected: t('projected'), seats: t('seats')};
  for (const x of texts) {
    if (words[x.textContent]) {
      x.textContent = words[x.textContent];
      x.classList.add('legend');
    }
  }
  // The year axis: labels are centred on their year, so two of them place any year.
  const years = texts.filter((x) => /^\d{4}$/.test(x.textContent) && x.getAttribute('text-anchor') === 'middle')
    .map((x) => [Number(x.textContent), Number(x.getAttribute('x')), Number(x.getAttribute('y'))]);
  if (years.length >= 2 && s.year) {
    const [[y0, x0, ty], [y1, x1]] = [years[0], years[years.length - 1]];
    const x = x0 + ((s.year - y0) * (x1 - x0)) / (y1 - y0);
    const ns = 'http://www.w3.org/2000/svg';
    const line = doc.createElementNS(ns, 'line');
    for (const [k, v] of Object.entries({x1: x, x2: x, y1: 40, y2: ty - 18, class: 'year-mark', 'stroke-dasharray': '4 3'})) line.setAttribute(k, v);
    // Below the year axis: ▲ and the year.
    const label = doc.createElementNS(ns, 'text');
    for (const [k, v] of Object.entries({x, y: ty + 17, 'text-anchor': 'middle', class: 'year-mark'})) label.setAttribute(k, v);
    label.textContent = `▲ ${s.year}`;
    svg.insertBefore(line, svg.querySelector('polyline'));
    svg.append(label);
  }
  return document.importNode(svg, true);
}

// seriesOf is the projection's series of a catchment code (null: the district) at the level shown.
function seriesOf(code) {
  const p = state.school.proj;
  if (!p) return null;
  return code ? (p.catchments || []).find((c) => c.code === code) : (p.district || []).find((d) => d.level === state.school.level);
}

const pointAt = (series, year) => series && (series.points || []).find((p) => p.year === year);

// focusCatchment outlines the catchment whose chart is open.
export function focusCatchment() {
  const s = state.school;
  const f = state.tab === 'school' && s.catchment && s.features && s.features.get(s.catchment);
  const id = f ? f.id : null;
  if (s.focused === id || !map || !map.getLayer('school-focus')) return;
  if (s.focused !== null && s.focused !== undefined) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id: s.focused}, {sel: null});
  if (id !== null) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id}, {sel: true});
  showLayers(['school-focus'], id !== null);
  s.focused = id;
}

export function renderSchool() {
  const s = state.school;
  focusCatchment();
  const box = $('#school');
  if (!box || state.tab !== 'school') return;
  const series = seriesOf(s.catchment);
  const name = s.catchment ? `${(series && series.name) || s.catchment} · ${s.catchment}` : (state.path[0] ? unitName(state.path[0]) : t('districtWide'));
  const levels = el('div', {class: 'seg', role: 'radiogroup'}, ['primary', 'junior'].map((lv) => el('button', {
    type: 'button', role: 'radio', 'data-level': lv, 'aria-checked': String(s.level === lv), onclick: () => setSchoolLevel(lv),
  }, value(lv))));
  const years = s.proj ? s.proj.years || [] : [];
  const select = el('select', {id: 'school-year', onchange: (e) => setSchoolYear(Number(e.target.value))},
    years.map((y) => el('option', {value: y}, y === s.layerYear ? `${y} *` : String(y))));
  select.value = String(s.year || '');
  const chart = el('div', {id: 'school-chart', 'data-catchment': s.catchment || ''}, s.svg ? chartNode() : el('div', {class: 'note'}, t('loading')));
  const kids = [
    el('div', {class: 'sec-head'}, el('h2', {id: 'school-title'}, `${t('schoolPlaces')} · ${name}`),
      s.catchment ? el('button', {type: 'button', class: 'back', onclick: () => showCatchment(null).catch(schoolError)}, `‹ ${t('backToDistrict')}`) : null),
    el('div', {class: 'controls'}, el('label', {}, t('level'), levels), el('label', {}, t('warnYear'), select)),
    chart,
  ];
  if (s.error) kids.push(el('p', {class: 'note err'}, `${t('failed')}: ${s.error}`));
  if (s.proj) {
    // The year's warnings over the level's catchments, and the most pressed.
    const rows = (s.proj.catchments || []).filter((c) => c.level === s.level)
      .map((c) => ({c, p: pointAt(c, s.year)})).filter((r) => r.p);
    const counts = Object.fromEntries(WARNING.map(([w]) => [w, 0]));
    for (const r of rows) counts[r.p.warning] = (counts[r.p.warning] || 0) + 1;
    rows.sort((a, b) => b.p.pressure - a.p.pressure);
    const max = Math.max(1, ...rows.slice(0, 10).map((r) => r.p.pressure));
    kids.push(
      el('h2', {style: 'margin-top:0.8rem'}, `${t('catchmentWarnings')} · ${s.year} · ${value(s.level)}`),
      el('div', {class: 'chips', id: 'school-warnings'}, WARNING.map(([w, c]) => el('span', {class: 'chip', style: `border-color:${c};color:${c}`}, `${value(w)} ${fmt(counts[w])}`))),
      el('h3', {}, `${t('mostPressed')} (${t('pressureCol')} / ${t('gapCol')})`),
      el('ul', {class: 'pressure'}, rows.slice(0, 10).map(({c, p}) => el('li', {
        'data-code': c.code, 'aria-current': c.code === s.catchment ? 'true' : null, onclick: () => showCatchment(c.code, {fly: true}).catch(schoolError),
      }, el('span', {class: 'nm'}, c.name || c.code),
      el('span', {class: 'bars'}, el('span', {class: 'bar'}, el('i', {style: `width:${(100 * p.pressure) / max}%;background:${WARN_COLOR[p.warning] || RAMP[3]}`}))),
      el('span', {class: 'n'}, `${fmt(100 * p.pressure)}%`), el('span', {class: 'n'}, fmt(p.gap))))),
      el('p', {class: 'note'}, `${t('clickCatchment')} · * ${L('地图图层的年份', "the map layer's year")}`));
  }
  box.replaceChildren(...kids);
}

// showCatchment opens a catchment's chart (null: the district's), with a
// popup of its figures in the chosen year when the click gave a place.
export async function showCatchment(code, {lngLat, props, fly} = {}) {
  const s = state.school;
  s.catchment = code;
  if (state.tab !== 'school') openTab('school');
  await schoolData();
  const f = code && s.features.get(code);
  if (f && f.props.level !== s.level) setSchoolLevel(f.props.level, {keepCatchment: true});
  if (fly && f) {
    map.fitBounds([[f.bbox[0], f.bbox[1]], [f.bbox[2], f.bbox[3]]], {padding: 80 * state.scale, maxZoom: zoomAt(15), duration: navigator.webdriver ? 0 : 800});
    lngLat = lngLat || map.getCenter();
  }
  if (code && lngLat) showPopup(lngLat, () => featureBlock('school_pressure', catchmentProps(code, props || (f && f.props) || {})));
  renderSchool();
  await loadChart();
  renderSchool();
}

// catchmentProps are a catchment's figures in the chosen year.
function catchmentProps(code, props) {
  const s = state.school;
  const p = pointAt(seriesOf(code), s.year);
  if (!p || s.year === props.year) return props;
  return {...props, demand: Math.round(p.demand), seats: Math.round(p.seats), gap: Math.round(p.gap), pressure: p.pressure, warning: p.warning, year: s.year};
}

export function setSchoolLevel(lv, {keepCatchment = false} = {}) {
  const s = state.school;
  s.level = lv;
  if (!keepCatchment && s.catchment && s.features && (s.features.get(s.catchment) || {props: {}}).props.level !== lv) s.catchment = null;
  for (const l of [...styleLayersOf('school_pressure'), ...styleLayersOf('catchments').filter((x) => x.id === 'catchments-hit')]) {
    map.setFilter(l.id, ['==', ['get', 'level'], lv]);
  }
  if (state.indicator.startsWith('school_pressure') && state.indicator !== 'school_pressure:' + lv) {
    state.indicator = 'school_pressure:' + lv;
    buildIndicators();
  }
  if (state.tab === 'school' && !keepCatchment) showSchool().catch(schoolError);
}

function setSchoolYear(year) {
  state.school.year = year;
  applySchoolYear();
  renderSchool();
  if (state.popup && state.popupContent) state.popup.setDOMContent(state.popupContent());
}

// applySchoolYear colours the school_pressure layer for the chosen year:
// the layer's own year is drawn from its tiles; any other from the
// projection, as feature state.
function applySchoolYear() {
  const s = state.school;
  if (!map || !s.proj || !map.getSource('onemap')) return;
  for (const id of s.warned) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id}, {warn: null});
  s.warned = [];
  if (s.year === s.layerYear) return;
  for (const c of s.proj.catchments || []) {
    const f = s.features.get(c.code);
    const p = pointAt(c, s.year);
    if (!f || !p) continue;
    map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id: f.id}, {warn: WARN_COLOR[p.warning] || null});
    s.warned.push(f.id);
  }
}
