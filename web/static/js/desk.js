// The fire desk: pick an alarm point, rank the nearest teams with their
// routes and ETAs (/api/dispatch/nearest, straight lines without it).

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {state} from './state.js';
import {L, t} from './i18n.js';
import {$, el, fmt} from './ui.js';
import {getJSON} from './http.js';
import {RANK_COLORS} from './constants.js';
import {map, pageSource, zoomAt} from './map.js';

export function setPicking(on) {
  state.picking = on;
  $('#alarm').setAttribute('aria-pressed', String(on));
  $('#map').classList.toggle('picking', on);
  $('#hint').hidden = !on;
  $('#hint').textContent = t('pickPoint');
  map.getCanvas().style.cursor = on ? 'crosshair' : '';
}

export async function dispatchAt(lngLat) {
  setPicking(false);
  const {lng, lat} = lngLat;
  state.dispatch = {incident: [lng, lat], loading: true};
  renderDispatch();
  const q = `lon=${lng.toFixed(6)}&lat=${lat.toFixed(6)}&k=5`;
  let answer;
  try {
    const r = await getJSON(`/api/dispatch/nearest?${q}`);
    // snapped is a GeoJSON Point (or {lon, lat}): where the alarm meets the road network.
    const sn = r.snapped && (r.snapped.coordinates || (r.snapped.lon !== undefined ? [r.snapped.lon, r.snapped.lat] : null));
    answer = {method: 'network', snapped: sn, units: r.units || []};
  } catch (err) {
    if (err.status !== 404) throw err;
    // No dispatch service yet: the nearest stations by straight line.
    const fc = await getJSON(`/api/nearest?layer=fire_stations&${q}`);
    answer = {method: 'straight', units: fc.features.map((f) => ({
      id: f.id, name: f.properties.name, distance_m: f.properties.distance_m, available: f.properties.available,
      route: {type: 'LineString', coordinates: [f.geometry.coordinates, [lng, lat]]},
    }))};
  }
  state.dispatch = {incident: [lng, lat], ...answer};
  renderDispatch();
}

export function renderDispatch() {
  const d = state.dispatch;
  const status = $('#desk-status');
  const list = $('#teams');
  const features = [];
  if (!d) {
    // Standby: the district's readiness while no alarm is open.
    const root = state.path[0];
    const s = root && state.statsReady && state.statsReady.get(root.code);
    const fire = (s && s.fire_stations) || {};
    const flood = (s && s.flood_points) || {};
    status.replaceChildren(s ? `${t('teamsAvailable')} ${fmt(fire.available)} / ${fmt(fire.total)} · ` +
      `${t('floodAlarm')} ${fmt(flood.alarm)} · ${t('floodWarning')} ${fmt(flood.warning)}` : '');
    list.replaceChildren(el('li', {class: 'empty'}, t('noTeams')));
  } else if (d.loading) {
    status.replaceChildren(t('dispatching'));
    list.replaceChildren();
  } else {
    status.replaceChildren(`${t('incident')} ${d.incident[0].toFixed(5)}, ${d.incident[1].toFixed(5)} · `,
      el('span', {class: d.method === 'straight' ? 'method' : ''}, d.method === 'straight' ? t('straightLine') : t('roadNetwork')));
    list.replaceChildren(...d.units.map((u, i) => {
      const color = RANK_COLORS[i % RANK_COLORS.length];
      const [m, sec] = [Math.floor(Math.round(u.eta_s) / 60), String(Math.round(u.eta_s) % 60).padStart(2, '0')];
      const eta = u.eta_s !== undefined ? L(`${m}分${sec}秒`, `${m} min ${sec} s`) :
        `${fmt(u.distance_m / 1000, 2)} ${t('km')}`;
      return el('li', {style: `border-left-color:${color}`, 'data-rank': i + 1},
        el('div', {class: 'tn'}, el('span', {class: 'rank', style: `color:${color}`}, `${i + 1}`), u.name || u.id),
        el('div', {class: 'eta'}, eta),
        el('div', {class: 'dist'}, u.eta_s !== undefined ? `${fmt(u.distance_m / 1000, 2)} ${t('km')}` : L('直线距离', 'straight line'),
          u.available === false ? ` · ${t('unavailable')}` : ''));
    }));
    d.units.forEach((u, i) => {
      const color = RANK_COLORS[i % RANK_COLORS.length];
      if (u.route && u.route.coordinates && u.route.coordinates.length) {
        features.push({type: 'Feature', geometry: u.route, properties: {kind: 'route', rank: i + 1, color, straight: d.method === 'straight'}});
        // The team is at the end of its route away from the incident.
        const cs = u.route.coordinates;
        const [a, z] = [cs[0], cs[cs.length - 1]];
        const far = (p) => (p[0] - d.incident[0]) ** 2 + (p[1] - d.incident[1]) ** 2;
        const start = far(a) >= far(z) ? a : z;
        features.push({type: 'Feature', geometry: {type: 'Point', coordinates: start}, properties: {kind: 'unit', rank: i + 1, color}});
      }
    });
  }
  if (d && d.incident) features.push({type: 'Feature', geometry: {type: 'Point', coordinates: d.snapped || d.incident}, properties: {kind: 'incident'}});
  // Every setData lays the source out again and costs a frame: an empty
  // desk is not redrawn empty.
  const src = features.length || state.dispatchDrawn ? pageSource('dispatch') : null;
  if (src) src.setData({type: 'FeatureCollection', features});
  state.dispatchDrawn = features.length > 0;
  if (d && !d.loading && features.length > 1) {
    const b = new maplibregl.LngLatBounds();
    for (const f of features) {
      if (f.geometry.type === 'Point') b.extend(f.geometry.coordinates);
      else for (const c of f.geometry.coordinates) b.extend(c);
    }
    map.fitBounds(b, {padding: 80 * state.scale, maxZoom: zoomAt(16), duration: navigator.webdriver ? 0 : 800});
  }
}
