// Models: every version with its status, offline metrics, data window and checksum; train now (its progress polled
// until it ends), promote and roll back, each after a confirmation; why a version was rejected or failed.

import { get, post } from "../api.js";
import { confirm, count, empty, h, notice, render, scroller, table, when } from "../ui.js";

const STATUS = {
  live: "Live", candidate: "Candidate", retired: "Retired", rejected: "Rejected", failed: "Failed",
};
const POLL_MS = 1000;
let status; // the live region that says what an action did

// "ndcg@10" → "NDCG@10", "recall@10" → "Recall@10"
function metricName(name) {
  const [kind, at] = name.split("@");
  const words = { ndcg: "NDCG", mrr: "MRR", map: "MAP", hr: "Hit rate", hit: "Hit rate", coverage: "Coverage" };
  const cold = kind.toLowerCase().startsWith("cold_");
  const base = cold ? kind.slice(5) : kind;
  return `${words[base.toLowerCase()] || base.replaceAll("_", " ")}@${at}${cold ? ", rarely seen products" : ""}`;
}

const MAIN_METRICS = ["ndcg@10", "hr@10", "coverage@10"]; // the rest under "All metrics"

function metricList(names, candidate, live) {
  return h("dl", { class: "metrics" }, names.map((name) => [
    h("dt", {}, metricName(name)),
    h("dd", {}, Number(candidate[name]).toFixed(3),
      live[name] !== undefined ? h("span", { class: "muted" }, ` (live then ${Number(live[name]).toFixed(3)})`) : null),
  ]));
}

function metricsCell(v) {
  const candidate = v.metrics?.candidate || {};
  const live = v.metrics?.live || {};
  const names = Object.keys(candidate).filter((k) => k.includes("@")).sort();
  if (!names.length) return "—";
  const main = MAIN_METRICS.filter((name) => names.includes(name));
  const rest = names.filter((name) => !main.includes(name));
  return h("div", {}, metricList(main.length ? main : names, candidate, live),
    main.length && rest.length ? h("details", {}, h("summary", {}, "All metrics"), metricList(rest, candidate, live)) : null);
}

function windowCell(w) {
  if (!w || !w.signals) return "—";
  const day = (iso) => (iso ? iso.slice(0, 10) : "?");
  return h("span", {}, `${count(w.signals)} signals, ${count(w.users)} shoppers, ${count(w.items)} products`,
    h("br"), h("span", { class: "muted" }, `${day(w.from)} to ${day(w.to)}`));
}

function why(v) {
  if (v.status === "rejected" && v.note) return h("span", {}, "Rejected: ", v.note);
  if (v.status === "failed") return h("span", {}, "Failed: ", v.note || "the training stopped");
  return v.note || "";
}

function actions(v, reload) {
  if (v.status === "live" || v.status === "failed") return v.status === "live" ? `${count(v.workers)} worker${v.workers === 1 ? "" : "s"} serving` : "";
  return h("button", {
    type: "button", class: "button button-secondary", dataset: { promote: v.id },
    onclick: async () => {
      const sure = await confirm(`Promote ${v.id}?`,
        `Every worker starts serving ${v.id} within seconds, in place of the live version. You can roll back afterwards.`,
        `Promote ${v.id}`);
      if (sure) await act(() => post(`/api/admin/models/${encodeURIComponent(v.id)}/promote`), `${v.id} is live now.`, reload);
    },
  }, "Promote", h("span", { class: "visually-hidden" }, ` ${v.id}`));
}

async function act(request, done, reload) {
  try {
    await request();
    await reload();
    status.replaceChildren(notice(done));
  } catch (error) {
    status.replaceChildren(notice(error.message, "error"));
  }
}

function versionsTable(versions, reload) {
  if (!versions.length) return empty("No model has been trained yet: popularity serves. Train one with the button above, or on the server with", "optirec train");
  const rows = versions.map((v) => h("tr", { dataset: { version: v.id, status: v.status } },
    h("th", { scope: "row" }, h("code", {}, v.id),
      v.checksum ? h("span", { class: "checksum muted" }, h("br"), "checksum ", h("code", { title: v.checksum }, v.checksum.slice(0, 12)), "…") : null),
    h("td", {}, h("span", { class: `badge badge-${v.status}` }, STATUS[v.status] || v.status)),
    h("td", {}, when(v.created_at), v.promoted_at ? h("span", { class: "muted" }, h("br"), "promoted ", when(v.promoted_at)) : null),
    h("td", {}, metricsCell(v)),
    h("td", {}, windowCell(v.data_window)),
    h("td", {}, why(v)),
    h("td", {}, actions(v, reload))));
  return scroller("Model versions", h("table", { class: "versions" },
    h("caption", {}, "Model versions, newest first"),
    h("thead", {}, h("tr", {}, ["Version and checksum", "Status", "Trained", "Offline metrics (held-out)", "Data window", "Why", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

// What a training is doing, or how it ended: with the new version's fate when the list of versions is known.
function describe(run, versions = []) {
  if (run.running) return h("span", {}, "Training… ", h("strong", {}, run.stage), ` (started ${when(run.started_at).textContent})`);
  if (run.error) return `The training did not finish: ${run.error}`;
  const made = versions.find((v) => v.id === run.version);
  if (made?.status === "live") return `Training finished: version ${run.version} is live now.`;
  if (made?.status === "rejected") return `Training finished: version ${run.version} was not promoted (${made.note || "it scored worse"}); the live version keeps serving.`;
  return `Training finished: version ${run.version}. See it in the table below.`;
}

const MARGIN_MS = 60_000; // clocks of the browser and the server may differ by this much
const GIVE_UP_MS = 30 * 60_000;

function say(progress, state, text) {
  progress.replaceChildren(h("p", { class: `progress${state === "running" ? " running" : ""}`, dataset: { state } }, text));
}

// Follow a training until it ends. `since`: when it was asked for (browser time), to tell it from an older one.
// The worker that trains keeps its stages; with several workers another one may answer the poll: then the list of
// versions says when a new one appears.
async function poll(progress, reload, button, since) {
  while (Date.now() - since < GIVE_UP_MS) {
    let run;
    try {
      run = await get("/api/admin/models/training");
    } catch (error) {
      progress.replaceChildren(notice(error.message, "error"));
      break;
    }
    const ours = run && new Date(run.started_at).getTime() >= since - MARGIN_MS;
    if (ours) {
      const versions = run.running ? [] : await reload();
      say(progress, run.running ? "running" : run.error ? "failed" : "finished", describe(run, versions));
      if (!run.running) break;
    } else {
      const versions = await get("/api/admin/models");
      const made = versions.find((v) => new Date(v.created_at).getTime() >= since - MARGIN_MS);
      if (made) {
        await reload();
        say(progress, "finished", describe({ version: made.id }, versions));
        break;
      }
      say(progress, "running", "Training in another worker process… its stages show when that worker answers.");
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  button.disabled = false;
}

function trainPanel(reload) {
  const force = h("input", { type: "checkbox", id: "force" });
  const progress = h("div", { class: "training", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "button", id: "train" }, "Train now");
  button.addEventListener("click", async () => {
    const sure = await confirm("Train a new version now?",
      force.checked
        ? "optirec trains on the stored signals and promotes the new version even if it scores worse than the live one."
        : "optirec trains on the stored signals and promotes the new version only if it scores at least as well as the live one on the same held-out signals.",
      "Train now");
    if (!sure) return;
    button.disabled = true;
    const since = Date.now();
    try {
      const answer = await post(`/api/admin/models/train${force.checked ? "?force=true" : ""}`);
      if (answer.status === "already running") progress.replaceChildren(notice("A training is already running; its progress follows."));
    } catch (error) {
      progress.replaceChildren(notice(error.message, "error"));
      button.disabled = false;
      return;
    }
    await poll(progress, reload, button, since);
  });
  return { panel: h("section", { class: "panel", "aria-labelledby": "train-title" },
    h("h2", { id: "train-title" }, "Train a new version"),
    h("p", { class: "hint" }, "Trains on the newest stored signals, scores the new version and the live one on the same held-out signals, and promotes the new one only if it is not worse."),
    h("div", { class: "checkbox" }, force, h("label", { for: "force" }, "Promote it even if it scores worse")),
    button, progress), progress, button };
}

// Two versions' offline metrics side by side, and the difference in words as well as in sign.
function comparePanel(versions) {
  const scored = versions.filter((v) => Object.keys(v.metrics?.candidate || {}).some((k) => k.includes("@")));
  if (scored.length < 2) return h("p", { class: "hint" }, "Two trained versions are needed to compare them.");
  const live = scored.find((v) => v.status === "live");
  const first = live || scored[1];
  const second = scored.find((v) => v !== first);
  const pick = (id, label, chosen) => h("div", { class: "field field-inline" },
    h("label", { for: id }, label),
    h("select", { id }, scored.map((v) => h("option", { value: v.id, selected: v === chosen }, `${v.id} (${STATUS[v.status] || v.status})`))));
  const a = pick("compare-a", "Version A", first);
  const b = pick("compare-b", "Version B", second);
  const out = h("div", {});
  const draw = () => {
    const va = scored.find((v) => v.id === a.querySelector("select").value);
    const vb = scored.find((v) => v.id === b.querySelector("select").value);
    const names = [...new Set([...Object.keys(va.metrics.candidate), ...Object.keys(vb.metrics.candidate)])]
      .filter((k) => k.includes("@")).sort();
    const rows = names.map((name) => {
      const x = va.metrics.candidate[name];
      const y = vb.metrics.candidate[name];
      const known = x !== undefined && y !== undefined;
      const diff = known ? y - x : null;
      const words = !known ? "—" : Math.abs(diff) < 5e-4 ? "the same" : diff > 0 ? "B higher" : "A higher";
      return [metricName(name), x === undefined ? "—" : Number(x).toFixed(3), y === undefined ? "—" : Number(y).toFixed(3),
        !known ? "—" : words === "the same" ? "0.000 (the same)" : `${diff > 0 ? "+" : "−"}${Math.abs(diff).toFixed(3)} (${words})`];
    });
    out.replaceChildren(table(`Offline metrics: A is ${va.id}, B is ${vb.id}`, ["Metric", "A", "B", "B − A"], rows, { numeric: [1, 2, 3] }),
      h("p", { class: "hint" }, "Each version is scored on the held-out signals of its own training; two versions trained on different data windows are compared only roughly."));
  };
  a.querySelector("select").addEventListener("change", draw);
  b.querySelector("select").addEventListener("change", draw);
  draw();
  return h("div", { class: "compare" }, h("div", { class: "pickers" }, a, b), out);
}

// The version a rollback serves: the one promoted most recently before the live one (the API's own rule).
function previous(versions) {
  return versions.filter((v) => v.status === "retired" && v.promoted_at)
    .sort((a, b) => b.promoted_at.localeCompare(a.promoted_at))[0];
}

function rollbackButton(versions, reload) {
  const target = previous(versions);
  const live = versions.find((v) => v.status === "live");
  if (!target || !live) return h("p", { class: "hint" }, "No earlier live version to roll back to yet.");
  return h("p", {}, h("button", {
    type: "button", class: "button button-warning", id: "rollback",
    onclick: async () => {
      const sure = await confirm(`Roll back to ${target.id}?`,
        `Every worker goes back to ${target.id} within seconds. The live version, ${live.id}, is marked rejected; you can promote it again later.`,
        `Roll back to ${target.id}`, { danger: true });
      if (sure) await act(() => post("/api/admin/models/rollback"), `Rolled back: ${target.id} is live again.`, reload);
    },
  }, `Roll back to ${target.id}`));
}

export async function show() {
  status = h("div", { class: "action-status" });
  const list = h("div", {});
  const compare = h("div", {});
  const reload = async () => {
    const versions = await get("/api/admin/models");
    list.replaceChildren(rollbackButton(versions, reload), versionsTable(versions, reload));
    compare.replaceChildren(comparePanel(versions));
    return versions;
  };
  await reload();
  const train = trainPanel(reload);
  render("Models",
    h("h1", {}, "Models"),
    h("p", { class: "lead" }, "Every trained version, the one serving now, and how each scored offline on held-out signals."),
    status,
    train.panel,
    h("section", { "aria-labelledby": "versions-title" },
      h("h2", { id: "versions-title" }, "Versions"),
      list),
    h("section", { "aria-labelledby": "compare-title" },
      h("h2", { id: "compare-title" }, "Compare two versions"),
      compare));
  const run = await get("/api/admin/models/training").catch(() => null);
  if (run && run.running) {
    train.button.disabled = true;
    poll(train.progress, reload, train.button, new Date(run.started_at).getTime());
  } else if (run) {
    const ended = run.error ? `did not finish: ${run.error}` : `made version ${run.version}`;
    train.progress.replaceChildren(h("p", { class: "progress" }, `The latest training started here (${when(run.started_at).textContent}) ${ended}.`));
  }
}
