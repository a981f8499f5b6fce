// The page's state: one object, read and written by the modules that draw
// it (and by the browser test, as window.onemap.state).

export const state = {
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
