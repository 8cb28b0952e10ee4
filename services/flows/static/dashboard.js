// Flow monitoring dashboard: reads suppressed tables and indicators from the flows API and
// redraws them every few seconds. The token comes from the URL fragment (#token=...) or the
// login field and is only sent in the Authorization header. Optional fragment parameters:
// start, end (RFC 3339) and granularity (hour | day).
(function () {
  "use strict";
  const fragment = new URLSearchParams(location.hash.slice(1));
  let token = fragment.get("token") || sessionStorage.getItem("mixflow-token") || "";
  const granularity = fragment.get("granularity") || "day";
  const end = fragment.get("end") || new Date().toISOString();
  const start = fragment.get("start") ||
    new Date(Date.now() - 30 * 86400 * 1000).toISOString();
  const $ = (id) => document.getElementById(id);

  async function get(path, params) {
    const query = new URLSearchParams({ granularity, start, end });
    for (const [name, value] of params) query.append(name, value);
    const response = await fetch(`${path}?${query}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  function show(value) {
    return value === null || value === undefined ? "–" : String(value);
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function table(head, rows, testid) {
    const t = el("table");
    if (testid) t.dataset.testid = testid;
    const tr = el("tr");
    head.forEach((h) => tr.appendChild(el("th", h)));
    t.appendChild(tr);
    rows.forEach((cells) => {
      const r = el("tr");
      cells.forEach((c) => {
        if (c instanceof Node) { const td = el("td"); td.appendChild(c); r.appendChild(td); }
        else r.appendChild(el("td", show(c), typeof c === "number" ? "num" : c === null ? "num hidden-cell" : ""));
      });
      t.appendChild(r);
    });
    return t;
  }

  function bar(value, max) {
    const b = el("span", undefined, "bar");
    b.style.width = `${max ? Math.round((100 * (value || 0)) / max) : 0}px`;
    return b;
  }

  function line(body, dim, testid) {
    const max = Math.max(0, ...body.rows.map((r) => r.count || 0));
    const rows = body.rows.map((r) => [r[dim], r.count, bar(r.count, max)]);
    rows.push(["total", body.total, el("span")]);
    const t = table([dim, "count", ""], rows, testid);
    t.querySelectorAll("tr").forEach((tr, i) => {
      if (i > 0) tr.dataset.key = (rows[i - 1][0] || "unknown");
    });
    return t;
  }

  function replace(id, node) {
    const box = $(id);
    box.replaceChildren(node);
  }

  async function drawFramework() {
    const body = await get("/flows/table",
      [["measure", "referrals"], ["group_by", "window"], ["group_by", "framework"]]);
    const frameworks = [...new Set(body.rows.map((r) => r.framework))];
    const windows = [...new Set(body.rows.map((r) => r.window))];
    const cell = {};
    body.rows.forEach((r) => { cell[`${r.window}|${r.framework}`] = r.count; });
    const rows = windows.map((w) => [w.slice(0, granularity === "day" ? 10 : 16),
      ...frameworks.map((f) => cell[`${w}|${f}`])]);
    replace("by-framework", table(["window", ...frameworks], rows, "framework-table"));
  }

  async function drawPathways() {
    const body = await get("/flows/table", [["measure", "referrals"], ["group_by", "pathway"]]);
    replace("by-pathway", line(body, "pathway", "pathway-table"));
    $("k").textContent = String(body.k - 1);
  }

  async function drawCorridors() {
    const body = await get("/flows/table",
      [["measure", "arrivals"], ["group_by", "nationality"], ["group_by", "country"]]);
    const visible = body.rows.filter((r) => r.count !== null && r.count > 0);
    visible.sort((a, b) => b.count - a.count);
    const rows = visible.slice(0, 10).map((r) => [`${r.nationality} → ${r.country}`, r.count]);
    replace("corridors", table(["corridor", "arrivals"], rows, "corridor-table"));
  }

  function pct(share) {
    return share.share === null || share.share === undefined
      ? "–" : `${(100 * share.share).toFixed(1)} % (${share.numerator}/${share.denominator})`;
  }

  async function drawProtection() {
    const [children, report] = await Promise.all([
      get("/flows/table", [["measure", "referrals"], ["group_by", "pathway"],
        ["age_band", "0-4"], ["age_band", "5-11"], ["age_band", "12-17"]]),
      get("/flows/indicators", []),
    ]);
    const box = el("div");
    box.appendChild(el("h3", "Referrals of children (0-17)"));
    box.appendChild(line(children, "pathway", "children-table"));
    box.appendChild(table(["indicator", "value"], [
      ["Protection signal referred to asylum", pct(report.protection_signal_referred_to_asylum)],
      ["Child protection accepted within SLA", pct(report.child_protection_within_sla)],
    ], "indicator-table"));
    replace("protection", box);
  }

  async function drawSla() {
    const body = await get("/flows/table", [["measure", "outcomes"], ["group_by", "sla"]]);
    replace("sla", line(body, "sla", "sla-table"));
  }

  async function refresh() {
    try {
      await Promise.all([drawFramework(), drawPathways(), drawCorridors(), drawProtection(),
        drawSla()]);
      $("status").textContent = `Updated ${new Date().toISOString()}`;
      $("status").dataset.state = "ok";
    } catch (error) {
      $("status").textContent = `Could not load: ${error.message}`;
      $("status").dataset.state = "error";
    }
  }

  async function begin() {
    $("period").textContent = `${granularity} windows from ${start} to ${end}`;
    let poll = 5;
    try { poll = (await get("/flows/config", [])).poll_seconds; } catch (e) { /* default */ }
    await refresh();
    setInterval(refresh, poll * 1000);
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("mixflow-token", token);
    $("login").hidden = true;
    begin();
  });
  if (token) begin(); else $("login").hidden = false;
})();
