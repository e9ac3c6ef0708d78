// The inbox's selection and bulk actions, saved views and their counts (an ES module of its own).
//
// The selection is a set of ticket ids kept here, not the checkboxes: rows are drawn again by
// live updates and "more", and a ticket stays selected (and ticked again) until the agent
// unticks it or the action ran. The action is sent for exactly that set, which the confirmation
// lists by number, and the server answers how many it changed and why any refused.

const table = document.getElementById("tickets");
const bar = document.getElementById("bulkbar");
const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function call(url, { method = "POST", body } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Accept-Language": LANG,
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, data: { detail: TEXT["error.network"] } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, data };
}

function say(element, message, kind) {
  if (!element) return;
  element.textContent = message || "";
  element.classList.toggle("is-error", kind === "error");
  element.classList.toggle("is-ok", kind === "ok");
}

const fill = (template, values) =>
  Object.entries(values).reduce((text, [key, value]) => text.replaceAll(`{${key}}`, String(value)), template || "");

// --- selection and bulk actions ----------------------------------------------------------------

/** id -> ticket number, in the order the agent ticked them (the first is a merge's target). */
const picked = new Map();

function showSelection() {
  const count = document.getElementById("bulk-count");
  say(count, picked.size ? fill(TEXT["bulk.selected"], { count: picked.size }) : TEXT["bulk.none"]);
  document.getElementById("bulk-apply").disabled = picked.size === 0;
  for (const box of table.querySelectorAll("input.pick")) box.checked = picked.has(box.value);
  const all = document.getElementById("pick-all");
  const boxes = [...table.querySelectorAll("input.pick")];
  if (all) all.checked = boxes.length > 0 && boxes.every((box) => box.checked);
}

function initBulk() {
  if (!table || !bar) return;
  table.addEventListener("change", (event) => {
    const box = event.target;
    if (box.id === "pick-all") {
      for (const one of table.querySelectorAll("input.pick")) {
        const number = one.closest("tr").dataset.number;
        if (box.checked) picked.set(one.value, number);
        else picked.delete(one.value);
      }
    } else if (box.matches("input.pick")) {
      if (box.checked) picked.set(box.value, box.closest("tr").dataset.number);
      else picked.delete(box.value);
    }
    showSelection();
  });
  document.addEventListener("hub:inbox-reloaded", showSelection);

  const action = document.getElementById("bulk-action");
  const choose = () => {
    for (const field of bar.querySelectorAll("[data-for]")) field.hidden = field.dataset.for !== action.value;
  };
  action.addEventListener("change", choose);
  choose();

  bar.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!picked.size) return;
    const ids = [...picked.keys()];
    const numbers = [...picked.values()].map((n) => "#" + n).join(", ");
    if (!window.confirm(fill(TEXT["bulk.confirm"], { count: ids.length, numbers }))) return;
    const form = new FormData(bar);
    const body = { ticket_ids: ids, action: action.value };
    if (action.value === "assign") body.assignee_id = form.get("assignee_id") || null;
    if (action.value === "status") body.status = form.get("status");
    if (action.value === "priority") body.priority = form.get("priority");
    if (action.value === "tags") body.add_tags = form.get("tag") ? [String(form.get("tag"))] : [];
    if (action.value === "merge") body.into = ids[0];
    const status = document.getElementById("bulk-status");
    const result = await call("/api/v1/tickets/bulk", { body });
    if (!result.ok) {
      say(status, result.data?.detail || TEXT["error.title"], "error");
      return;
    }
    const refusals = result.data.refused.map((r) => r.detail).join(" ");
    say(status, [fill(TEXT["bulk.done"], result.data), refusals].join(" ").trim(), refusals ? "error" : "ok");
    picked.clear();
    showSelection();
    document.dispatchEvent(new CustomEvent("hub:inbox-refresh"));
  });
  showSelection();
}

// --- saved views and counts --------------------------------------------------------------------

async function refreshCounts() {
  const result = await call("/inbox/counts", { method: "GET" });
  if (!result.ok || !result.data) return;
  for (const badge of document.querySelectorAll("[data-count-for]")) {
    const count = result.data[badge.dataset.countFor];
    badge.textContent = count == null ? "" : count >= 1000 ? TEXT["views.many"] : String(count);
  }
}

function initViews() {
  if (!table) return;
  refreshCounts();
  // The rows are drawn again after every live update that moves a ticket: the counts follow.
  let timer = null;
  document.addEventListener("hub:inbox-reloaded", () => {
    clearTimeout(timer);
    timer = setTimeout(refreshCounts, 300);
  });
  const form = document.getElementById("save-view");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const filters = JSON.parse(form.dataset.filters || "{}");
    const body = {
      name: form.elements.name.value,
      filters,
      share_with_team: form.elements.share.checked,
    };
    const result = await call("/api/v1/views", { body });
    const status = form.querySelector(".form-status");
    if (!result.ok) return say(status, result.data?.detail || TEXT["error.title"], "error");
    location.assign("/?saved=" + encodeURIComponent(result.data.id));
  });
}

initBulk();
initViews();
