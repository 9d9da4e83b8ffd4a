/**
 * A self-contained interactive SVG flame graph (after Brendan Gregg's flamegraph.pl): one frame
 * per box, the root at the bottom, width proportional to its count; a title per box with its
 * count and share; click a box to zoom on it (click the root, or "Reset zoom", to zoom out);
 * "Search" highlights the frames whose name matches a regular expression and says their share.
 * Pure: stacks in, SVG text out. Host text (function names, comm) is escaped for XML.
 */
export interface FlameStack {
  /** Root first. */
  readonly frames: readonly string[];
  readonly count: number;
}

interface Node {
  readonly name: string;
  value: number;
  readonly children: Map<string, Node>;
}

const WIDTH = 1200;
const FRAME = 16;
const PAD_TOP = 44;
const PAD_BOTTOM = 24;
const CHAR_PX = 7;

export function escapeXml(s: string): string {
  // Control characters are not allowed in XML 1.0 at all: replace them.
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function tree(stacks: readonly FlameStack[]): Node {
  const root: Node = { name: 'all', value: 0, children: new Map() };
  for (const s of stacks) {
    if (s.count <= 0) continue;
    root.value += s.count;
    let n = root;
    for (const f of s.frames) {
      let c = n.children.get(f);
      if (!c) {
        c = { name: f, value: 0, children: new Map() };
        n.children.set(f, c);
      }
      c.value += s.count;
      n = c;
    }
  }
  return root;
}

/** A stable warm colour per name (kernel frames, ending in _[k], in orange; others red-yellow). */
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const v = (h % 1000) / 1000;
  if (name.endsWith('_[k]')) return `rgb(${220 + Math.round(35 * v)},${120 + Math.round(60 * v)},${40 + Math.round(30 * v)})`;
  return `rgb(${205 + Math.round(50 * v)},${Math.round(200 * v)},${Math.round(55 * v)})`;
}

function fit(name: string, px: number): string {
  const n = Math.floor((px - 6) / CHAR_PX);
  if (n < 3) return '';
  return name.length <= n ? name : `${name.slice(0, n - 2)}..`;
}

const SCRIPT = `
var svg = document.documentElement, frames = [], matched = null;
function el(id) { return document.getElementById(id); }
function init() {
  var gs = svg.getElementsByClassName('f');
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i];
    frames.push({ g: g, x: +g.getAttribute('data-x'), w: +g.getAttribute('data-w'), d: +g.getAttribute('data-d'),
      name: g.getAttribute('data-n'), r: g.getElementsByTagName('rect')[0], t: g.getElementsByTagName('text')[0] });
    g.addEventListener('click', zoomTo.bind(null, frames[frames.length - 1]));
  }
  el('reset').addEventListener('click', reset);
  el('search').addEventListener('click', search);
}
function place(f, x, w) {
  var W = ${WIDTH - 20}, px = w * W;
  f.r.setAttribute('x', 10 + x * W); f.r.setAttribute('width', Math.max(0, px - 0.5));
  f.t.setAttribute('x', 10 + x * W + 3);
  var n = Math.floor((px - 6) / ${CHAR_PX});
  f.t.textContent = n < 3 ? '' : (f.name.length <= n ? f.name : f.name.slice(0, n - 2) + '..');
  f.g.style.display = '';
}
function zoomTo(z) {
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    if (f.d < z.d) {
      if (f.x <= z.x + 1e-9 && f.x + f.w >= z.x + z.w - 1e-9) { place(f, 0, 1); f.g.style.opacity = '0.6'; } else f.g.style.display = 'none';
    } else if (f.x >= z.x - 1e-9 && f.x + f.w <= z.x + z.w + 1e-9) { place(f, (f.x - z.x) / z.w, f.w / z.w); f.g.style.opacity = ''; }
    else f.g.style.display = 'none';
  }
  el('reset').style.opacity = z.d > 0 ? '1' : '0.3';
}
function reset() { zoomTo(frames[0]); }
function search() {
  var term = prompt('Search frames (regular expression)', '');
  if (term === null) return;
  var re; try { re = new RegExp(term); } catch (e) { alert('not a regular expression: ' + e.message); return; }
  var total = 0, covered = [];
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i], hit = term !== '' && re.test(f.name);
    f.r.setAttribute('fill', hit ? 'rgb(230,0,230)' : f.r.getAttribute('data-fill'));
    // Count each matching frame once: not inside another match already counted.
    if (hit && !covered.some(function (c) { return f.x >= c.x - 1e-9 && f.x + f.w <= c.x + c.w + 1e-9; })) { covered.push(f); total += f.w; }
  }
  el('matched').textContent = term === '' ? '' : 'Matched: ' + (100 * total).toFixed(1) + '%';
}
init();
`;

/** The SVG text of a flame graph of `stacks` (root first), `unit` naming what a count is (samples, µs off CPU). */
export function flameGraphSvg(stacks: readonly FlameStack[], opts: { title: string; unit: string; subtitle?: string }): string {
  const root = tree(stacks);
  const total = root.value;
  const rows: string[] = [];
  let maxDepth = 0;
  const walk = (n: Node, x: number, d: number) => {
    maxDepth = Math.max(maxDepth, d);
    const w = total === 0 ? 1 : n.value / total;
    rows.push(frameXml(n, x, w, d, total, opts.unit));
    let cx = x;
    // Alphabetical, as flamegraph.pl: neighbours merge the same way run to run.
    for (const c of [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      walk(c, cx, d + 1);
      cx += total === 0 ? 0 : c.value / total;
    }
  };
  walk(root, 0, 0);
  const height = PAD_TOP + (maxDepth + 1) * FRAME + PAD_BOTTOM;
  // y of depth d: the root on the bottom row.
  const body = rows.map((r) => r.replace(/__Y(\d+)__/g, (_, d: string) => String(height - PAD_BOTTOM - (Number(d) + 1) * FRAME))).join('\n');
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">
<style>
text { font-family: monospace; font-size: 12px; fill: rgb(0,0,0); }
.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; cursor: pointer; }
#reset, #search { cursor: pointer; }
</style>
<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="rgb(250,250,240)"/>
<text x="${WIDTH / 2}" y="18" text-anchor="middle" style="font-size: 16px">${escapeXml(opts.title)}</text>
<text x="${WIDTH / 2}" y="34" text-anchor="middle" style="fill: rgb(90,90,90)">${escapeXml(opts.subtitle ?? `${total} ${opts.unit}; click a frame to zoom, Search to highlight`)}</text>
<text id="reset" x="10" y="18" style="opacity: 0.3">Reset zoom</text>
<text id="search" x="${WIDTH - 70}" y="18">Search</text>
<text id="matched" x="${WIDTH - 160}" y="${height - 6}"></text>
${body}
<script type="text/ecmascript"><![CDATA[${SCRIPT}]]></script>
</svg>
`;
}

function frameXml(n: Node, x: number, w: number, d: number, total: number, unit: string): string {
  const px = w * (WIDTH - 20);
  const pct = total === 0 ? 0 : (100 * n.value) / total;
  const fill = colour(n.name);
  const name = escapeXml(n.name);
  return `<g class="f" data-x="${x}" data-w="${w}" data-d="${d}" data-n="${name}"><title>${name} (${n.value} ${escapeXml(unit)}, ${pct.toFixed(2)}%)</title><rect x="${10 + x * (WIDTH - 20)}" y="__Y${d}__" width="${Math.max(0, px - 0.5)}" height="${FRAME - 1}" fill="${fill}" data-fill="${fill}" rx="2"/><text x="${10 + x * (WIDTH - 20) + 3}" y="__Y${d}__" dy="11">${escapeXml(fit(n.name, px))}</text></g>`;
}
