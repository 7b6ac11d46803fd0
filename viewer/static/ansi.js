/* ANSI colours in console text, rendered safely: the text is split at SGR escapes (ESC [ ... m) into
   spans built with textContent (never HTML); each span gets classes for the 16 basic colours and
   bold/italic/underline, or an inline colour computed from the numbers of a 256-colour or RGB code.
   Every other escape sequence (cursor moves, OSC titles/links) and stray control character is
   dropped, so no raw escape code is ever shown. An ES module. */

// CSI (parameters, intermediates, final byte), OSC (up to BEL or ST), any other ESC sequence
const SGR_OR_OTHER = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;   // keeps \t, \n, \r

function xterm256(n) {
  if (n < 16) return null;                                     // the named colours use classes
  if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v},${v},${v})`; }
  n -= 16;
  const c = v => (v ? 55 + v * 40 : 0);
  return `rgb(${c(Math.floor(n / 36))},${c(Math.floor(n / 6) % 6)},${c(n % 6)})`;
}

/* the state after one SGR parameter list */
function apply(st, params) {
  const p = params === "" ? [0] : params.split(/[;:]/).map(x => (x === "" ? 0 : Number(x)));
  for (let i = 0; i < p.length; i++) {
    const n = p[i];
    if (n === 0) Object.assign(st, {fg: null, bg: null, fgRGB: null, bgRGB: null, bold: false, italic: false, under: false});
    else if (n === 1) st.bold = true;
    else if (n === 3) st.italic = true;
    else if (n === 4) st.under = true;
    else if (n === 22) st.bold = false;
    else if (n === 23) st.italic = false;
    else if (n === 24) st.under = false;
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) { st.fg = n >= 90 ? n - 82 : n - 30; st.fgRGB = null; }
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) { st.bg = n >= 100 ? n - 92 : n - 40; st.bgRGB = null; }
    else if (n === 39) { st.fg = null; st.fgRGB = null; }
    else if (n === 49) { st.bg = null; st.bgRGB = null; }
    else if (n === 38 || n === 48) {
      let col = null, idx = null;
      if (p[i + 1] === 5 && i + 2 < p.length) {
        const k = p[i + 2] | 0;
        if (k < 16) idx = k; else col = xterm256(Math.min(k, 255));
        i += 2;
      } else if (p[i + 1] === 2 && i + 4 < p.length) {
        const [r, g, b] = p.slice(i + 2, i + 5).map(v => Math.max(0, Math.min(255, v | 0)));
        col = `rgb(${r},${g},${b})`;
        i += 4;
      }
      if (n === 38) { st.fg = idx; st.fgRGB = col; } else { st.bg = idx; st.bgRGB = col; }
    }
  }
}

/* [{text, cls, color, background}] pieces of one text; plain text gives one piece without classes */
export function ansiPieces(text, st) {
  st = st || {};
  const out = [];
  const push = s => {
    s = s.replace(CONTROL, "");
    if (!s) return;
    const cls = [];
    if (st.fg !== null && st.fg !== undefined) cls.push("ansi-fg-" + st.fg);
    if (st.bg !== null && st.bg !== undefined) cls.push("ansi-bg-" + st.bg);
    if (st.bold) cls.push("ansi-bold");
    if (st.italic) cls.push("ansi-italic");
    if (st.under) cls.push("ansi-under");
    out.push({text: s, cls: cls.join(" "), color: st.fgRGB || null, background: st.bgRGB || null});
  };
  let last = 0;
  for (const m of text.matchAll(SGR_OR_OTHER)) {
    push(text.slice(last, m.index));
    if (m[3] === "m" && !m[2] && /^[0-9;:]*$/.test(m[1])) apply(st, m[1]);
    last = m.index + m[0].length;
  }
  push(text.slice(last));
  return out;
}

/* DOM nodes for one console text: text nodes and <span>s, built without HTML parsing */
export function ansiNodes(text, st) {
  return ansiPieces(text, st).map(p => {
    if (!p.cls && !p.color && !p.background) return document.createTextNode(p.text);
    const s = document.createElement("span");
    if (p.cls) s.className = p.cls;
    if (p.color) s.style.color = p.color;
    if (p.background) s.style.backgroundColor = p.background;
    s.textContent = p.text;
    return s;
  });
}
