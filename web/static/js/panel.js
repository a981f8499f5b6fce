// The layers panel: a switch and a legend per layer; cameras clustered.

import {state} from './state.js';
import {layerTitle, t} from './i18n.js';
import {$, el, report} from './ui.js';
import {getJSON} from './http.js';
import {PANEL_ORDER, legendFor} from './constants.js';
import {firstLabelLayer, map, styleChanged, styleLayersOf, zoomAt} from './map.js';
import {openTab} from './tabs.js';

export function buildPanel() {
  const box = $('#layers');
  box.replaceChildren();
  const names = [...PANEL_ORDER.filter((n) => state.schemas.has(n)),
    ...[...state.schemas.keys()].filter((n) => !PANEL_ORDER.includes(n)).sort()];
  for (const name of names) {
    const layers = styleLayersOf(name).filter((l) => l.metadata['onemap:role'] !== 'focus');
    if (!layers.length) continue;
    const on = layers.some((l) => (l.layout || {}).visibility !== 'none');
    const input = el('input', {type: 'checkbox', 'data-layer': name, onchange: (e) => setLayerVisible(name, e.target.checked)});
    input.checked = on;
    const legend = legendFor(name);
    const row = el('div', {class: 'layer-row'},
      el('label', {}, input, el('span', {}, layerTitle(name))),
      legend.length > 1 || (legend.length === 1 && legend[0][0]) ? el('div', {class: 'legend'},
        legend.map(([label, color, shape]) => el('span', {},
          el('i', {class: 'sw ' + (shape === 'line' ? 'line' : shape === 'box' ? 'box' : shape === 'ring' ? 'ring' : ''),
            style: shape === 'ring' ? `border-color:${color}` : `background:${color}`}), label))) : null);
    if (legend.length === 1 && !legend[0][0]) {
      const [, color, shape] = legend[0];
      row.querySelector('label').prepend(el('i', {class: 'sw ' + (shape === 'dot' ? '' : shape), style: `background:${color}`}));
      row.querySelector('label').prepend(input);
    }
    if (name === 'hazards') {
      const lg = row.querySelector('.legend');
      lg.prepend(el('span', {style: 'width:100%'}, t('legendClass') + ' / ' + t('legendLevel')));
    }
    box.append(row);
  }
}

export function setLayerVisible(name, on) {
  for (const l of styleLayersOf(name)) {
    if (l.metadata['onemap:role'] === 'focus') continue;
    map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
  }
  if (name === 'cameras') setCameraClusters(on).catch(report);
  const box = document.querySelector(`#layers input[data-layer="${name}"]`);
  if (box) box.checked = on;
  // School-place pressure on the map: its chart beside it.
  if (on && name === 'school_pressure') openTab('school');
}

// Cameras are thousands of points: below z14 they are drawn as clusters
// of a GeoJSON copy fetched from the OGC API when the layer is switched on.
async function setCameraClusters(on) {
  if (on && !map.getSource('camera-clusters')) {
    const features = [];
    let url = '/collections/cameras/items?limit=10000';
    while (url) {
      const page = await getJSON(url);
      features.push(...page.features);
      const next = (page.links || []).find((l) => l.rel === 'next');
      url = next && next.href && page.features.length ? new URL(next.href, location.href).pathname + new URL(next.href, location.href).search : null;
    }
    if (map.getSource('camera-clusters')) return;
    styleChanged();
    map.addSource('camera-clusters', {type: 'geojson', data: {type: 'FeatureCollection', features}, cluster: true, clusterMaxZoom: Math.round(zoomAt(13)), clusterRadius: 45 * state.scale});
    const k = state.scale;
    map.addLayer({id: 'camera-clusters', type: 'circle', source: 'camera-clusters', maxzoom: zoomAt(14), filter: ['has', 'point_count'],
      paint: {'circle-color': '#0e7490', 'circle-opacity': 0.85, 'circle-stroke-color': '#7dd3fc', 'circle-stroke-width': 1.5 * k,
        'circle-radius': ['*', k, ['interpolate', ['linear'], ['get', 'point_count'], 2, 10, 50, 16, 300, 24]]},
      metadata: {'onemap:layer': 'cameras', 'onemap:role': 'cluster'}}, firstLabelLayer());
    map.addLayer({id: 'camera-clusters-count', type: 'symbol', source: 'camera-clusters', maxzoom: zoomAt(14), filter: ['has', 'point_count'],
      layout: {'text-field': ['get', 'point_count_abbreviated'], 'text-font': ['DejaVu Sans Book'], 'text-size': 11 * k},
      paint: {'text-color': '#e0f7ff'}, metadata: {'onemap:layer': 'cameras', 'onemap:role': 'cluster'}});
    map.addLayer({id: 'camera-clusters-single', type: 'circle', source: 'camera-clusters', maxzoom: zoomAt(14), filter: ['!', ['has', 'point_count']],
      paint: {'circle-color': '#7dd3fc', 'circle-radius': 2.5 * k}, metadata: {'onemap:layer': 'cameras', 'onemap:role': 'cluster'}}, firstLabelLayer());
  }
  for (const id of ['camera-clusters', 'camera-clusters-count', 'camera-clusters-single']) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
}
