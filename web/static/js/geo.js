// GeoJSON geometry helpers.

// bboxOf is the [west, south, east, north] of a GeoJSON geometry.
export function bboxOf(g) {
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
export function centroidOf(g) {
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

export const emptyFC = () => ({type: 'FeatureCollection', features: []});
