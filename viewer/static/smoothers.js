/* Smoothers for the charts (issue 19, item 3): the debiased EMA, a running average and a Gaussian,
   all computed over the bucket means the scalar API gives with mean=1 ({x, y, n}: each bucket's mean
   of its n finite points), so the smoothed line does not move with the zoom.

   A bucket of n points with mean m stands for n points of value m. The running average and the
   Gaussian work on the points' *ranks* (their position among the finite points of the range): bucket
   b covers ranks [c_b, c_b + n_b) and its mean is spread evenly over them. A bucket of one point is
   then exactly the raw-point smoother, and a window much wider than a bucket reads the same whether
   a range is drawn from 30 buckets or 3,000 points. Windows are counted in points, as W&B's running
   average counts its window (a point every step: a window of steps), and are cut at the ends of the
   range drawn (a zoomed chart knows nothing left or right of it: its first and last window-width
   read fewer points than at full view).

   One strength w in [0, 1) (the toolbar's slider) sets each smoother's own parameter: EMA weight w;
   running-average window (1 + w) / (1 - w) points and Gaussian sigma sqrt(w) / (1 - w) points (the
   window and the sigma of an EMA of weight w, so one slider position smooths alike in all three).
   The numpy references in tests/viewer/smoothers_ref.py are the oracles of these functions. */
import {RL} from "./common.js";

export const SMOOTHERS = {ema: "exponential (EMA)", avg: "running average", gauss: "Gaussian"};

export function smootherOf(kind) { return kind in SMOOTHERS ? kind : "ema"; }

/* the parameter a strength gives each smoother, for the toolbar's read-out */
export function smootherParam(kind, w) {
  if (!(w > 0)) return "off";
  kind = smootherOf(kind);
  if (kind === "avg") return `window ${fmt((1 + w) / (1 - w))} points`;
  if (kind === "gauss") return `σ ${fmt(Math.sqrt(w) / (1 - w))} points`;
  return `weight ${w}`;
}
const fmt = v => (v >= 10 ? String(Math.round(v)) : v.toFixed(1));

/* smoothed value per bucket (null where a bucket has no finite point) */
export function smoothBuckets(kind, ys, ns, w) {
  kind = smootherOf(kind);
  if (!(w > 0)) return Array.from(ys, (y, i) => (ns[i] > 0 && y !== null && isFinite(y) ? y : null));
  if (kind === "ema") return RL.emaCounts(ys, ns, w);
  const valid = [], lo = [], hi = [], m = [];
  let c = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i], n = ns[i];
    if (!(n > 0) || y === null || !isFinite(y)) continue;
    valid.push(i); lo.push(c); hi.push(c + n); m.push(y);
    c += n;
  }
  const out = new Array(ys.length).fill(null);
  if (!valid.length) return out;
  const vals = kind === "avg" ? runningAverage(lo, hi, m, (1 + w) / (1 - w))
                              : gaussian(lo, hi, m, Math.sqrt(w) / (1 - w));
  valid.forEach((i, k) => { out[i] = vals[k]; });
  return out;
}

/* Where each bucket's EMA value stands on the x axis (x: the bucket's middle, xLast: its last x, ns:
   its finite points). A centred smoother's value belongs at the middle; the EMA lags: after a
   bucket of n points of mean m it is s = a s' + (1 - a) m (a = w^n). On a steady linear trend, the
   raw-point EMA takes that value at rank (n - 1) / 2 + w / (1 - w) - n a / (1 - a) of the bucket
   (0: its first point): the middle for a light EMA, the last point for a heavy one, and exactly
   the point itself for a bucket of one point. Ranks map to x linearly between the bucket's first
   and last x. */
export function emaX(x, xLast, ns, w) {
  return Array.from(x, (m, i) => {
    const n = ns[i], last = xLast[i];
    if (!(n > 1) || !(w > 0) || !(w < 1)) return n === 1 ? last : m;
    const a = Math.pow(w, n), p = (n - 1) / 2 + w / (1 - w) - n * a / (1 - a);
    const first = 2 * m - last;
    return first + Math.min(n - 1, Math.max(0, p)) / (n - 1) * (last - first);
  });
}

/* the same over drawn points (no bucket means: x against a metric, huge ranges): each point one rank */
export function smoothPoints(kind, ys, w) {
  const ns = Array.from(ys, y => (y !== null && isFinite(y) ? 1 : 0));
  return smoothBuckets(kind, ys, ns, w);
}

/* mean of the rank window [r - N/2, r + N/2] around each bucket's middle rank r (cut at the ends):
   the integral of the piecewise-constant density over the window / the window's length */
function runningAverage(lo, hi, m, N) {
  const k = lo.length, total = hi[k - 1];
  const P = new Float64Array(k + 1);                 // P[j]: integral over ranks [0, lo[j])
  for (let j = 0; j < k; j++) P[j + 1] = P[j] + (hi[j] - lo[j]) * m[j];
  const integral = () => {                            // over [0, r), r in [0, total]; r only grows
    let j = 0;
    return r => {
      while (j < k - 1 && hi[j] <= r) j++;
      return P[j] + (Math.min(r, hi[j]) - lo[j]) * m[j];
    };
  };
  const Fa = integral(), Fb = integral();             // one cursor per window end: O(buckets) in all
  const out = new Array(k);
  for (let i = 0; i < k; i++) {
    const r = (lo[i] + hi[i]) / 2;
    const a = Math.max(0, r - N / 2), b = Math.min(total, r + N / 2);
    if (b <= a) { out[i] = m[i]; continue; }
    out[i] = (Fb(b) - Fa(a)) / (b - a);
  }
  return out;
}

/* Gaussian kernel over ranks: bucket b weighs Phi((hi_b - r)/s) - Phi((lo_b - r)/s) (the kernel's
   mass over the bucket's ranks), buckets beyond 5 sigma left out; normalised by the weights' sum */
function gaussian(lo, hi, m, s) {
  const k = lo.length, out = new Array(k), reach = 5 * s;
  for (let i = 0; i < k; i++) {
    const r = (lo[i] + hi[i]) / 2;
    let a = i, b = i;
    while (a > 0 && hi[a - 1] > r - reach) a--;
    while (b < k - 1 && lo[b + 1] < r + reach) b++;
    let num = 0, den = 0, prev = Phi((lo[a] - r) / s);
    for (let j = a; j <= b; j++) {
      const cur = Phi((hi[j] - r) / s), wt = cur - prev;
      num += wt * m[j]; den += wt; prev = cur;
    }
    out[i] = den > 0 ? num / den : m[i];
  }
  return out;
}

/* the normal CDF, from erf (W. J. Cody's rational approximations would be exact to 1e-16; this
   Abramowitz-Stegun 7.1.26 form is within 1.5e-7, far below a drawn pixel) */
function Phi(z) {
  const x = Math.abs(z) / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const e = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + e) : 0.5 * (1 - e);
}
