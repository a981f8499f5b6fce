// The KPI panel of the current area.

import {state} from './state.js';
import {t, unitName, value} from './i18n.js';
import {$, el, fmt, report} from './ui.js';
import {HAZARD_CLASS, LEVEL_KEY, RAMP, RISK} from './constants.js';
import {current, drillTo, indicators} from './drill.js';

function tile(label, v, cls = '') {
  return el('div', {class: 'tile ' + cls}, el('div', {class: 'v'}, v), el('div', {class: 'l'}, label));
}

export function renderKPI(s) {
  const here = current();
  const h = s.hazards || {total: 0, by_class: {}, by_level: {}};
  const f = s.flood_points || {};
  const fire = s.fire_stations || {};
  const density = s.area_km2 ? (s.residents + (s.floating || 0)) / s.area_km2 : undefined;
  const maxClass = Math.max(1, ...HAZARD_CLASS.map(([c]) => (h.by_class || {})[c] || 0));
  const box = $('#kpi');
  box.replaceChildren(
    el('div', {class: 'kpi-head'}, el('span', {class: 'name', id: 'kpi-name'}, unitName({...s, code: s.code || here.code})),
      el('span', {class: 'level'}, t(LEVEL_KEY[here.layer]) + (s.code ? ' · ' + s.code : ''))),
    el('section', {},
      el('h2', {}, t('population')),
      el('div', {class: 'tiles'},
        tile(t('residents'), fmt(s.residents)), tile(t('floating'), fmt(s.floating)),
        tile(t('area'), fmt(s.area_km2, 2)), tile(t('density'), fmt(density)))),
    el('section', {},
      el('h2', {}, `${t('hazards')} · ${fmt(h.total)}`),
      el('div', {class: 'chips'}, RISK.map(([l, c]) => el('span', {class: 'chip', style: `border-color:${c};color:${c}`},
        `${t('lvl' + l)} ${fmt((h.by_level || {})[String(l)] || 0)}`))),
      el('h3', {}, t('byClass')),
      el('div', {class: 'bars'}, HAZARD_CLASS.flatMap(([c, col]) => {
        const n = (h.by_class || {})[c] || 0;
        return [el('span', {}, value(c)), el('span', {class: 'bar'}, el('i', {style: `width:${(100 * n) / maxClass}%;background:${col}`})), el('span', {class: 'n'}, fmt(n))];
      }))),
    el('section', {},
      el('h2', {}, `${t('flood')} · ${t('fire')}`),
      el('div', {class: 'tiles four'},
        tile(t('floodWarning'), fmt(f.warning || 0), f.warning ? 'warn' : ''), tile(t('floodAlarm'), fmt(f.alarm || 0), f.alarm ? 'alarm' : ''),
        tile(t('teamsAvailable'), fmt(fire.available), 'ok'), tile(t('teamsTotal'), fmt(fire.total)))),
    el('section', {},
      el('h2', {}, t('facilities')),
      el('div', {class: 'tiles four'},
        tile(t('schools'), fmt(s.schools)), tile(t('hospitals'), fmt(s.hospitals)),
        tile(t('elderly_care'), fmt(s.elderly_care)), tile(t('cameras'), fmt(s.cameras)))),
    el('section', {id: 'kpi-children'}));
}

export function renderChildren(kids, values, layer) {
  const box = $('#kpi-children');
  if (!box) return;
  const rows = kids.map((k, i) => ({k, v: values[i]})).filter((r) => r.v !== undefined).sort((a, b) => b.v - a.v).slice(0, 12);
  const max = Math.max(1, ...rows.map((r) => r.v));
  box.replaceChildren(el('h2', {}, `${t('children')} · ${t(indicators().find(([i]) => i === state.indicator)[1])}`),
    el('ul', {class: 'children'}, rows.map(({k, v}) => el('li', {
      onclick: () => drillTo({id: k.id, code: k.code, name: k.name, name_en: k.name_en, layer}).catch(report),
    }, el('span', {class: 'nm'}, unitName(k)), el('span', {class: 'bars'}, el('span', {class: 'bar'}, el('i', {style: `width:${(100 * v) / max}%;background:${RAMP[3]}`}))),
    el('span', {class: 'n'}, fmt(v))))));
}
