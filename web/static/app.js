// The one-map big screen of the command centre. Plain JavaScript (an ES
// module, no framework, no dependency but the vendored MapLibre GL JS):
// every request goes to onemap itself — /api/*, /style.json, /tiles/*,
// /fonts/*, /collections/* — so the page works on a closed network.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

// ---------------------------------------------------------------- i18n

const TEXT = {
  zh: {
    subtitle: '城市运行一张图 · 指挥中心', synthetic: '合成演示数据', searchPlaceholder: '搜索网格编码、社区/街道名称、设施名称',
    layers: '图层', choropleth: '专题渲染', none: '无', residents: '常住人口', floating: '流动人口', hazardCount: '危险源数量',
    pressurePrimary: '小学学位压力', pressureJunior: '初中学位压力', district: '区', street: '街道', community: '社区', grid: '网格',
    population: '人口', area: '面积(km²)', density: '人口密度(人/km²)', hazards: '危险源', byLevel: '按风险等级', byClass: '按类别',
    flood: '易涝点', normal: '正常', warning: '预警', alarm: '报警', fire: '消防救援', available: '可出动', total: '总数',
    facilities: '公共设施', schools: '学校', hospitals: '医院', elderly_care: '养老机构', cameras: '视频监控',
    children: '下级区域', floodWarning: '易涝点预警', floodAlarm: '易涝点报警', teamsAvailable: '队伍可出动', teamsTotal: '消防队伍', alarmHere: '报警 / alarm here', pickPoint: '请在地图上点击报警位置(Esc 取消)',
    dispatching: '正在计算出动方案…', roadNetwork: '道路网络行驶时间', straightLine: '直线距离 / straight line (调度服务不可用)',
    noTeams: '点击"报警",再点击地图,显示最近的消防队伍、路线和到达时间', eta: '到达', km: '公里', min: '分', sec: '秒',
    yes: '是', no: '否', noResult: '无结果', building: '建筑', clusters: '聚合', legendClass: '类别(填色)', legendLevel: '风险等级(外圈)',
    lvl1: '重大', lvl2: '较大', lvl3: '一般', lvl4: '低', unavailable: '不可出动', incident: '报警位置', failed: '请求失败',
    arterial: '主干路', secondary: '次干路', local: '支路',
    tabOverview: '区域概况', tabSchool: '学位预警', tabResource: '资源配置',
    schoolPlaces: '学位供需', districtWide: '全区', level: '学段', warnYear: '预警年份', pupils: '在校生', projected: '预测', seats: '学位',
    catchmentWarnings: '学区预警', mostPressed: '学位最紧张的学区', pressureCol: '供需比', gapCol: '缺口', backToDistrict: '返回全区',
    clickCatchment: '点击地图上的学区查看其学位供需曲线', loading: '加载中…',
    resources: '资源供需', resElderly: '养老床位', resHospital: '医疗床位', resParking: '停车位', resJobs: '就业岗位',
    colourBy: '着色', byGap: '供需缺口', byScore: '可达性', demand: '需求', supply: '供给', gap: '缺口', met: '满足率',
    surplus: '盈余(供给≥需求)', shortage: '缺口', scoreLegend: '可达供给/需求(E2SFCA,10分钟内)', noSupply: '无供给数据(缺少设施图层),仅显示需求',
    standard: '标准', pickResource: '选择一种资源,按网格显示供需缺口或可达性',
    suggestSites: '建议选址', sitesN: '数量', model: '模型', radius: '半径(分钟)', pmedian: 'p-中位(最短出行)', mclp: '最大覆盖(MCLP)',
    objective: '目标值', avgTravel: '平均出行', lowerBound: '下界', upperBound: '上界', provenOptimal: '已证明最优', gapBound: '与界差距',
    covered: '覆盖需求', solveTime: '求解用时', roundTrip: '往返', minutes: '分钟', servedGrids: '网格', servedDemand: '需求',
    newSite: '建议新址', siting: '计算选址中…', costNetwork: '道路网络行驶时间', costLine: '直线距离',
  },
  en: {
    subtitle: 'City operations one-map · Command centre', synthetic: 'synthetic demo data', searchPlaceholder: 'Search grid code, community/street or facility name',
    layers: 'Layers', choropleth: 'Choropleth', none: 'None', residents: 'Residents', floating: 'Floating pop.', hazardCount: 'Hazard count',
    pressurePrimary: 'Primary places', pressureJunior: 'Junior places', district: 'District', street: 'Street', community: 'Community', grid: 'Grid',
    population: 'Population', area: 'Area (km²)', density: 'Density (/km²)', hazards: 'Hazard sources', byLevel: 'By risk level', byClass: 'By class',
    flood: 'Flood-prone points', normal: 'Normal', warning: 'Warning', alarm: 'Alarm', fire: 'Fire & rescue', available: 'Available', total: 'Total',
    facilities: 'Facilities', schools: 'Schools', hospitals: 'Hospitals', elderly_care: 'Elderly care', cameras: 'Cameras',
    children: 'Sub-areas', floodWarning: 'Flood warnings', floodAlarm: 'Flood alarms', teamsAvailable: 'Teams ready', teamsTotal: 'Fire teams', alarmHere: '报警 / alarm here', pickPoint: 'Click the map where the incident is (Esc cancels)',
    dispatching: 'Ranking the fire teams…', roadNetwork: 'Drive time on the road network', straightLine: 'straight line / 直线距离 (dispatch service unavailable)',
    noTeams: 'Press "alarm here", then click the map: the nearest fire teams, routes and ETAs appear here', eta: 'ETA', km: 'km', min: 'min', sec: 's',
    yes: 'yes', no: 'no', noResult: 'No results', building: 'Building', clusters: 'clusters', legendClass: 'Class (fill)', legendLevel: 'Risk level (ring)',
    lvl1: 'Major', lvl2: 'High', lvl3: 'Moderate', lvl4: 'Low', unavailable: 'Unavailable', incident: 'Incident', failed: 'Request failed',
    arterial: 'Arterial', secondary: 'Secondary', local: 'Local',
    tabOverview: 'Overview', tabSchool: 'School places', tabResource: 'Resources',
    schoolPlaces: 'School places', districtWide: 'District', level: 'Level', warnYear: 'Year', pupils: 'pupils', projected: 'projected', seats: 'seats',
    catchmentWarnings: 'Catchment warnings', mostPressed: 'Most pressed catchments', pressureCol: 'Pressure', gapCol: 'Gap', backToDistrict: 'District',
    clickCatchment: 'Click a catchment on the map for its demand vs seats', loading: 'Loading…',
    resources: 'Resource supply and demand', resElderly: 'Elderly-care beds', resHospital: 'Hospital beds', resParking: 'Parking', resJobs: 'Jobs',
    colourBy: 'Colour by', byGap: 'Gap', byScore: 'Accessibility', demand: 'Demand', supply: 'Supply', gap: 'Gap', met: 'Met',
    surplus: 'Surplus (supply ≥ demand)', shortage: 'Shortage', scoreLegend: 'Reachable supply per demand (E2SFCA, 10 min)', noSupply: 'No supply data (no facility layer): demand only',
    standard: 'Standard', pickResource: 'Pick a resource: grids coloured by shortage or accessibility',
    suggestSites: 'Suggest sites', sitesN: 'N', model: 'Model', radius: 'Radius (min)', pmedian: 'p-median (least travel)', mclp: 'Max coverage (MCLP)',
    objective: 'Objective', avgTravel: 'Mean travel', lowerBound: 'Lower bound', upperBound: 'Upper bound', provenOptimal: 'proven optimal', gapBound: 'gap to bound',
    covered: 'Covered demand', solveTime: 'Solved in', roundTrip: 'round trip', minutes: 'min', servedGrids: 'grids', servedDemand: 'demand',
    newSite: 'Proposed site', siting: 'Computing sites…', costNetwork: 'road network minutes', costLine: 'straight line',
  },
};

// Enumerated attribute values, translated in popups and legends.
const VALUES = {
  industrial: ['工业企业', 'Industrial'], crowded: ['人员密集场所', 'Crowded place'], public_facility: ['公共设施', 'Public facility'],
  chemicals: ['危险化学品', 'Hazardous chemicals'], normal: ['正常', 'Normal'], warning: ['预警', 'Warning'], alarm: ['报警', 'Alarm'],
  primary: ['小学', 'Primary'], junior: ['初中', 'Junior secondary'], special: ['特勤站', 'Special'], general: ['普通站', 'General'],
  small: ['小型站', 'Small'], arterial: ['主干路', 'Arterial'], secondary: ['次干路', 'Secondary'], local: ['支路', 'Local'],
  residential: ['住宅', 'Residential'], commercial: ['商业', 'Commercial'], public: ['公共', 'Public'], radius: ['半径', 'Radius'],
  network: ['路网', 'Road network'], district: ['区', 'District'], street: ['街道', 'Street'], community: ['社区', 'Community'],
  grid: ['网格', 'Grid'], red: ['红色', 'Red'], orange: ['橙色', 'Orange'], yellow: ['黄色', 'Yellow'], green: ['绿色', 'Green'],
};

const state = {
  lang: 'zh',
  config: null,
  schemas: new Map(), // layer name → schema
  path: [], // breadcrumb: [{code, name, name_en, layer}]
  indicator: 'residents',
  stats: new Map(), // code → promise of the /api/stats answer
  statsReady: new Map(), // code → /api/stats answer, once it came
  picking: false,
  popup: null,
  popupContent: null, // () => HTMLElement, re-run on language change
  dispatch: null, // last dispatch answer, re-rendered on language change
  scale: 1,
  styleReady: false,
  labelLang: null, // the language the map's labels are laid out in
  dispatchDrawn: false, // whether the dispatch source holds features
  tab: 'kpi', // the right panel's tab: kpi, school or resource
  // School places: the level and projected year shown, the catchment whose
  // chart is open (null: the district), the projection and the layer's ids.
  school: {level: 'primary', year: null, layerYear: null, catchment: null, proj: null, features: null,
    svg: null, chartKey: '', chartSeq: 0, error: null, load: null, warned: []},
  // Resources: the resource on the map, its figures per grid (cached), the
  // grids coloured, and the last suggested sites.
  res: {resource: null, mode: 'gap', cache: new Map(), painted: [], siteGrids: [], siting: null, n: 3, model: 'p-median',
    radius: 1.5, prevIndicator: 'residents', error: null, seq: 0},
};

const t = (key) => TEXT[state.lang][key] ?? key;
const L = (zh, en) => (state.lang === 'zh' ? zh : en);
const value = (v) => (typeof v === 'string' && VALUES[v] ? VALUES[v][state.lang === 'zh' ? 0 : 1] : v);
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
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
const fmt = (n, digits = 0) => {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  const [whole, frac] = Math.abs(Number(n)).toFixed(digits).split('.');
  const sign = Number(n) < 0 && /[1-9]/.test(whole + (frac || '')) ? '-' : '';
  const f = (frac || '').replace(/0+$/, '');
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f ? '.' + f : '');
};
const unitName = (u) => (state.lang === 'en' && u.name_en ? u.name_en : u.name) || u.code;
const layerTitle = (name) => { const s = state.schemas.get(name); return s ? L(s.title_zh, s.title_en) : name; };

async function getJSON(url) {
  // index.html asks for the first view's answers before this module loads.
  const early = window.onemapEarly && window.onemapEarly.get(url);
  if (early) window.onemapEarly.delete(url);
  const r = await (early || fetch(url, {headers: {Accept: 'application/json'}}));
  if (!r.ok) {
    const err = new Error(`${url}: ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

// ---------------------------------------------------------------- constants

const ADMIN = ['districts', 'streets', 'communities', 'grids'];
const LEVEL_KEY = {districts: 'district', streets: 'street', communities: 'community', grids: 'grid'};
const POINT_LAYERS = ['fire_stations', 'flood_points', 'hazards', 'schools', 'hospitals', 'elderly_care', 'cameras'];
const HAZARD_CLASS = [['industrial', '#ff8a3d'], ['crowded', '#ffd23f'], ['public_facility', '#4dd0e1'], ['chemicals', '#c061ff']];
const RISK = [[1, '#ff2d2d'], [2, '#ff8c1a'], [3, '#ffd60a'], [4, '#3d8bff']];
const FLOOD = [['normal', '#2ecc71'], ['warning', '#ffb020'], ['alarm', '#ff3b30']];
const RAMP = ['#1d3f73', '#2a6d9e', '#3fa3b5', '#d8c35c', '#f0743a'];
const RANK_COLORS = ['#ff3b30', '#ff9500', '#ffd60a', '#5ac8fa', '#af8cff'];
// The paint property that sets a whole layer's opacity, by layer type.
const LAYER_OPACITY = {fill: 'fill-layer-opacity', line: 'line-layer-opacity'};
const WARNING = [['red', '#ff3b30'], ['orange', '#ff9500'], ['yellow', '#ffd60a'], ['green', '#34c759']];

// Legend entries per layer: [label, colour, shape].
function legendFor(name) {
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
const PANEL_ORDER = ['districts', 'streets', 'communities', 'grids', 'hazards', 'flood_points', 'fire_stations', 'fire_circles',
  'schools', 'catchments', 'hospitals', 'elderly_care', 'cameras', 'roads', 'buildings', 'water'];

// ---------------------------------------------------------------- style scaling

// scaleStyle makes a wall of k×1080 pixels show what a 1920×1080 one does,
// as a device pixel ratio of k would: MapLibre shows the same area at zoom
// z + log2(k), so every zoom in the style (stops, filters, layer ranges)
// moves by log2(k) and every size (text, circles, lines) grows k times.
function scaleStyle(style, k) {
  if (k === 1) return style;
  const dz = Math.log2(k);
  const sizes = ['text-size', 'circle-radius', 'circle-stroke-width', 'line-width', 'text-halo-width'];
  const isZoom = (e) => Array.isArray(e) && e[0] === 'zoom';
  const shift = (v) => {
    if (!Array.isArray(v)) return v;
    if ((String(v[0]).startsWith('interpolate') && isZoom(v[2])) || (v[0] === 'step' && isZoom(v[1]))) {
      return v.map((x, i) => (i >= 3 && i % 2 === 1 ? x + dz : shift(x)));
    }
    if (['<', '<=', '>', '>=', '==', '!='].includes(v[0]) && isZoom(v[1]) && typeof v[2] === 'number') return [v[0], v[1], v[2] + dz];
    return v.map(shift);
  };
  const grow = (v) => {
    if (typeof v === 'number') return v * k;
    if (Array.isArray(v) && String(v[0]).startsWith('interpolate') && isZoom(v[2])) {
      return v.map((x, i) => (i >= 4 && i % 2 === 0 ? grow(x) : x));
    }
    return Array.isArray(v) ? ['*', k, v] : v;
  };
  for (const layer of style.layers) {
    if (layer.minzoom) layer.minzoom += dz;
    if (layer.maxzoom) layer.maxzoom = Math.min(24, layer.maxzoom + dz);
    if (layer.filter) layer.filter = shift(layer.filter);
    for (const part of [layer.paint, layer.layout]) {
      if (!part) continue;
      for (const p of Object.keys(part)) {
        part[p] = shift(part[p]);
        if (sizes.includes(p)) part[p] = grow(part[p]);
      }
    }
  }
  return style;
}

// zoomAt is the zoom that shows on this wall what zoom z shows at 1080 pixels.
const zoomAt = (z) => z + Math.log2(state.scale);

// ---------------------------------------------------------------- map

let map;

async function start() {
  state.lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';
  state.scale = Math.max(1, Math.min(3, window.innerHeight / 1080));
  document.documentElement.style.setProperty('--ui-scale', String(state.scale));
  // The district's figures and its streets' are fetched with the config, so
  // the choropleth is ready when the tiles are.
  stats('').then((root) => { for (const k of root.children || []) stats(k.code).catch(() => {}); }).catch(() => {});
  const [config, style] = await Promise.all([getJSON('/api/config'), getJSON('/style.json')]);
  mark('config');
  // One turn of the event loop before building the map (a long task on a
  // slow machine): the browser starts MapLibre's worker, which prewarm()
  // asked for, now rather than after it, and the first tiles are asked for
  // sooner.
  await new Promise((resolve) => setTimeout(resolve, 0));
  state.config = config;
  // Instant restyling and short label fades: the wall is watched, not browsed.
  style.transition = {duration: 150, delay: 0};
  for (const s of config.layers || []) state.schemas.set(s.name, s);
  for (const l of style.layers) {
    if (l.metadata && l.metadata['onemap:role'] === 'label') l.layout['text-field'] = labelText(l.metadata['onemap:field'], state.lang);
  }
  state.labelLang = state.lang;

  // The style's ground colour is painted by the page (CSS) under a
  // transparent map: in software WebGL a full-screen fill costs every
  // frame ~9 ms and the first frame a shader program.
  const ground = style.layers.findIndex((l) => l.type === 'background');
  if (ground >= 0) {
    $('#map').style.backgroundColor = style.layers[ground].paint['background-color'];
    style.layers.splice(ground, 1);
  }
  const bounds = config.bounds;
  map = new maplibregl.Map({
    container: 'map',
    style: scaleStyle(addPageLayers(style), state.scale),
    bounds: bounds ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    center: bounds ? undefined : config.center,
    zoom: bounds ? undefined : 12,
    fitBoundsOptions: {padding: 24 * state.scale},
    fadeDuration: 150,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
    attributionControl: {compact: false},
    dragRotate: false,
    pitchWithRotate: false,
    maxZoom: zoomAt(19),
    // The style is validated by the browser test (a long task of ~30 ms
    // on every start otherwise).
    validateStyle: false,
  });
  skipUnstyledSky(map, style);
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({showCompass: false}), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({unit: 'metric'}), 'bottom-left');
  window.onemap.map = map;
  // ready: every tile of the first view drawn and the district's panels
  // and choropleth in place.
  let pending = 2;
  const done = () => { if (--pending === 0) window.onemap.resolveReady(); };
  map.once('style.load', () => {
    mark('style');
    state.styleReady = true;
    setLanguage(state.lang);
    // The district's choropleth and focus are feature state, set before the
    // tiles come so that their first frame has them. A server without the
    // grid hierarchy (an OSM extract) still shows its map.
    drillTo(null, {fit: false}).then(() => { mark('choropleth'); done(); }, (err) => { report(err); done(); });
  });
  // Frames drawn until every tile of the first view is in.
  let frames = 0;
  const countFrame = () => { frames++; };
  map.on('render', countFrame);
  map.once('load', () => {
    mark('load');
    map.off('render', countFrame);
    window.onemap.firstViewFrames = frames;
    map.once('idle', () => {
      // Navigation → every tile of the first view loaded and drawn (Performance API).
      window.onemap.firstIdleMs = performance.now();
      window.onemap.firstIdleTilesLoaded = map.areTilesLoaded();
      mark('idle');
      done();
    });
  });
  map.on('click', onMapClick);
  map.on('mousemove', (e) => {
    if (state.picking) return;
    const hit = map.queryRenderedFeatures(e.point, {layers: interactiveLayers()});
    map.getCanvas().style.cursor = hit.length ? 'pointer' : '';
  });

  buildIndicators();
  buildTabs();
  $('#synthetic').hidden = !config.synthetic;
}

// interactiveLayers are the style layers a click can hit, visible ones only.
function interactiveLayers() {
  return styleIndex()
    .filter((l) => l.metadata && ['point', 'choropleth', 'cluster'].includes(l.metadata['onemap:role']))
    .filter((l) => l.type !== 'symbol' && map.getLayoutProperty(l.id, 'visibility') !== 'none')
    .map((l) => l.id);
}

// styleIndex lists the style's layers (id, type, metadata). Serialising the
// style is not cheap, so the list is kept until a layer is added.
let styleIndexCache = null;
function styleIndex() {
  if (!styleIndexCache) styleIndexCache = map.getStyle().layers.map(({id, type, metadata, layout}) => ({id, type, metadata, layout}));
  return styleIndexCache;
}

function styleLayersOf(name) {
  return styleIndex().filter((l) => l.metadata && l.metadata['onemap:layer'] === name);
}

// skipUnstyledSky stops MapLibre drawing a sky the style does not have.
// MapLibre 6 draws one (a transparent full-screen quad) in every frame
// even then, though it meant to skip it (maplibre-gl-js#3645); without a
// GPU it costs ~15 ms a frame, and its shader program the first frame.
// The frame is the same to the pixel without it (measured). If a later
// MapLibre renames these internals, nothing changes.
function skipUnstyledSky(map, style) {
  const painter = map.painter;
  if (style.sky || !painter || !painter.drawFunctions || typeof painter.drawFunctions.sky !== 'function') return;
  painter.drawFunctions = {...painter.drawFunctions, sky: () => {}};
}

// addPageLayers adds the page's own layers over the served tiles to the
// style before the map starts, so that no tile is laid out twice.
function addPageLayers(style) {
  const served = new Set((style.metadata && style.metadata['onemap:layers']) || []);
  const at = (pred) => { const i = style.layers.findIndex(pred); return i < 0 ? style.layers.length : i; };
  const level = ['==', ['get', 'level'], state.school.level];
  if (style.sources.onemap && served.has('grids')) {
    // The resource shortage map: grids coloured by feature state, under
    // every boundary, road and point; suggested sites' grids outlined.
    style.layers.splice(at((l) => l.metadata && ADMIN.includes(l.metadata['onemap:layer'])), 0,
      {id: 'resource-fill', type: 'fill', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'fill-color': ['coalesce', ['feature-state', 'res'], 'rgba(0,0,0,0)'], 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.78, 15, 0.6, 17, 0.4]},
        metadata: {'onemap:role': 'resource'}},
      {id: 'resource-line', type: 'line', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'line-color': '#0a0f1a', 'line-width': 0.5, 'line-opacity': ['case', ['to-boolean', ['feature-state', 'res']], 0.55, 0]},
        metadata: {'onemap:role': 'resource'}});
    style.layers.splice(at((l) => l.type === 'symbol'), 0,
      {id: 'siting-grid-line', type: 'line', source: 'onemap', 'source-layer': 'grids', minzoom: 12, layout: {visibility: 'none'},
        paint: {'line-color': ['coalesce', ['feature-state', 'site'], 'rgba(0,0,0,0)'], 'line-width': 1.6},
        metadata: {'onemap:role': 'siting'}});
  }
  if (style.sources.onemap && served.has('catchments')) {
    // Catchments are drawn as lines; a transparent fill makes them clickable.
    style.layers.splice(at((l) => l.id === 'catchments-line') + 1, 0,
      {id: 'catchments-hit', type: 'fill', source: 'onemap', 'source-layer': 'catchments', minzoom: 10, filter: level,
        layout: {visibility: 'none'}, paint: {'fill-color': 'rgba(0,0,0,0)'}, metadata: {'onemap:layer': 'catchments', 'onemap:role': 'hit'}});
  }
  if (style.sources.onemap && served.has('school_pressure')) {
    // The catchment whose chart is open.
    style.layers.splice(at((l) => l.type === 'symbol'), 0,
      {id: 'school-focus', type: 'line', source: 'onemap', 'source-layer': 'school_pressure', minzoom: 10,
        layout: {'line-join': 'round', visibility: 'none'},
        paint: {'line-color': '#ffe066', 'line-width': 3, 'line-opacity': ['case', ['boolean', ['feature-state', 'sel'], false], 0.95, 0]},
        metadata: {'onemap:role': 'school-focus'}});
  }
  for (const l of style.layers) {
    // The choropleth fills and focus outlines of the grid hierarchy start
    // undrawn; setState draws the level it colours or outlines.
    const role = l.metadata && l.metadata['onemap:role'];
    if (role === 'choropleth' || role === 'focus') {
      const prop = LAYER_OPACITY[l.type];
      l.paint = {...l.paint, [prop]: 0, [prop + '-transition']: {duration: 0, delay: 0}};
    }
  }
  for (const l of style.layers) {
    // School-place pressure: one level at a time (primary and junior
    // catchments overlap), and another projected year than the layer's
    // is painted by feature state.
    if (!l.metadata || l.metadata['onemap:layer'] !== 'school_pressure') continue;
    l.filter = level;
    if (l.type === 'fill') l.paint['fill-color'] = ['coalesce', ['feature-state', 'warn'], l.paint['fill-color']];
    if (l.type === 'line') l.paint['line-color'] = ['coalesce', ['feature-state', 'warn'], l.paint['line-color']];
  }
  return style;
}

// pageSource is the GeoJSON source the page draws name ('dispatch': the
// fire desk's routes, teams and incident; 'siting': suggested sites),
// added with its layers on first use: an empty source in the first view
// would cost it a frame.
function pageSource(name) {
  if (!map || !state.styleReady) return null;
  if (!map.getSource(name)) {
    map.addSource(name, {type: 'geojson', data: emptyFC()});
    // Sites under the desk's routes, both over everything else.
    const before = name === 'siting' && map.getLayer('dispatch-route-casing') ? 'dispatch-route-casing' : undefined;
    for (const l of scaleStyle({layers: PAGE_LAYERS[name]()}, state.scale).layers) map.addLayer(l, before);
    styleIndexCache = null;
  }
  return map.getSource(name);
}

const isKind = (k) => ['==', ['get', 'kind'], k];
const PAGE_LAYERS = {
  siting: () => [
    {id: 'siting-link', type: 'line', source: 'siting', filter: isKind('link'),
      paint: {'line-color': ['get', 'color'], 'line-width': 1.3, 'line-opacity': 0.75}},
    // Proposed sites are rings (the fire desk's teams are filled discs).
    {id: 'siting-site-halo', type: 'circle', source: 'siting', filter: isKind('site'),
      paint: {'circle-radius': 22, 'circle-color': ['get', 'color'], 'circle-opacity': 0.25, 'circle-blur': 0.35}},
    {id: 'siting-site', type: 'circle', source: 'siting', filter: isKind('site'),
      paint: {'circle-radius': 13, 'circle-color': '#0a0f1a', 'circle-stroke-color': ['get', 'color'], 'circle-stroke-width': 3.5},
      metadata: {'onemap:role': 'site'}},
    {id: 'siting-site-rank', type: 'symbol', source: 'siting', filter: isKind('site'),
      layout: {'text-field': ['to-string', ['get', 'rank']], 'text-font': ['DejaVu Sans Book'], 'text-size': 15, 'text-allow-overlap': true, 'text-ignore-placement': true},
      paint: {'text-color': ['get', 'color']}}],
  dispatch: () => [
    {id: 'dispatch-route-casing', type: 'line', source: 'dispatch', filter: isKind('route'),
      layout: {'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['-', 10, ['get', 'rank']]},
      paint: {'line-color': '#05080f', 'line-width': 8, 'line-opacity': 0.8}},
    {id: 'dispatch-route', type: 'line', source: 'dispatch', filter: isKind('route'),
      layout: {'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['-', 10, ['get', 'rank']]},
      paint: {'line-color': ['get', 'color'], 'line-width': ['case', ['==', ['get', 'rank'], 1], 5, 3.5],
        'line-dasharray': ['case', ['get', 'straight'], ['literal', [2, 1.5]], ['literal', [1, 0]]]}},
    {id: 'dispatch-unit', type: 'circle', source: 'dispatch', filter: isKind('unit'),
      paint: {'circle-radius': 11, 'circle-color': ['get', 'color'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2}},
    {id: 'dispatch-unit-rank', type: 'symbol', source: 'dispatch', filter: isKind('unit'),
      layout: {'text-field': ['to-string', ['get', 'rank']], 'text-font': ['DejaVu Sans Book'], 'text-size': 13, 'text-allow-overlap': true},
      paint: {'text-color': '#05080f'}},
    {id: 'dispatch-incident-halo', type: 'circle', source: 'dispatch', filter: isKind('incident'),
      paint: {'circle-radius': 22, 'circle-color': '#ff3b30', 'circle-opacity': 0.3, 'circle-blur': 0.3}},
    {id: 'dispatch-incident', type: 'circle', source: 'dispatch', filter: isKind('incident'),
      paint: {'circle-radius': 8, 'circle-color': '#ff3b30', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3}}],
};

function firstLabelLayer() {
  const l = styleIndex().find((x) => x.type === 'symbol');
  return l && l.id;
}

const emptyFC = () => ({type: 'FeatureCollection', features: []});

// ---------------------------------------------------------------- layers panel

function buildPanel() {
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

function setLayerVisible(name, on) {
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
    styleIndexCache = null;
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

// ---------------------------------------------------------------- choropleth and drill-down

function indicators() {
  const list = [['residents', 'residents'], ['floating', 'floating'], ['hazards', 'hazardCount']];
  if (state.schemas.has('school_pressure')) list.push(['school_pressure:primary', 'pressurePrimary'], ['school_pressure:junior', 'pressureJunior']);
  list.push(['none', 'none']);
  return list;
}

function buildIndicators() {
  const box = $('#indicators');
  box.replaceChildren(...indicators().map(([id, key]) => el('button', {
    type: 'button', role: 'radio', 'data-indicator': id, 'aria-checked': String(state.indicator === id),
    onclick: () => {
      if (state.res.resource) setResource(null, {keepIndicator: true});
      state.indicator = id;
      buildIndicators();
      paintChoropleth().catch(report);
      if (id.startsWith('school_pressure')) openTab('school');
    },
  }, t(key))));
}

const current = () => state.path[state.path.length - 1];
const childLayer = (layer) => ADMIN[ADMIN.indexOf(layer) + 1];

async function stats(code) {
  if (!state.stats.has(code)) {
    state.stats.set(code, getJSON('/api/stats?code=' + encodeURIComponent(code)).then((s) => {
      state.statsReady.set(s.code, s);
      return s;
    }));
  }
  return state.stats.get(code);
}

function indicatorValue(s) {
  switch (state.indicator) {
    case 'residents': return s.residents;
    case 'floating': return s.floating;
    case 'hazards': return s.hazards ? s.hazards.total : undefined;
    default: return undefined;
  }
}

// setState sets one feature-state key on features of an admin layer
// (pairs of id and value) after clearing it wherever it was set before.
// The choropleth colour and the focus outline are feature state, so
// drilling down never re-lays out a tile.
const stateSet = {color: [], focus: []};
function setState(key, layer, pairs) {
  for (const [sourceLayer, id] of stateSet[key]) map.setFeatureState({source: 'onemap', sourceLayer, id}, {[key]: null});
  stateSet[key] = [];
  for (const [id, v] of pairs) {
    if (id === undefined || id === null) continue;
    map.setFeatureState({source: 'onemap', sourceLayer: layer, id}, {[key]: v});
    stateSet[key].push([layer, id]);
  }
  // Only the level that has colours (or the outline) is drawn: the others
  // are transparent everywhere, and a transparent fill or line still costs
  // a software-rendered wall its pixels in every frame. The layers stay
  // laid out and clickable; their layer opacity is paint, so no tile is
  // laid out again.
  const suffix = key === 'color' ? '-choropleth' : '-focus';
  for (const level of ADMIN) {
    const l = map.getLayer(level + suffix);
    if (!l) continue;
    const prop = LAYER_OPACITY[l.type];
    const want = level === layer && stateSet[key].length ? 1 : 0;
    if (map.getPaintProperty(l.id, prop) !== want) map.setPaintProperty(l.id, prop, want);
  }
}

// showLayers shows or hides page layers drawn only while in use: a visible
// layer is laid out in every tile and drawn in every frame, even where it
// is transparent.
function showLayers(ids, on) {
  for (const id of ids) {
    if (map.getLayer(id) && (map.getLayoutProperty(id, 'visibility') !== 'none') !== on) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
}

// drillTo makes unit (null: the whole district) the current area: the
// breadcrumb, the focus outline, the KPI panel and the choropleth of its
// children follow it. path is the list of its ancestors when known.
async function drillTo(unit, {path, fit = true} = {}) {
  if (!unit) {
    const s = await stats('');
    state.path = [{id: s.id, code: s.code, name: s.name, name_en: s.name_en, layer: 'districts'}];
    state.stats.set(s.code, Promise.resolve(s));
  } else {
    state.path = path || [...state.path, unit];
  }
  const here = current();
  renderBreadcrumb();
  setState('focus', here.layer, here.id === undefined ? [] : [[here.id, true]]);
  const s = await stats(here.code);
  if (current() !== here) return;
  if (fit && s.bbox) {
    map.fitBounds([[s.bbox[0], s.bbox[1]], [s.bbox[2], s.bbox[3]]],
      {padding: 40 * state.scale, duration: navigator.webdriver ? 0 : 900, maxZoom: zoomAt(17)});
  }
  renderKPI(s);
  if (!state.dispatch) renderDispatch();
  await paintChoropleth();
}

async function paintChoropleth() {
  const here = current();
  if (!here) return;
  const s = await stats(here.code);
  const legend = $('#choro-legend');
  setState('color', null, []);
  // School-place pressure is per catchment, one map per school level.
  const [ind, level] = state.indicator.split(':');
  if (ind === 'school_pressure' || state.pressureShown) {
    state.pressureShown = ind === 'school_pressure';
    for (const l of styleLayersOf('school_pressure')) {
      map.setLayoutProperty(l.id, 'visibility', state.pressureShown && l.type !== 'symbol' ? 'visible' : 'none');
    }
    if (level && level !== state.school.level) setSchoolLevel(level);
    const box = document.querySelector('#layers input[data-layer="school_pressure"]');
    if (box) box.checked = state.pressureShown;
  }
  if (state.indicator === 'resource') { legend.replaceChildren(...resourceLegend()); return; }
  if (ind === 'school_pressure') {
    legend.replaceChildren(...WARNING.map(([w, c]) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), value(w))));
    return;
  }
  if (state.indicator === 'none') { legend.replaceChildren(); return; }
  const kids = s.children || [];
  const layer = childLayer(here.layer);
  if (!layer || !kids.length || !map.getLayer(layer + '-choropleth')) {
    legend.replaceChildren(el('div', {}, L('当前区域无下级单元', 'No sub-areas here')));
    return;
  }
  const values = await Promise.all(kids.map(async (k) => {
    const v = indicatorValue(k);
    return v !== undefined ? v : indicatorValue(await stats(k.code));
  }));
  if (current() !== here) return;
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  const breaks = [1, 2, 3, 4].map((i) => sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / 5))]);
  const cls = (v) => breaks.filter((b) => v >= b).length;
  setState('color', layer, kids.map((k, i) => [k.id, values[i] === undefined ? null : RAMP[Math.min(4, cls(values[i]))]]));
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  const edges = [lo, ...breaks, hi];
  legend.replaceChildren(el('div', {}, `${layerTitle(layer)} · ${t(indicators().find(([i]) => i === state.indicator)[1])}`),
    ...RAMP.map((c, i) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), `${fmt(edges[i])} – ${fmt(edges[i + 1])}`)));
  renderChildren(kids, values, layer);
}

function renderBreadcrumb() {
  const nav = $('#breadcrumb');
  const items = [];
  state.path.forEach((u, i) => {
    if (i) items.push(el('span', {class: 'sep'}, '›'));
    const last = i === state.path.length - 1;
    items.push(el('button', {type: 'button', 'aria-current': last ? 'page' : null, 'data-code': u.code,
      onclick: () => { if (!last) drillTo(u, {path: state.path.slice(0, i + 1)}).catch(report); }},
    `${unitName(u)}`));
  });
  nav.replaceChildren(...items);
}

// ---------------------------------------------------------------- KPI panel

function tile(label, v, cls = '') {
  return el('div', {class: 'tile ' + cls}, el('div', {class: 'v'}, v), el('div', {class: 'l'}, label));
}

function renderKPI(s) {
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

function renderChildren(kids, values, layer) {
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

// ---------------------------------------------------------------- clicks and popups

function onMapClick(e) {
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
function featureBlock(layer, props) {
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

function showPopup(lngLat, content) {
  if (state.popup) state.popup.remove();
  state.popupContent = content;
  state.popup = new maplibregl.Popup({maxWidth: '28rem', focusAfterOpen: false})
    .setLngLat(lngLat).setDOMContent(content()).addTo(map);
  state.popup.on('close', () => { state.popupContent = null; });
}

// ---------------------------------------------------------------- search

let searchSeq = 0;
function setupSearch() {
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

// ---------------------------------------------------------------- fire desk

function setPicking(on) {
  state.picking = on;
  $('#alarm').setAttribute('aria-pressed', String(on));
  $('#map').classList.toggle('picking', on);
  $('#hint').hidden = !on;
  $('#hint').textContent = t('pickPoint');
  map.getCanvas().style.cursor = on ? 'crosshair' : '';
}

async function dispatchAt(lngLat) {
  setPicking(false);
  const {lng, lat} = lngLat;
  state.dispatch = {incident: [lng, lat], loading: true};
  renderDispatch();
  const q = `lon=${lng.toFixed(6)}&lat=${lat.toFixed(6)}&k=5`;
  let answer;
  try {
    const r = await getJSON(`/api/dispatch/nearest?${q}`);
    // snapped is a GeoJSON Point (or {lon, lat}): where the alarm meets the road network.
    const sn = r.snapped && (r.snapped.coordinates || (r.snapped.lon !== undefined ? [r.snapped.lon, r.snapped.lat] : null));
    answer = {method: 'network', snapped: sn, units: r.units || []};
  } catch (err) {
    if (err.status !== 404) throw err;
    // No dispatch service yet: the nearest stations by straight line.
    const fc = await getJSON(`/api/nearest?layer=fire_stations&${q}`);
    answer = {method: 'straight', units: fc.features.map((f) => ({
      id: f.id, name: f.properties.name, distance_m: f.properties.distance_m, available: f.properties.available,
      route: {type: 'LineString', coordinates: [f.geometry.coordinates, [lng, lat]]},
    }))};
  }
  state.dispatch = {incident: [lng, lat], ...answer};
  renderDispatch();
}

function renderDispatch() {
  const d = state.dispatch;
  const status = $('#desk-status');
  const list = $('#teams');
  const features = [];
  if (!d) {
    // Standby: the district's readiness while no alarm is open.
    const root = state.path[0];
    const s = root && state.statsReady && state.statsReady.get(root.code);
    const fire = (s && s.fire_stations) || {};
    const flood = (s && s.flood_points) || {};
    status.replaceChildren(s ? `${t('teamsAvailable')} ${fmt(fire.available)} / ${fmt(fire.total)} · ` +
      `${t('floodAlarm')} ${fmt(flood.alarm)} · ${t('floodWarning')} ${fmt(flood.warning)}` : '');
    list.replaceChildren(el('li', {class: 'empty'}, t('noTeams')));
  } else if (d.loading) {
    status.replaceChildren(t('dispatching'));
    list.replaceChildren();
  } else {
    status.replaceChildren(`${t('incident')} ${d.incident[0].toFixed(5)}, ${d.incident[1].toFixed(5)} · `,
      el('span', {class: d.method === 'straight' ? 'method' : ''}, d.method === 'straight' ? t('straightLine') : t('roadNetwork')));
    list.replaceChildren(...d.units.map((u, i) => {
      const color = RANK_COLORS[i % RANK_COLORS.length];
      const [m, sec] = [Math.floor(Math.round(u.eta_s) / 60), String(Math.round(u.eta_s) % 60).padStart(2, '0')];
      const eta = u.eta_s !== undefined ? L(`${m}分${sec}秒`, `${m} min ${sec} s`) :
        `${fmt(u.distance_m / 1000, 2)} ${t('km')}`;
      return el('li', {style: `border-left-color:${color}`, 'data-rank': i + 1},
        el('div', {class: 'tn'}, el('span', {class: 'rank', style: `color:${color}`}, `${i + 1}`), u.name || u.id),
        el('div', {class: 'eta'}, eta),
        el('div', {class: 'dist'}, u.eta_s !== undefined ? `${fmt(u.distance_m / 1000, 2)} ${t('km')}` : L('直线距离', 'straight line'),
          u.available === false ? ` · ${t('unavailable')}` : ''));
    }));
    d.units.forEach((u, i) => {
      const color = RANK_COLORS[i % RANK_COLORS.length];
      if (u.route && u.route.coordinates && u.route.coordinates.length) {
        features.push({type: 'Feature', geometry: u.route, properties: {kind: 'route', rank: i + 1, color, straight: d.method === 'straight'}});
        // The team is at the end of its route away from the incident.
        const cs = u.route.coordinates;
        const [a, z] = [cs[0], cs[cs.length - 1]];
        const far = (p) => (p[0] - d.incident[0]) ** 2 + (p[1] - d.incident[1]) ** 2;
        const start = far(a) >= far(z) ? a : z;
        features.push({type: 'Feature', geometry: {type: 'Point', coordinates: start}, properties: {kind: 'unit', rank: i + 1, color}});
      }
    });
  }
  if (d && d.incident) features.push({type: 'Feature', geometry: {type: 'Point', coordinates: d.snapped || d.incident}, properties: {kind: 'incident'}});
  // Every setData lays the source out again and costs a frame: an empty
  // desk is not redrawn empty.
  const src = features.length || state.dispatchDrawn ? pageSource('dispatch') : null;
  if (src) src.setData({type: 'FeatureCollection', features});
  state.dispatchDrawn = features.length > 0;
  if (d && !d.loading && features.length > 1) {
    const b = new maplibregl.LngLatBounds();
    for (const f of features) {
      if (f.geometry.type === 'Point') b.extend(f.geometry.coordinates);
      else for (const c of f.geometry.coordinates) b.extend(c);
    }
    map.fitBounds(b, {padding: 80 * state.scale, maxZoom: zoomAt(16), duration: navigator.webdriver ? 0 : 800});
  }
}

// ---------------------------------------------------------------- right panel tabs

const TABS = [['kpi', 'tabOverview'], ['school', 'tabSchool'], ['resource', 'tabResource']];

function tabsAvailable() {
  return TABS.filter(([id]) => id === 'kpi' || (id === 'school' ? state.schemas.has('school_pressure') : state.schemas.has('grids')));
}

function buildTabs() {
  const list = tabsAvailable();
  const nav = $('#tabs');
  nav.hidden = list.length < 2;
  nav.replaceChildren(...list.map(([id, key]) => el('button', {type: 'button', role: 'tab', 'data-tab': id,
    'aria-selected': String(state.tab === id), onclick: () => openTab(id)}, t(key))));
}

// openTab shows one of the right panel's tabs; the model tabs widen the
// panel (their chart needs the room) and load what they show.
function openTab(id) {
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

async function postJSON(url, body) {
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify(body)});
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(answer.error ? `${answer.error}${answer.field ? ` (${answer.field})` : ''}` : `${url}: ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return answer;
}

// bboxOf is the [west, south, east, north] of a GeoJSON geometry.
function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else for (const x of c) walk(x);
  };
  if (g && g.coordinates) walk(g.coordinates);
  return b;
}

// centroidOf is the area centroid of a (multi)polygon's largest outer ring.
function centroidOf(g) {
  const rings = !g ? [] : g.type === 'Polygon' ? [g.coordinates[0]] : g.type === 'MultiPolygon' ? g.coordinates.map((p) => p[0]) : [];
  let best = null;
  for (const ring of rings) {
    let a = 0, x = 0, y = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f; x += (ring[j][0] + ring[i][0]) * f; y += (ring[j][1] + ring[i][1]) * f;
    }
    if (a !== 0 && (!best || Math.abs(a) > best.a)) best = {a: Math.abs(a), c: [x / (3 * a), y / (3 * a)]};
  }
  if (best) return best.c;
  const b = bboxOf(g);
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

// ---------------------------------------------------------------- school places

const WARN_COLOR = Object.fromEntries(WARNING);

function schoolError(err) {
  console.warn('onemap school:', err);
  state.school.error = err.message || String(err);
  if (state.tab === 'school') renderSchool();
}

// schoolData loads, once, the ten-year projection of both levels and the
// school_pressure layer's features (ids, codes, extents and the year the
// layer was put for).
function schoolData() {
  const s = state.school;
  if (!s.load) {
    s.load = Promise.all([getJSON('/api/school/projection?years=10&format=json'), getJSON('/collections/school_pressure/items?limit=10000')])
      .then(([proj, fc]) => {
        s.proj = proj;
        s.features = new Map();
        for (const f of fc.features || []) s.features.set(f.properties.code, {id: f.id, props: f.properties, bbox: bboxOf(f.geometry)});
        const first = (fc.features || [])[0];
        s.layerYear = first ? first.properties.year : proj.base_year + 3;
        if (!s.year) s.year = s.layerYear;
        return s;
      });
    s.load.catch(() => { s.load = null; });
  }
  return s.load;
}

// showSchool loads what the school tab shows and draws it.
async function showSchool() {
  const s = state.school;
  s.error = null;
  renderSchool();
  await schoolData();
  applySchoolYear();
  renderSchool();
  await loadChart();
  renderSchool();
}

// loadChart fetches the API's SVG chart of demand vs seats for the open
// catchment (or the district at the chosen level), unless it is the one shown.
async function loadChart() {
  const s = state.school;
  const q = new URLSearchParams({years: '10', level: s.level});
  if (s.catchment) q.set('catchment', s.catchment);
  const key = q.toString();
  if (key === s.chartKey && s.svg) return;
  const seq = ++s.chartSeq;
  const r = await fetch('/api/school/chart.svg?' + key, {headers: {Accept: 'image/svg+xml'}});
  if (!r.ok) throw new Error(`${L('学位图表', 'school chart')}: ${r.status}`);
  const text = await r.text();
  if (seq !== s.chartSeq) return;
  s.svg = text;
  s.chartKey = key;
}

// chartNode parses the API's SVG and fits it to the dark wall: the panel
// heading replaces its title, the legend is translated and the chosen
// year is marked.
function chartNode() {
  const s = state.school;
  const doc = new DOMParser().parseFromString(s.svg, 'image/svg+xml');
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== 'svg') return el('div', {class: 'note err'}, L('图表无法显示', 'The chart could not be read'));
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  const texts = [...svg.querySelectorAll('text')];
  const title = texts.find((x) => x.getAttribute('font-weight') === 'bold');
  if (title) {
    svg.setAttribute('aria-label', title.textContent);
    title.remove();
  }
  const words = {pupils: t('pupils'), projected: t('projected'), seats: t('seats')};
  for (const x of texts) {
    if (words[x.textContent]) {
      x.textContent = words[x.textContent];
      x.classList.add('legend');
    }
  }
  // The year axis: labels are centred on their year, so two of them place any year.
  const years = texts.filter((x) => /^\d{4}$/.test(x.textContent) && x.getAttribute('text-anchor') === 'middle')
    .map((x) => [Number(x.textContent), Number(x.getAttribute('x')), Number(x.getAttribute('y'))]);
  if (years.length >= 2 && s.year) {
    const [[y0, x0, ty], [y1, x1]] = [years[0], years[years.length - 1]];
    const x = x0 + ((s.year - y0) * (x1 - x0)) / (y1 - y0);
    const ns = 'http://www.w3.org/2000/svg';
    const line = doc.createElementNS(ns, 'line');
    for (const [k, v] of Object.entries({x1: x, x2: x, y1: 40, y2: ty - 18, class: 'year-mark', 'stroke-dasharray': '4 3'})) line.setAttribute(k, v);
    // Below the year axis: ▲ and the year.
    const label = doc.createElementNS(ns, 'text');
    for (const [k, v] of Object.entries({x, y: ty + 17, 'text-anchor': 'middle', class: 'year-mark'})) label.setAttribute(k, v);
    label.textContent = `▲ ${s.year}`;
    svg.insertBefore(line, svg.querySelector('polyline'));
    svg.append(label);
  }
  return document.importNode(svg, true);
}

// seriesOf is the projection's series of a catchment code (null: the district) at the level shown.
function seriesOf(code) {
  const p = state.school.proj;
  if (!p) return null;
  return code ? (p.catchments || []).find((c) => c.code === code) : (p.district || []).find((d) => d.level === state.school.level);
}

const pointAt = (series, year) => series && (series.points || []).find((p) => p.year === year);

// focusCatchment outlines the catchment whose chart is open.
function focusCatchment() {
  const s = state.school;
  const f = state.tab === 'school' && s.catchment && s.features && s.features.get(s.catchment);
  const id = f ? f.id : null;
  if (s.focused === id || !map || !map.getLayer('school-focus')) return;
  if (s.focused !== null && s.focused !== undefined) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id: s.focused}, {sel: null});
  if (id !== null) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id}, {sel: true});
  showLayers(['school-focus'], id !== null);
  s.focused = id;
}

function renderSchool() {
  const s = state.school;
  focusCatchment();
  const box = $('#school');
  if (!box || state.tab !== 'school') return;
  const series = seriesOf(s.catchment);
  const name = s.catchment ? `${(series && series.name) || s.catchment} · ${s.catchment}` : (state.path[0] ? unitName(state.path[0]) : t('districtWide'));
  const levels = el('div', {class: 'seg', role: 'radiogroup'}, ['primary', 'junior'].map((lv) => el('button', {
    type: 'button', role: 'radio', 'data-level': lv, 'aria-checked': String(s.level === lv), onclick: () => setSchoolLevel(lv),
  }, value(lv))));
  const years = s.proj ? s.proj.years || [] : [];
  const select = el('select', {id: 'school-year', onchange: (e) => setSchoolYear(Number(e.target.value))},
    years.map((y) => el('option', {value: y}, y === s.layerYear ? `${y} *` : String(y))));
  select.value = String(s.year || '');
  const chart = el('div', {id: 'school-chart', 'data-catchment': s.catchment || ''}, s.svg ? chartNode() : el('div', {class: 'note'}, t('loading')));
  const kids = [
    el('div', {class: 'sec-head'}, el('h2', {id: 'school-title'}, `${t('schoolPlaces')} · ${name}`),
      s.catchment ? el('button', {type: 'button', class: 'back', onclick: () => showCatchment(null).catch(schoolError)}, `‹ ${t('backToDistrict')}`) : null),
    el('div', {class: 'controls'}, el('label', {}, t('level'), levels), el('label', {}, t('warnYear'), select)),
    chart,
  ];
  if (s.error) kids.push(el('p', {class: 'note err'}, `${t('failed')}: ${s.error}`));
  if (s.proj) {
    // The year's warnings over the level's catchments, and the most pressed.
    const rows = (s.proj.catchments || []).filter((c) => c.level === s.level)
      .map((c) => ({c, p: pointAt(c, s.year)})).filter((r) => r.p);
    const counts = Object.fromEntries(WARNING.map(([w]) => [w, 0]));
    for (const r of rows) counts[r.p.warning] = (counts[r.p.warning] || 0) + 1;
    rows.sort((a, b) => b.p.pressure - a.p.pressure);
    const max = Math.max(1, ...rows.slice(0, 10).map((r) => r.p.pressure));
    kids.push(
      el('h2', {style: 'margin-top:0.8rem'}, `${t('catchmentWarnings')} · ${s.year} · ${value(s.level)}`),
      el('div', {class: 'chips', id: 'school-warnings'}, WARNING.map(([w, c]) => el('span', {class: 'chip', style: `border-color:${c};color:${c}`}, `${value(w)} ${fmt(counts[w])}`))),
      el('h3', {}, `${t('mostPressed')} (${t('pressureCol')} / ${t('gapCol')})`),
      el('ul', {class: 'pressure'}, rows.slice(0, 10).map(({c, p}) => el('li', {
        'data-code': c.code, 'aria-current': c.code === s.catchment ? 'true' : null, onclick: () => showCatchment(c.code, {fly: true}).catch(schoolError),
      }, el('span', {class: 'nm'}, c.name || c.code),
      el('span', {class: 'bars'}, el('span', {class: 'bar'}, el('i', {style: `width:${(100 * p.pressure) / max}%;background:${WARN_COLOR[p.warning] || RAMP[3]}`}))),
      el('span', {class: 'n'}, `${fmt(100 * p.pressure)}%`), el('span', {class: 'n'}, fmt(p.gap))))),
      el('p', {class: 'note'}, `${t('clickCatchment')} · * ${L('地图图层的年份', "the map layer's year")}`));
  }
  box.replaceChildren(...kids);
}

// showCatchment opens a catchment's chart (null: the district's), with a
// popup of its figures in the chosen year when the click gave a place.
async function showCatchment(code, {lngLat, props, fly} = {}) {
  const s = state.school;
  s.catchment = code;
  if (state.tab !== 'school') openTab('school');
  await schoolData();
  const f = code && s.features.get(code);
  if (f && f.props.level !== s.level) setSchoolLevel(f.props.level, {keepCatchment: true});
  if (fly && f) {
    map.fitBounds([[f.bbox[0], f.bbox[1]], [f.bbox[2], f.bbox[3]]], {padding: 80 * state.scale, maxZoom: zoomAt(15), duration: navigator.webdriver ? 0 : 800});
    lngLat = lngLat || map.getCenter();
  }
  if (code && lngLat) showPopup(lngLat, () => featureBlock('school_pressure', catchmentProps(code, props || (f && f.props) || {})));
  renderSchool();
  await loadChart();
  renderSchool();
}

// catchmentProps are a catchment's figures in the chosen year.
function catchmentProps(code, props) {
  const s = state.school;
  const p = pointAt(seriesOf(code), s.year);
  if (!p || s.year === props.year) return props;
  return {...props, demand: Math.round(p.demand), seats: Math.round(p.seats), gap: Math.round(p.gap), pressure: p.pressure, warning: p.warning, year: s.year};
}

function setSchoolLevel(lv, {keepCatchment = false} = {}) {
  const s = state.school;
  s.level = lv;
  if (!keepCatchment && s.catchment && s.features && (s.features.get(s.catchment) || {props: {}}).props.level !== lv) s.catchment = null;
  for (const l of [...styleLayersOf('school_pressure'), ...styleLayersOf('catchments').filter((x) => x.id === 'catchments-hit')]) {
    map.setFilter(l.id, ['==', ['get', 'level'], lv]);
  }
  if (state.indicator.startsWith('school_pressure') && state.indicator !== 'school_pressure:' + lv) {
    state.indicator = 'school_pressure:' + lv;
    buildIndicators();
  }
  if (state.tab === 'school' && !keepCatchment) showSchool().catch(schoolError);
}

function setSchoolYear(year) {
  state.school.year = year;
  applySchoolYear();
  renderSchool();
  if (state.popup && state.popupContent) state.popup.setDOMContent(state.popupContent());
}

// applySchoolYear colours the school_pressure layer for the chosen year:
// the layer's own year is drawn from its tiles; any other from the
// projection, as feature state.
function applySchoolYear() {
  const s = state.school;
  if (!map || !s.proj || !map.getSource('onemap')) return;
  for (const id of s.warned) map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id}, {warn: null});
  s.warned = [];
  if (s.year === s.layerYear) return;
  for (const c of s.proj.catchments || []) {
    const f = s.features.get(c.code);
    const p = pointAt(c, s.year);
    if (!f || !p) continue;
    map.setFeatureState({source: 'onemap', sourceLayer: 'school_pressure', id: f.id}, {warn: WARN_COLOR[p.warning] || null});
    s.warned.push(f.id);
  }
}

// ---------------------------------------------------------------- resources

// The resources of the demand model: API name, label, facility layer, unit.
const RESOURCES = [
  {id: 'elderly_care', key: 'resElderly', layer: 'elderly_care', unit: ['张', 'beds'], per1000: true},
  {id: 'hospital_beds', key: 'resHospital', layer: 'hospitals', unit: ['张', 'beds'], per1000: true},
  {id: 'parking', key: 'resParking', layer: 'parking', unit: ['个', 'spaces'], per1000: false},
  {id: 'jobs', key: 'resJobs', layer: null, unit: ['个', 'jobs'], per1000: false},
];
const BASES = {aged_60_plus: ['60岁以上老人', 'residents aged 60+'], residents: ['常住人口', 'residents'],
  dwellings: ['住宅套数', 'dwellings'], working_age: ['劳动年龄人口', 'working-age residents']};
const resourceOf = (id) => RESOURCES.find((r) => r.id === id);
const unitOf = (r) => L(...resourceOf(r).unit);
// Shortage classes of the gap (demand − supply) per grid, surplus first.
const SURPLUS = '#2a9d8f';
const SHORT_RAMP = ['#f2d65c', '#f5a142', '#ee6a3a', '#d7263d'];
// Accessibility (reachable supply per unit of demand; below 1 the standard
// is not met) in quintiles, the worst served first.
const SCORE_RAMP = ['#d7263d', '#ee6a3a', '#f2d65c', '#7cc47f', SURPLUS];
// E2SFCA over road minutes, with a 10-minute catchment in three steps.
const ACCESS_WEIGHT = {type: 'step', steps: [[3, 1], [6, 0.68], [10, 0.22]]};
const SITE_COLORS = ['#38c6ff', '#ff6bd6', '#ffd60a', '#7cf29a', '#ff9f43', '#b38cff', '#ff5e57', '#5ee7df', '#f8f3a6', '#c3e86a'];

// resourceData fetches, once per resource, the shortage map's figures per
// grid (GET /api/models/demand as GeoJSON: ids, demand, supply, gap and the
// polygons whose centroids the suggested sites link to).
function resourceData(r) {
  const cache = state.res.cache;
  if (!cache.has(r)) {
    const p = getJSON(`/api/models/demand?resource=${encodeURIComponent(r)}&level=grid&format=geojson`).then((fc) => {
      const byId = new Map();
      for (const f of fc.features || []) byId.set(f.id, {...f.properties, centroid: centroidOf(f.geometry)});
      p.settled = {byId, total: fc.total || {}, supplyKnown: fc.supply_known !== false, ratio: fc.ratio, base: fc.base, scores: null};
      return p.settled;
    });
    p.catch(() => cache.delete(r));
    cache.set(r, p);
  }
  return cache.get(r);
}

// resourceScores adds each grid's accessibility (POST /api/models/access, which only computes).
async function resourceScores(r) {
  const d = await resourceData(r);
  if (!d.scores) {
    const a = await postJSON('/api/models/access', {resource: r, method: 'e2sfca', weight: ACCESS_WEIGHT});
    d.scores = new Map(a.demand_ids.map((id, i) => [id, a.reachable[i] ? a.scores[i] : 0]));
    d.costSource = a.cost_source;
  }
  return d;
}

// setResource puts a resource's shortage map on the grids (null: off); the
// district choropleth gives way to it and comes back after.
function setResource(r, {keepIndicator = false} = {}) {
  const R = state.res;
  if (R.resource && R.resource !== r) {
    const old = resourceOf(R.resource);
    if (old.layer && R.facilitiesShown) setLayerVisible(old.layer, false);
  }
  R.facilitiesShown = false;
  R.resource = r;
  R.error = null;
  setSiting(null);
  if (r) {
    if (state.indicator !== 'resource') R.prevIndicator = state.indicator;
    state.indicator = 'resource';
    // Show where the supply is, when the layer is there and hidden.
    const lay = resourceOf(r).layer;
    if (lay && map.getLayer(lay + '-circle') && map.getLayoutProperty(lay + '-circle', 'visibility') === 'none') {
      setLayerVisible(lay, true);
      R.facilitiesShown = true;
    }
  } else if (!keepIndicator) {
    state.indicator = R.prevIndicator || 'residents';
  }
  buildIndicators();
  paintResource().catch(resourceError);
  paintChoropleth().catch(report);
  renderResource();
}

function setResourceMode(mode) {
  state.res.mode = mode;
  paintResource().catch(resourceError);
  renderResource();
}

function resourceError(err) {
  console.warn('onemap resource:', err);
  state.res.error = err.message || String(err);
  renderResource();
}

// paintResource colours the grids by the chosen resource's gap or accessibility.
async function paintResource() {
  const R = state.res;
  const seq = ++R.seq;
  const r = R.resource;
  const mode = R.mode;
  const d = r ? await (mode === 'score' ? resourceScores(r) : resourceData(r)) : null;
  if (seq !== R.seq) return;
  for (const id of R.painted) map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: null});
  R.painted = [];
  R.legend = null;
  if (!d) {
    showLayers(['resource-fill', 'resource-line'], false);
    return;
  }
  if (mode === 'score' && d.scores) {
    const sorted = [...d.scores.values()].sort((a, b) => a - b);
    const q = [1, 2, 3, 4].map((i) => sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / 5))]);
    const cls = (v) => q.filter((b) => v >= b).length;
    for (const [id, v] of d.scores) {
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: SCORE_RAMP[cls(v)]});
      R.painted.push(id);
    }
    const edges = [sorted[0], ...q, sorted[sorted.length - 1]];
    R.legend = {title: `${t(resourceOf(r).key)} · ${t('scoreLegend')}`,
      rows: SCORE_RAMP.map((c, i) => [c, `${fmt(edges[i], 2)} – ${fmt(edges[i + 1], 2)}`])};
  } else {
    // Shortage classes by quartiles of the grids short of supply.
    const short = [...d.byId.values()].map((p) => p.gap).filter((g) => g > 0).sort((a, b) => a - b);
    const q = [1, 2, 3].map((i) => short[Math.min(short.length - 1, Math.floor((i * short.length) / 4))] ?? 0);
    const cls = (g) => q.filter((b) => g >= b).length;
    for (const [id, p] of d.byId) {
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {res: p.gap <= 0 ? SURPLUS : SHORT_RAMP[cls(p.gap)]});
      R.painted.push(id);
    }
    const edges = [short[0] ?? 0, ...q, short[short.length - 1] ?? 0];
    R.legend = {title: `${t(resourceOf(r).key)} · ${t('gap')} (${unitOf(r)})`,
      rows: [[SURPLUS, t('surplus')], ...SHORT_RAMP.map((c, i) => [c, `${fmt(edges[i], 1)} – ${fmt(edges[i + 1], 1)}`])]};
  }
  showLayers(['resource-fill', 'resource-line'], R.painted.length > 0);
  if (state.indicator === 'resource') $('#choro-legend').replaceChildren(...resourceLegend());
  renderResource();
}

function resourceLegend() {
  const lg = state.res.legend;
  if (!lg) return [el('div', {}, state.res.resource ? t('loading') : '')];
  return [el('div', {}, `${layerTitle('grids')} · ${lg.title}`),
    ...lg.rows.map(([c, label]) => el('div', {class: 'row'}, el('i', {class: 'sw', style: `background:${c}`}), label))];
}

// resourceBlock lists a grid's figures of the resource on the map, for its popup.
function resourceBlock(id) {
  const r = state.res.resource;
  const c = r && state.res.cache.get(r);
  const d = c && c.settled;
  const p = d && d.byId.get(id);
  if (!p) return null;
  const rows = [[t('demand'), fmt(p.demand, 1)], [t('supply'), d.supplyKnown ? fmt(p.supply, 1) : '–'], [t('gap'), fmt(p.gap, 1)]];
  if (d.scores && d.scores.has(id)) rows.push([t('byScore'), fmt(d.scores.get(id), 2)]);
  return el('div', {class: 'popup sub', 'data-layer': 'resource'},
    el('div', {class: 'kind'}, `${t(resourceOf(r).key)} (${unitOf(r)}) · ${p.name || p.code}`),
    el('table', {}, rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}

function renderResource() {
  const R = state.res;
  const box = $('#resource');
  if (!box || state.tab !== 'resource') return;
  const r = R.resource;
  const c = r && R.cache.get(r);
  const d = c && c.settled;
  const picker = el('div', {class: 'seg', role: 'radiogroup', id: 'resources'}, [...RESOURCES.map((x) => el('button', {
    type: 'button', role: 'radio', 'data-resource': x.id, 'aria-checked': String(r === x.id), onclick: () => setResource(x.id),
  }, t(x.key))), el('button', {type: 'button', role: 'radio', 'data-resource': '', 'aria-checked': String(!r), onclick: () => setResource(null)}, t('none'))]);
  const kids = [el('h2', {}, t('resources')), picker];
  if (!r) {
    kids.push(el('p', {class: 'note'}, t('pickResource')));
    box.replaceChildren(...kids);
    return;
  }
  const noSupply = d && !d.supplyKnown;
  kids.push(el('div', {class: 'controls', style: 'margin-top:0.6rem'}, t('colourBy'), el('div', {class: 'seg', role: 'radiogroup'},
    [['gap', 'byGap'], ['score', 'byScore']].map(([m, key]) => {
      const b = el('button', {type: 'button', role: 'radio', 'data-mode': m, 'aria-checked': String(R.mode === m), onclick: () => setResourceMode(m)}, t(key));
      b.disabled = m === 'score' && (!d || noSupply);
      return b;
    }))));
  if (d) {
    const tot = d.total;
    const u = unitOf(r);
    const figure = (key, v, id, cls = '') => el('div', {class: 'tile ' + cls, id, 'data-value': v ?? ''},
      el('div', {class: 'v'}, fmt(v), el('span', {class: 'u'}, u)), el('div', {class: 'l'}, t(key)));
    kids.push(el('div', {class: 'tiles three', id: 'res-totals'},
      figure('demand', tot.demand, 'res-demand'),
      figure('supply', d.supplyKnown ? tot.supply : undefined, 'res-supply'),
      figure('gap', tot.gap, 'res-gap', tot.gap > 0 ? 'alarm' : 'ok')));
    const base = BASES[d.base] ? L(...BASES[d.base]) : d.base;
    const std = resourceOf(r).per1000 ? L(`每千名${base} ${fmt(d.ratio * 1000, 1)} ${u}`, `${fmt(d.ratio * 1000, 1)} per 1,000 ${base} (${u})`) :
      L(`每${base.replace(/数$/, '')} ${fmt(d.ratio, 2)} ${u}`, `${fmt(d.ratio, 2)} per ${base.replace(/s$/, '')} (${u})`);
    kids.push(el('p', {class: 'note'}, `${t('standard')}: ${std}` +
      (tot.demand > 0 && d.supplyKnown ? ` · ${t('met')} ${fmt((100 * tot.supply) / tot.demand)}%` : '')));
    if (noSupply) kids.push(el('p', {class: 'note err'}, t('noSupply')));
  } else if (!R.error) {
    kids.push(el('p', {class: 'note'}, t('loading')));
  }
  if (R.error) kids.push(el('p', {class: 'note err'}, `${t('failed')}: ${R.error}`));
  // Suggest N sites.
  const n = el('input', {type: 'number', id: 'site-n', min: 1, max: 10, step: 1, value: R.n,
    onchange: (e) => { R.n = Math.max(1, Math.min(10, Math.round(Number(e.target.value)) || 3)); e.target.value = R.n; }});
  const model = el('select', {id: 'site-model', onchange: (e) => { R.model = e.target.value; renderResource(); }},
    el('option', {value: 'p-median'}, t('pmedian')), el('option', {value: 'mclp'}, t('mclp')));
  model.value = R.model;
  const radius = R.model === 'mclp' ? el('label', {}, t('radius'), el('input', {type: 'number', id: 'site-radius', min: 0.5, max: 30, step: 0.5, value: R.radius,
    onchange: (e) => { R.radius = Math.max(0.1, Number(e.target.value) || 1.5); e.target.value = R.radius; }})) : null;
  const go = el('button', {type: 'button', id: 'suggest', onclick: () => suggestSites().catch(resourceError)}, t('suggestSites'));
  go.disabled = !d || noSupply || Boolean(R.siting && R.siting.loading);
  kids.push(el('h2', {style: 'margin-top:0.9rem'}, t('suggestSites')),
    el('div', {class: 'controls'}, el('label', {}, t('sitesN'), n), el('label', {}, t('model'), model), radius, go),
    el('div', {id: 'siting'}, sitingBlock()));
  box.replaceChildren(...kids);
}

// suggestSites asks POST /api/models/siting (a computation: no token) for
// N new sites of the resource, given its existing facilities, over every
// grid's demand with every grid centroid a candidate.
async function suggestSites() {
  const R = state.res;
  const r = R.resource;
  if (!r || (R.siting && R.siting.loading)) return;
  const input = $('#site-n');
  if (input) R.n = Math.max(1, Math.min(10, Math.round(Number(input.value)) || 3));
  const body = {resource: r, model: R.model, p: R.n};
  if (R.model === 'mclp') body.radius = R.radius;
  R.siting = {loading: true};
  renderResource();
  const t0 = performance.now();
  try {
    const [ans, d] = await Promise.all([postJSON('/api/models/siting', body), resourceData(r)]);
    if (R.resource !== r) return;
    setSiting({...ans, resource: r, p: R.n, ms: performance.now() - t0, totalDemand: d.total.demand}, d);
  } catch (err) {
    R.siting = null;
    throw err;
  } finally {
    renderResource();
  }
}

// setSiting draws suggested sites (null: clears them): numbered markers,
// a line from every grid a new site serves to it, and those grids outlined.
function setSiting(ans, d) {
  const R = state.res;
  R.siting = ans;
  for (const id of R.siteGrids) map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {site: null});
  R.siteGrids = [];
  const features = [];
  if (ans && d) {
    const fresh = (ans.sites || []).filter((x) => !x.existing);
    const byColumn = new Map(fresh.map((x, k) => [x.column, {site: x, rank: k + 1, color: SITE_COLORS[k % SITE_COLORS.length]}]));
    (ans.assignment || []).forEach((j, i) => {
      const s = byColumn.get(j);
      if (!s || (ans.covered && !ans.covered[i])) return;
      const id = ans.demand_ids[i];
      const g = d.byId.get(id);
      if (!g) return;
      features.push({type: 'Feature', geometry: {type: 'LineString', coordinates: [g.centroid, s.site.point]}, properties: {kind: 'link', color: s.color}});
      map.setFeatureState({source: 'onemap', sourceLayer: 'grids', id}, {site: s.color});
      R.siteGrids.push(id);
    });
    for (const {site, rank, color} of byColumn.values()) {
      features.push({type: 'Feature', geometry: {type: 'Point', coordinates: site.point}, properties: {kind: 'site', rank, color, column: site.column}});
    }
  }
  showLayers(['siting-grid-line'], R.siteGrids.length > 0);
  const src = features.length || (map && map.getSource('siting')) ? pageSource('siting') : null;
  if (src) src.setData({type: 'FeatureCollection', features});
  if (features.length) {
    const b = new maplibregl.LngLatBounds();
    for (const f of features) {
      if (f.geometry.type === 'Point') b.extend(f.geometry.coordinates);
      else for (const c of f.geometry.coordinates) b.extend(c);
    }
    const v = map.getBounds();
    if (!v.contains(b.getSouthWest()) || !v.contains(b.getNorthEast())) {
      map.fitBounds(b, {padding: 60 * state.scale, maxZoom: zoomAt(15), duration: navigator.webdriver ? 0 : 800});
    }
  }
}

function sitingBlock() {
  const S = state.res.siting;
  if (!S) return null;
  if (S.loading) return el('p', {class: 'note'}, t('siting'));
  const u = unitOf(S.resource);
  const rows = [];
  const fresh = (S.sites || []).filter((x) => !x.existing);
  if (S.model === 'mclp') {
    const share = S.totalDemand > 0 ? ` (${fmt((100 * S.objective) / S.totalDemand, 1)}%)` : '';
    rows.push([t('covered'), `${fmt(S.objective, 1)} ${u}${share}`]);
    if (S.upper_bound !== undefined) rows.push([t('upperBound'), fmt(S.upper_bound, 1)]);
  } else {
    rows.push([t('objective'), `${fmt(S.objective, 1)} (${u}×${t('minutes')})`]);
    if (S.totalDemand > 0) rows.push([t('avgTravel'), `${fmt(S.objective / S.totalDemand, 2)} ${t('minutes')}`]);
    if (S.lower_bound !== undefined) {
      const gap = S.objective > 0 ? (100 * (S.objective - S.lower_bound)) / S.objective : 0;
      rows.push([t('lowerBound'), `${fmt(S.lower_bound, 1)}${S.optimal ? '' : ` · ${t('gapBound')} ${fmt(gap, 2)}%`}`]);
    }
  }
  rows.push([t('solveTime'), `${fmt(S.seconds, 2)} s · ${t('roundTrip')} ${fmt(S.ms / 1000, 2)} s` + (S.optimal ? ` · ${t('provenOptimal')}` : '')]);
  rows.push([L('出行成本', 'Costs'), S.cost_source === 'network' ? t('costNetwork') : S.cost_source === 'line' ? t('costLine') : S.cost_source]);
  // MCLP with the existing facilities already covering everything in reach:
  // any new sites are as good as none.
  const idle = fresh.length && fresh.every((x) => !x.clients);
  return el('div', {},
    idle ? el('p', {class: 'note err'}, L('现有设施已覆盖半径内的全部需求,新址不增加覆盖;可缩小半径或改用 p-中位模型',
      'The existing facilities already cover all demand within the radius: new sites add nothing. Try a smaller radius or the p-median.')) : null,
    el('table', {class: 'facts', id: 'siting-figures', 'data-objective': S.objective},
      rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))),
    el('ol', {class: 'sites'}, fresh.map((x, k) => el('li', {'data-rank': k + 1, onclick: () => map.easeTo({center: x.point, duration: navigator.webdriver ? 0 : 600})},
      el('span', {class: 'no', style: `border-color:${SITE_COLORS[k % SITE_COLORS.length]};color:${SITE_COLORS[k % SITE_COLORS.length]}`}, String(k + 1)),
      el('span', {class: 'nm'}, x.name || `#${x.column}`),
      el('span', {class: 'n'}, `${fmt(x.clients)} ${t('servedGrids')} · ${fmt(x.demand, 1)} ${u}`)))));
}

function sitePopup(rank) {
  const S = state.res.siting;
  const x = S && (S.sites || []).filter((s) => !s.existing)[rank - 1];
  if (!x) return el('div', {class: 'popup'});
  const u = unitOf(S.resource);
  return el('div', {class: 'popup', 'data-layer': 'siting'},
    el('h4', {}, `${rank}. ${x.name || '#' + x.column}`),
    el('div', {class: 'kind'}, `${t('newSite')} · ${t(resourceOf(S.resource).key)} · ${S.model === 'mclp' ? t('mclp') : t('pmedian')}`),
    el('table', {}, [[t('servedGrids'), fmt(x.clients)], [t('servedDemand'), `${fmt(x.demand, 1)} ${u}`],
      [L('位置', 'Location'), `${x.point[0].toFixed(5)}, ${x.point[1].toFixed(5)}`]].map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}

// ---------------------------------------------------------------- language, clock, errors

// labelText is a label layer's text-field in a language.
function labelText(field, lang) {
  return field === 'name' && lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name'], ''] : ['coalesce', ['get', field], ['get', 'name'], ''];
}

function setLanguage(lang) {
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

// tick shows the wall clock: 2026/11/22 08:30:05 in Chinese, 22/11/2026,
// 08:30:05 in English (formatted by hand: the first Intl date format
// costs the page's start-up ~30 ms on a slow machine).
function tick() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  $('#clock').textContent = state.lang === 'zh'
    ? `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${time}`
    : `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}, ${time}`;
}

// report shows a failure to the operator without throwing it at the console
// as an uncaught error; the browser test treats console errors as failures.
function report(err) {
  console.warn('onemap:', err);
  $('#desk-status').textContent = `${t('failed')}: ${err.message || err}`;
}

// ---------------------------------------------------------------- start

// mark records a phase of start-up with the Performance API (ms since navigation).
function mark(name) {
  performance.mark('onemap-' + name);
  window.onemap.timings[name] = Math.round(performance.now());
}

let resolveReady;
window.onemap = {
  timings: {},
  state,
  ready: new Promise((r) => { resolveReady = r; }),
  resolveReady: () => resolveReady(),
  drillTo: (unit, opts) => drillTo(unit, opts),
  setLayerVisible: (name, on) => setLayerVisible(name, on),
  setLanguage: (lang) => setLanguage(lang),
  openTab: (id) => openTab(id),
  setResource: (r) => setResource(r),
};

mark('module');
// Start MapLibre's workers while the page fetches its configuration and style.
maplibregl.prewarm();
$('#lang').addEventListener('click', () => setLanguage(state.lang === 'zh' ? 'en' : 'zh'));
$('#alarm').addEventListener('click', () => setPicking(!state.picking));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.picking) setPicking(false); });
setupSearch();
tick();
setInterval(tick, 1000);
renderDispatch();
start().catch((err) => {
  report(err);
  throw err;
});
