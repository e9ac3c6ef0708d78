// Portal pages (quality cases, meetings, action items, messages, acting from a link): every form
// marked data-api posts its fields as JSON to the REST API and reloads the page the server renders
// again. No markup is built here; the server's templates escape everything.

const LANG = document.documentElement.lang || "zh-CN";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function say(form, message, kind) {
  const status = form.querySelector(".form-status");
  if (!status) return;
  status.textContent = message || "";
  status.classList.toggle("is-error", kind === "error");
  status.classList.toggle("is-ok", kind === "ok");
}

/** A local date or date-time field as an ISO instant (the browser knows the viewer's zone). */
function instant(value) {
  if (!value) return null;
  const parsed = new Date(value.length === 10 ? value + "T18:00" : value);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

function body(form) {
  const data = {};
  for (const field of form.querySelectorAll("[name]")) {
    if (field.closest("[data-decision]")) continue;
    const kind = field.dataset.kind || "";
    if (kind === "list") {
      data[field.name] = data[field.name] || [];
      if (field.checked) data[field.name].push(field.value);
      continue;
    }
    if (field.type === "radio" && !field.checked) continue;
    if (field.type === "submit" || field.type === "button") continue;
    let value = field.value;
    if (kind === "instant") value = instant(value);
    else if (kind === "optional" && !value.trim()) value = null;
    data[field.name] = value;
  }
  const rows = form.querySelectorAll("[data-decision]");
  if (rows.length) {
    data.decisions = [];
    for (const row of rows) {
      const title = row.querySelector("[data-field=title]").value.trim();
      if (!title) continue;
      const owner = row.querySelector("[data-field=owner]").value;
      const due = instant(row.querySelector("[data-field=due]").value);
      data.decisions.push({ title, owner_id: owner || null, due_at: due });
    }
  }
  return data;
}

async function submit(event) {
  // Its forms carry data-busy (portal/_form_attrs.html); the orders' and deliveries' forms on the
  // same layout are portal.js's, which leaves these to this script: each form is sent once.
  const form = event.target.closest("form[data-api][data-busy]");
  if (!form || event.defaultPrevented) return;
  event.preventDefault();
  const button = event.submitter || form.querySelector("button[type=submit]");
  const data = body(form);
  if (button && button.name) data[button.name] = button.value;
  for (const [key, value] of Object.entries(data)) if (value === null && form.dataset.drop === "nulls") delete data[key];
  if (button) button.disabled = true;
  say(form, form.dataset.busy || "…");
  let response;
  try {
    response = await fetch(form.dataset.api, {
      method: form.dataset.method || "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Accept-Language": LANG,
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: JSON.stringify(data),
    });
  } catch {
    say(form, form.dataset.network || "Network error", "error");
    if (button) button.disabled = false;
    return;
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) {
    say(form, (answer && (answer.detail || answer.title)) || String(response.status), "error");
    if (button) button.disabled = false;
    return;
  }
  say(form, form.dataset.done || "✓", "ok");
  if (form.dataset.then === "stay") {
    if (button) button.disabled = true;
    for (const field of form.querySelectorAll("textarea, input, select, button")) field.disabled = true;
    return;
  }
  location.reload();
}

document.documentElement.dataset.portalQuality = "on";
document.addEventListener("submit", submit);
