// The live feed (GET /api/live, Server-Sent Events): flood points take
// their live state as feature state, and the KPIs are re-read when a state
// changes — no reload, no tile fetched again.

import {state} from './state.js';
import {map} from './map.js';
import {getJSON} from './http.js';
import {current, stats} from './drill.js';
import {renderKPI} from './kpi.js';
import {renderDispatch} from './desk.js';
import {report} from './ui.js';

function setFlood(id, s) {
  map.setFeatureState({source: 'onemap', sourceLayer: 'flood_points', id}, {state: s});
}

// loadFloodState sets every point's current state (at start and after the
// feed says it lost messages).
async function loadFloodState() {
  const fc = await getJSON('/collections/flood_state/items?limit=10000');
  for (const f of fc.features || []) setFlood(f.id, f.properties.state);
}

// onChange keeps the KPIs current: at the district, whose figures count
// every point, the change is applied to them at once; elsewhere (a point
// may lie outside the unit shown) the unit's figures are read again. The
// cached figures of other units are dropped.
let pending = 0;
function onChange(c) {
  const here = current();
  if (!here) return;
  for (const code of [...state.stats.keys()]) if (code !== here.code || state.path.length > 1) state.stats.delete(code);
  const s = state.statsReady.get(here.code);
  if (state.path.length === 1 && s && s.flood_points) {
    const f = s.flood_points;
    if (c.previous) f[c.previous] = Math.max(0, (f[c.previous] || 0) - 1);
    f[c.state] = (f[c.state] || 0) + 1;
    renderKPI(s);
    if (!state.dispatch) renderDispatch();
    return;
  }
  clearTimeout(pending);
  pending = setTimeout(async () => {
    const s2 = await stats(here.code);
    if (current() === here) renderKPI(s2);
  }, 20);
}

function refreshKPI() {
  const here = current();
  if (!here) return;
  state.stats.clear();
  stats(here.code).then((s) => { if (current() === here) renderKPI(s); }, report);
}

// startLive subscribes to the feed once the style is in.
export function startLive() {
  if (!state.schemas.has('flood_state')) return;
  loadFloodState().catch(report);
  const es = new EventSource('/api/live?types=flood_state');
  window.onemap.live = {received: 0};
  es.addEventListener('flood_state', (e) => {
    const m = JSON.parse(e.data);
    setFlood(m.data.id, m.data.state);
    window.onemap.live.received++;
    window.onemap.live.last = m.data;
    onChange(m.data);
  });
  es.addEventListener('reset', () => { loadFloodState().then(refreshKPI, report); });
}
