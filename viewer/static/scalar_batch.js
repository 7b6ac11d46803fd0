/* First loads of scalar charts, batched (issue 19, item 6): the /scalar queries of one task asked in
   the same moment go out as one GET /api/tasks/<id>/scalars?q=...&q=... (viewer/scalar_batch.py),
   answered from one snapshot of the task. For a run of 5,000 series, opening the task per request
   cost more than the data; a page of charts now opens it once. Each caller still gets its own
   answer (or its own error, with the status /scalar would have given). Conditional re-asks (live
   refresh, with ETags) keep using /scalar one by one. */
import {RL} from "./common.js";

/* queries per request: a page of 24 charts goes out as 6 requests (a browser's connections to one host),
   answered in parallel by the server's threads, each opening the task once instead of 4 times */
const MAX = 4;
const LIMIT = 96;                     // viewer/scalar_batch.py MAX_QUERIES
const pending = new Map();            // task id -> [{query, resolve, reject}]
const perRequest = new Map();         // task id -> queries per request, when not MAX

/* A task of many series (the page knows from its series list) gets its queries in as few requests
   as the server takes: there, opening the task (reading and checking its series index) costs more
   than the parallel decimation saves (a 5,000-series task opened 7 times for a page of 25 charts). */
export function manySeries(task, count) {
  if (count > 1000) perRequest.set(task, LIMIT); else perRequest.delete(task);
}

/* the answer to ``url`` (a /api/tasks/<id>/scalar?... URL), as RL.getJSON gives it: {data, changed} */
export function batchedScalar(task, url) {
  return new Promise((resolve, reject) => {
    if (!pending.has(task)) {
      pending.set(task, []);
      setTimeout(() => send(task), 0);   // everything asked in this turn of the event loop goes together
    }
    pending.get(task).push({query: url.slice(url.indexOf("?") + 1), resolve, reject});
  });
}

async function send(task) {
  const all = pending.get(task);
  pending.delete(task);
  const k = Math.ceil(all.length / (perRequest.get(task) || MAX));          // parts of even size: 25 queries -> 4,3,4,3,4,3,4
  for (let i = 0; i < k; i++) {
    const part = all.slice(Math.round(i * all.length / k), Math.round((i + 1) * all.length / k));
    if (part.length === 1) {          // nothing to share: the plain route (and its error page)
      RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/scalar?${part[0].query}`).then(part[0].resolve, part[0].reject);
      continue;
    }
    RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/scalars?` + RL.qs({q: part.map(p => p.query)})).then(({data}) => {
      part.forEach((p, k) => {
        const a = data.answers[k];
        if (a && a.error && a.status) { const e = new Error(a.error.message); e.status = a.status; p.reject(e); }
        else p.resolve({data: a, changed: true});
      });
    }, err => part.forEach(p => p.reject(err)));
  }
}
