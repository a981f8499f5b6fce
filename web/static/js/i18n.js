// Texts in Chinese and English, translated values, and the names of areas,
// layers and label fields in the page's language (state.lang).

import {state} from './state.js';

const TEXT = {
  zh: {
    subtitle: '城市运行一张图 · 指挥中心', synthetic: '合成演示数据', searchPlaceholder: '搜索网格编码、社区/街道名称、设施名称',
    layers: '图层', choropleth: '专题渲染', none: '无', residents: '常住人口', floating: '流动人口', hazardCount: '危险源数量',
    pressurePrimary: '小学学位压力', pressureJunior: '初中学位压力', district: '区', street: '街道', community: '社区', grid: '网格',
    population: '人口', area: '面积(km²)', density: '人口密度(人/km²)', hazards: '危险源', byLevel: '按风险等级', byClass: '按类别',
    flood: '易涝点', normal: '正常', warning: '预警', alarm: '报警', stale: '失联', fire: '消防救援', available: '可出动', total: '总数',
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
    flood: 'Flood-prone points', normal: 'Normal', warning: 'Warning', alarm: 'Alarm', stale: 'Stale', fire: 'Fire & rescue', available: 'Available', total: 'Total',
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
  chemicals: ['危险化学品', 'Hazardous chemicals'], normal: ['正常', 'Normal'], warning: ['预警', 'Warning'], alarm: ['报警', 'Alarm'], stale: ['失联', 'Stale'],
  primary: ['小学', 'Primary'], junior: ['初中', 'Junior secondary'], special: ['特勤站', 'Special'], general: ['普通站', 'General'],
  small: ['小型站', 'Small'], arterial: ['主干路', 'Arterial'], secondary: ['次干路', 'Secondary'], local: ['支路', 'Local'],
  residential: ['住宅', 'Residential'], commercial: ['商业', 'Commercial'], public: ['公共', 'Public'], radius: ['半径', 'Radius'],
  network: ['路网', 'Road network'], district: ['区', 'District'], street: ['街道', 'Street'], community: ['社区', 'Community'],
  grid: ['网格', 'Grid'], red: ['红色', 'Red'], orange: ['橙色', 'Orange'], yellow: ['黄色', 'Yellow'], green: ['绿色', 'Green'],
};

export const t = (key) => TEXT[state.lang][key] ?? key;
export const L = (zh, en) => (state.lang === 'zh' ? zh : en);
export const value = (v) => (typeof v === 'string' && VALUES[v] ? VALUES[v][state.lang === 'zh' ? 0 : 1] : v);

export const unitName = (u) => (state.lang === 'en' && u.name_en ? u.name_en : u.name) || u.code;
export const layerTitle = (name) => { const s = state.schemas.get(name); return s ? L(s.title_zh, s.title_en) : name; };

// labelText is a label layer's text-field in a language.
export function labelText(field, lang) {
  return field === 'name' && lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name'], ''] : ['coalesce', ['get', field], ['get', 'name'], ''];
}
