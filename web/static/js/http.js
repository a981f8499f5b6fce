// JSON over HTTP to onemap, with the first view's answers index.html
// asked for early (window.onemapEarly).

export async function getJSON(url) {
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

export async function postJSON(url, body) {
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify(body)});
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(answer.error ? `${answer.error}${answer.field ? ` (${answer.field})` : ''}` : `${url}: ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return answer;
}
