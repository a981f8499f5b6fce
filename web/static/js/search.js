// The search box: grid codes, areas and facilities by name.

import {layerTitle, t} from './i18n.js';
import {$, el, report} from './ui.js';
import {getJSON} from './http.js';
import {ADMIN, LEVEL_KEY} from './constants.js';
import {map, zoomAt} from './map.js';
import {drillTo} from './drill.js';
import {featureBlock, showPopup} from './popups.js';

let searchSeq = 0;
export function setupSearch() {
  const q = $('#q');
  const list = $('#results');
  let timer;
  let hits = [];
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const term = q.value.trim();
      if (!term) { list.hidden = true; return; }
      const seq = ++searchSeq;
      try {
        const r = await getJSON(`/api/search?q=${encodeURIComponent(term)}&limit=12`);
        if (seq !== searchSeq) return;
        hits = r.results || [];
        list.replaceChildren(...(hits.length ? hits.map((h, i) => el('li', {'data-i': i, onclick: () => choose(h)},
          el('span', {class: 'layer'}, layerTitle(h.layer)), el('span', {}, h.name || h.code), el('span', {class: 'code'}, h.code || '')))
          : [el('li', {}, t('noResult'))]));
        list.hidden = false;
      } catch (err) { report(err); }
    }, 180);
  });
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && hits.length) choose(hits[0]);
    if (e.key === 'Escape') list.hidden = true;
  });
  async function choose(h) {
    list.hidden = true;
    q.blur();
    if (ADMIN.includes(h.layer)) {
      const where = await getJSON(`/api/locate?lon=${h.lon}&lat=${h.lat}`).catch(() => null);
      const path = [];
      for (const name of ADMIN) {
        const u = where && where[LEVEL_KEY[name]];
        if (u) path.push({id: u.id, code: u.code, name: u.name, name_en: u.name_en, layer: name});
        if (u && u.code === h.code) break;
      }
      const unit = path.length && path[path.length - 1].code === h.code ? path[path.length - 1] :
        {id: h.id, code: h.code, name: h.name, layer: h.layer};
      if (!path.length || path[path.length - 1] !== unit) path.push(unit);
      await drillTo(unit, {path});
      return;
    }
    map.flyTo({center: [h.lon, h.lat], zoom: Math.max(map.getZoom(), zoomAt(16)), duration: navigator.webdriver ? 0 : 1200});
    const f = await getJSON(`/collections/${encodeURIComponent(h.layer)}/items/${h.id}`).catch(() => null);
    if (f) showPopup([h.lon, h.lat], () => featureBlock(h.layer, f.properties || {}));
  }
}
