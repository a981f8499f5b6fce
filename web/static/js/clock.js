// The wall clock.

import {state} from './state.js';
import {$} from './ui.js';

// tick shows the wall clock: 2026/11/22 08:30:05 in Chinese, 22/11/2026,
// 08:30:05 in English (formatted by hand: the first Intl date format
// costs the page's start-up ~30 ms on a slow machine).
export function tick() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  $('#clock').textContent = state.lang === 'zh'
    ? `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${time}`
    : `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}, ${time}`;
}
