// Switching the page's language: every panel, popup and label follows.

import {state} from './state.js';
import {L, labelText, t} from './i18n.js';
import {$, report} from './ui.js';
import {map, styleIndex} from './map.js';
import {buildPanel} from './panel.js';
import {buildIndicators, current, paintChoropleth, renderBreadcrumb, stats} from './drill.js';
import {renderKPI} from './kpi.js';
import {renderDispatch} from './desk.js';
import {buildTabs} from './tabs.js';
import {renderSchool} from './school.js';
import {paintResource, renderResource, resourceError} from './resources.js';

export function setLanguage(lang) {
  state.lang = lang;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  $('#lang').textContent = lang === 'zh' ? 'EN' : '中文';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  $('#alarm').textContent = t('alarmHere');
  const c = state.config;
  if (c) {
    const name = lang === 'en' && c.name_en ? c.name_en : c.name;
    $('#title').textContent = name ? `${name} · ${L('一张图', 'One Map')}` : L('一张图', 'One Map');
    document.title = $('#title').textContent;
  }
  if (state.styleReady) {
    // A label's text is layout: changing it lays every tile out again, so
    // only a change of language does.
    if (state.labelLang !== lang) {
      for (const l of styleIndex()) {
        if (l.metadata && l.metadata['onemap:role'] === 'label') map.setLayoutProperty(l.id, 'text-field', labelText(l.metadata['onemap:field'], lang));
      }
      state.labelLang = lang;
    }
    buildPanel();
  }
  buildIndicators();
  renderBreadcrumb();
  if (current()) stats(current().code).then((s) => { renderKPI(s); return paintChoropleth(); }).catch(report);
  if (state.popup && state.popupContent) state.popup.setDOMContent(state.popupContent());
  renderDispatch();
  buildTabs();
  renderSchool();
  if (state.res.resource && map) paintResource().catch(resourceError);
  else renderResource();
}
