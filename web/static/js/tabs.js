// The right panel's tabs: overview, school places, resources.

import {state} from './state.js';
import {t} from './i18n.js';
import {$, el} from './ui.js';
import {map} from './map.js';
import {focusCatchment, schoolError, showSchool} from './school.js';
import {renderResource} from './resources.js';

const TABS = [['kpi', 'tabOverview'], ['school', 'tabSchool'], ['resource', 'tabResource']];

function tabsAvailable() {
  return TABS.filter(([id]) => id === 'kpi' || (id === 'school' ? state.schemas.has('school_pressure') : state.schemas.has('grids')));
}

export function buildTabs() {
  const list = tabsAvailable();
  const nav = $('#tabs');
  nav.hidden = list.length < 2;
  nav.replaceChildren(...list.map(([id, key]) => el('button', {type: 'button', role: 'tab', 'data-tab': id,
    'aria-selected': String(state.tab === id), onclick: () => openTab(id)}, t(key))));
}

// openTab shows one of the right panel's tabs; the model tabs widen the
// panel (their chart needs the room) and load what they show.
export function openTab(id) {
  if (!tabsAvailable().some(([x]) => x === id)) return;
  if (state.tab !== id) {
    state.tab = id;
    for (const [x] of TABS) $('#' + x).hidden = x !== id;
    $('#app').classList.toggle('wide', id !== 'kpi');
    buildTabs();
    if (map) map.resize();
    focusCatchment();
  }
  if (id === 'school') showSchool().catch(schoolError);
  if (id === 'resource') renderResource();
}
