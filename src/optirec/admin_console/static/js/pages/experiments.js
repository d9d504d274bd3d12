// Experiments: each one's arms and state; start, stop, ship an arm after a confirmation; each one's results per arm
// with their 95 % intervals and the always-valid difference to control (reading them checks the guardrail). Created
// through the API or `optirec experiments create`. Every change is written to the audit log by the API.

import { get, post } from "../api.js";
import { confirm, count, empty, h, money, notice, percent, render, scroller, when } from "../ui.js";

const points = (share) => `${(share * 100).toFixed(2)} pp`; // a difference of two rates, in percentage points
const METRICS = { // value's format, difference's format
  click_through: ["Click-through", percent, points],
  add_to_cart_rate: ["Add-to-cart rate", percent, points],
  conversion: ["Conversion", percent, points],
  revenue_per_list: ["Revenue per list", money, money],
};
const VERDICTS = { better: "better than control", worse: "worse than control", undecided: "no difference shown yet" };
let status;

function policyText(policy) {
  const parts = [];
  if (policy.model_version) parts.push(`model ${policy.model_version}`);
  for (const [placement, share] of Object.entries(policy.shares || {})) parts.push(`explore ${percent(share)} at ${placement}`);
  if (policy.diversity != null) parts.push(`diversity ${policy.diversity}`);
  if (policy.fit_weight != null) parts.push(`fit weight ${policy.fit_weight}`);
  if (policy.profile_weight != null) parts.push(`profile weight ${policy.profile_weight}`);
  return parts.length ? parts.join(", ") : "the default policy";
}

function signed(value, format) {
  if (value == null) return "unbounded";
  return `${value > 0 ? "+" : value < 0 ? "−" : ""}${format(Math.abs(value))}`;
}

function difference(m, format) {
  if (m.difference == null) return "control";
  return h("span", { dataset: { verdict: m.verdict } },
    `${signed(m.difference, format)} [${signed(m.difference_low, format)}, ${signed(m.difference_high, format)}]`,
    h("br"), h("span", { class: "muted" }, `${VERDICTS[m.verdict]} (p ${m.p_value.toFixed(3)})`));
}

function resultsTable(results) {
  const rows = [];
  for (const arm of results.arms) {
    Object.entries(METRICS).forEach(([key, [label, format, change]], k) => {
      const m = arm.metrics[key];
      rows.push(h("tr", { dataset: { arm: arm.name, metric: key } },
        k === 0 ? h("th", { scope: "row", rowspan: "4" }, arm.name, arm.control ? " (control)" : "",
          arm.stopped ? h("span", { class: "muted" }, h("br"), `stopped: ${arm.stopped}`) : "", h("br"),
          h("span", { class: "muted" }, `${count(arm.lists)} lists`)) : null,
        h("td", {}, label),
        h("td", { class: "num" }, `${format(m.value)} [${format(m.low)}, ${format(m.high)}]`),
        h("td", { class: "num" }, difference(m, change))));
    });
  }
  return scroller("Results per arm", h("table", { class: "results" },
    h("caption", {}, `Results per arm, attribution window ${results.window_hours} h`),
    h("thead", {}, h("tr", {}, ["Arm", "Metric", "Value [95 %]", "Difference to control [always-valid 95 %]"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

function action(label, path, question, text, reload, body) {
  return h("button", {
    type: "button", class: "button button-secondary", dataset: { action: label.toLowerCase().split(" ")[0] },
    onclick: async () => {
      if (!(await confirm(question, text, label))) return;
      try {
        await post(path, body);
        await reload();
        status.replaceChildren(notice(`${question.replace("?", "")}: done.`));
      } catch (error) {
        status.replaceChildren(notice(error.message, "error"));
      }
    },
  }, label);
}

function experimentPanel(e, reload) {
  const base = `/api/admin/experiments/${encodeURIComponent(e.id)}`;
  const results = h("div", { class: "experiment-results" });
  const buttons = [];
  if (e.status === "draft") buttons.push(action("Start", `${base}/start`, `Start “${e.name}”?`, "Shoppers at its placements are assigned to the arms from now on (every worker within seconds).", reload));
  if (e.status === "running") buttons.push(action("Stop", `${base}/stop`, `Stop “${e.name}”?`, "Every shopper gets the default policy again; the results stay.", reload));
  if (e.status === "running" || e.status === "stopped") {
    for (const arm of e.arms.filter((a) => !a.stopped)) {
      buttons.push(action(`Ship ${arm.name}`, `${base}/ship`, `Ship arm “${arm.name}”?`, `Its policy (${policyText(arm.policy)}) becomes the default for every shopper, and the experiment ends.`, reload, { arm: arm.name }));
    }
  }
  if (e.status !== "draft") {
    buttons.push(h("button", {
      type: "button", class: "button", dataset: { action: "results" },
      onclick: async () => {
        const answer = await get(`${base}/results`);
        results.replaceChildren(
          ...(answer.stopped_now.length ? [notice(`The guardrail stopped ${answer.stopped_now.join(", ")}: conversion worse than control's.`, "error")] : []),
          resultsTable(answer));
      },
    }, "Show the results"));
  }
  return h("section", { class: "panel", dataset: { experiment: e.id, status: e.status } },
    h("h2", {}, e.name, " ", h("span", { class: "muted" }, `(${e.status})`)),
    h("p", {}, `At ${e.placements.length ? e.placements.join(", ") : "every placement"}; created `, when(e.created_at),
      e.started_at ? h("span", {}, ", started ", when(e.started_at)) : "",
      e.shipped_arm ? `; shipped ${e.shipped_arm}` : ""),
    h("ul", {}, e.arms.map((arm) => h("li", {}, h("strong", {}, arm.name), arm.control ? " (control)" : "",
      `: ${percent(arm.share)} of shoppers, ${policyText(arm.policy)}`, arm.stopped ? ` — stopped by the guardrail` : ""))),
    h("div", { class: "actions" }, buttons),
    results);
}

export async function show() {
  status = h("div", { class: "action-status", role: "status", "aria-live": "polite" });
  const list = h("div", {});
  const reload = async () => {
    const experiments = await get("/api/admin/experiments");
    list.replaceChildren(...(experiments.length
      ? experiments.map((e) => experimentPanel(e, reload))
      : [empty("No experiment yet. Create one through the API (POST /api/admin/experiments) or on the server with", "optirec experiments create")]));
  };
  await reload();
  render("Experiments",
    h("h1", {}, "Experiments"),
    h("p", { class: "lead" }, "Arms of serving policies and model versions, their results with always-valid intervals (look as often as you like), and the guardrail that stops an arm whose conversion is worse than control's. Each change is written to the audit log."),
    status,
    list);
}
