// Small helpers of the page's DOM: query, build elements, format numbers,
// report a failure to the operator.

import {t} from './i18n.js';

export const $ = (sel) => document.querySelector(sel);
export const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid.nodeType ? kid : String(kid));
  return e;
};
// fmt writes a number as zh-CN and en-US both do (1,234,567.8, at most
// digits decimals). By hand: the first Intl number format costs the
// page's start-up ~16 ms on a slow machine, on the way to the first view.
export const fmt = (n, digits = 0) => {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  const [whole, frac] = Math.abs(Number(n)).toFixed(digits).split('.');
  const sign = Number(n) < 0 && /[1-9]/.test(whole + (frac || '')) ? '-' : '';
  const f = (frac || '').replace(/0+$/, '');
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f ? '.' + f : '');
};

// report shows a failure to the operator without throwing it at the console
// as an uncaught error; the browser test treats console errors as failures.
export function report(err) {
  console.warn('onemap:', err);
  $('#desk-status').textContent = `${t('failed')}: ${err.message || err}`;
}
