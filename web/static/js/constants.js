// The grid hierarchy's layers, the colours of classes, levels and states
// (the same as web/page.go's style), and the layers panel's legends and order.

import {t, value} from './i18n.js';

export const ADMIN = ['districts', 'streets', 'communities', 'grids'];
export const LEVEL_KEY = {districts: 'district', streets: 'street', communities: 'community', grids: 'grid'};

export const HAZARD_CLASS = [['industrial', '#ff8a3d'], ['crowded', '#ffd23f'], ['public_facility', '#4dd0e1'], ['chemicals', '#c061ff']];
export const RISK = [[1, '#ff2d2d'], [2, '#ff8c1a'], [3, '#ffd60a'], [4, '#3d8bff']];
const FLOOD = [['normal', '#2ecc71'], ['warning', '#ffb020'], ['alarm', '#ff3b30'], ['stale', '#8e8e93']];
export const RAMP = ['#1d3f73', '#2a6d9e', '#3fa3b5', '#d8c35c', '#f0743a'];
export const RANK_COLORS = ['#ff3b30', '#ff9500', '#ffd60a', '#5ac8fa', '#af8cff'];
// The paint property that sets a whole layer's opacity, by layer type.
export const LAYER_OPACITY = {fill: 'fill-layer-opacity', line: 'line-layer-opacity'};
export const WARNING = [['red', '#ff3b30'], ['orange', '#ff9500'], ['yellow', '#ffd60a'], ['green', '#34c759']];

// Legend entries per layer: [label, colour, shape].
export function legendFor(name) {
  switch (name) {
    case 'districts': return [['', '#7fdcff', 'line']];
    case 'streets': return [['', '#3fa6e0', 'line']];
    case 'communities': return [['', '#2f86b8', 'line']];
    case 'grids': return [['', '#2a6a92', 'line']];
    case 'hazards': return [
      ...HAZARD_CLASS.map(([c, col]) => [value(c), col, 'dot']),
      ...RISK.map(([l, col]) => [t('lvl' + l), col, 'ring'])];
    case 'flood_points': return FLOOD.map(([s, col]) => [value(s), col, 'dot']);
    case 'fire_stations': return [[t('available'), '#ff453a', 'dot'], [t('unavailable'), '#8e8e93', 'dot']];
    case 'fire_circles': return [['', '#ff6b5e', 'box']];
    case 'schools': return [[value('primary'), '#5aa0ff', 'dot'], [value('junior'), '#2f6bff', 'dot']];
    case 'catchments': return [['', '#9b7bff', 'line']];
    case 'hospitals': return [['', '#ff5fa2', 'dot']];
    case 'elderly_care': return [['', '#a78bfa', 'dot']];
    case 'cameras': return [['', '#7dd3fc', 'dot']];
    case 'roads': return [[t('arterial'), '#d9902f', 'line'], [t('secondary'), '#9c7a44', 'line'], [t('local'), '#4d5870', 'line']];
    case 'buildings': return [['', '#2f3f5a', 'box']];
    case 'water': return [['', '#0f2c4a', 'box']];
    case 'school_pressure': return WARNING.map(([w, c]) => [value(w), c, 'box']);
    default: return [];
  }
}

// The order of the layers panel: what the desk looks at first.
export const PANEL_ORDER = ['districts', 'streets', 'communities', 'grids', 'hazards', 'flood_points', 'fire_stations', 'fire_circles',
  'schools', 'catchments', 'hospitals', 'elderly_care', 'cameras', 'roads', 'buildings', 'water'];
