// Clicks on the map: popups of features, drilling into areas, catchments'
// charts, the fire desk's alarm point.

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {state} from './state.js';
import {L, layerTitle, t, value} from './i18n.js';
import {el, fmt, report} from './ui.js';
import {ADMIN} from './constants.js';
import {interactiveLayers, map} from './map.js';
import {childLayer, drillTo} from './drill.js';
import {dispatchAt} from './desk.js';
import {schoolError, showCatchment} from './school.js';
import {resourceBlock, sitePopup} from './resources.js';

export function onMapClick(e) {
  if (state.picking) { dispatchAt(e.lngLat).catch(report); return; }
  const pad = 6 * state.scale;
  const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
  const site = map.getLayer('siting-site') ? map.queryRenderedFeatures(box, {layers: ['siting-site']})[0] : undefined;
  if (site) {
    showPopup(site.geometry.coordinates, () => sitePopup(site.properties.rank));
    return;
  }
  const pointIds = interactiveLayers().filter((id) => !id.endsWith('-choropleth') && id !== 'siting-site');
  const points = pointIds.length ? map.queryRenderedFeatures(box, {layers: pointIds}) : [];
  if (points.length) {
    const f = points[0];
    if (f.layer.id === 'camera-clusters') {
      map.easeTo({center: f.geometry.coordinates, zoom: map.getZoom() + 2});
      return;
    }
    showPopup(e.lngLat, () => featureBlock(f.sourceLayer || 'cameras', f.properties));
    return;
  }
  // A catchment under the click, while school places are on the map: its chart.
  const shown = (id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none';
  const catchLayers = ['school_pressure-fill', 'catchments-hit'].filter(shown);
  const catchment = catchLayers.length ? map.queryRenderedFeatures(e.point, {layers: catchLayers})[0] : undefined;
  if (catchment) {
    showCatchment(catchment.properties.code, {lngLat: e.lngLat, props: catchment.properties}).catch(schoolError);
    return;
  }
  const resGrid = state.res.resource && map.getLayer('resource-fill') ? map.queryRenderedFeatures(e.point, {layers: ['resource-fill']})[0] : undefined;
  const admin = map.queryRenderedFeatures(e.point, {layers: ADMIN.map((n) => n + '-choropleth').filter((id) => map.getLayer(id))});
  const byLayer = new Map(admin.map((f) => [f.sourceLayer, f]));
  const building = map.getLayer('buildings-fill') && map.getLayoutProperty('buildings-fill', 'visibility') !== 'none' ?
    map.queryRenderedFeatures(e.point, {layers: ['buildings-fill']})[0] : undefined;
  // Drill: the deepest area on the breadcrumb with a child under the click.
  for (let i = state.path.length - 1; i >= 0; i--) {
    const u = state.path[i];
    const child = childLayer(u.layer);
    const f = child && byLayer.get(child);
    if (f && f.properties.parent_code === u.code) {
      const p = f.properties;
      const unit = {id: f.id, code: p.code, name: p.name, name_en: p.name_en, layer: child};
      drillTo(unit, {path: [...state.path.slice(0, i + 1), unit]}).catch(report);
      showPopup(e.lngLat, () => unitPopup(child, p, building, resGrid));
      return;
    }
  }
  const deepest = [...ADMIN].reverse().find((n) => byLayer.has(n));
  if (deepest) showPopup(e.lngLat, () => unitPopup(deepest, byLayer.get(deepest).properties, building, resGrid));
}

function unitPopup(layer, props, building, resGrid) {
  const box = featureBlock(layer, props);
  if (building) {
    const sub = featureBlock('buildings', building.properties);
    sub.classList.add('sub');
    box.append(sub);
  }
  const res = resGrid && resourceBlock(resGrid.id);
  if (res) box.append(res);
  return box;
}

function formatValue(field, v) {
  if (v === undefined || v === null || v === '') return '–';
  if (field && field.type === 'bool' || typeof v === 'boolean') return v === true || v === 'true' ? t('yes') : t('no');
  if (field && field.type === 'float' && typeof v === 'number') return fmt(v, 2);
  if (field && field.type === 'int' && typeof v === 'number') {
    return field.name === 'risk_level' ? `${v} (${t('lvl' + v)})` : field.name.endsWith('_id') || ['id', 'year'].includes(field.name) ? String(v) : fmt(v);
  }
  return String(value(v));
}

// featureBlock lists every attribute of a feature with the schema's titles.
export function featureBlock(layer, props) {
  const schema = state.schemas.get(layer);
  const fields = schema ? schema.fields : Object.keys(props).map((name) => ({name}));
  const title = props.name || props.code || props.address_code || layerTitle(layer);
  const rows = fields.filter((f) => props[f.name] !== undefined).map((f) =>
    el('tr', {}, el('th', {}, f.title_zh ? L(f.title_zh, f.title_en) : f.name), el('td', {'data-field': f.name}, formatValue(f, props[f.name]))));
  for (const [k, v] of Object.entries(props)) {
    if (!fields.some((f) => f.name === k)) rows.push(el('tr', {}, el('th', {}, k), el('td', {'data-field': k}, formatValue(null, v))));
  }
  return el('div', {class: 'popup', 'data-layer': layer},
    el('h4', {}, state.lang === 'en' && props.name_en ? props.name_en : title),
    el('div', {class: 'kind'}, layerTitle(layer)),
    el('table', {}, rows));
}

export function showPopup(lngLat, content) {
  if (state.popup) state.popup.remove();
  state.popupContent = content;
  state.popup = new maplibregl.Popup({maxWidth: '28rem', focusAfterOpen: false})
    .setLngLat(lngLat).setDOMContent(content()).addTo(map);
  state.popup.on('close', () => { state.popupContent = null; });
}
