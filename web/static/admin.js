// The admin pages' forms (an ES module; the Content-Security-Policy allows no inline script).
//
// Every form and action button posts JSON to the same REST API the CLI's use cases sit behind, with
// the X-CSRF-Token header the session cookie requires, so a form validates, words its problems and
// audits its changes exactly as the API does. A problem is shown beside the field it names, in the
// page's language (the API answers in it). Values are only ever written with textContent.

const LANG = document.documentElement.lang || "zh-CN";
const ROOT = document.querySelector(".admin");
const WORDS = ROOT ? ROOT.dataset : {};

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function call(url, method, body) {
  const headers = { Accept: "application/json", "Accept-Language": LANG, "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { ok: false, status: 0, data: { detail: String(error) } };
  }
  if (response.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

function problemText(result) {
  return (result.data && (result.data.detail || result.data.title)) || String(result.status);
}

function say(element, message, kind) {
  if (!element) return;
  element.textContent = message || "";
  element.classList.toggle("is-error", kind === "error");
  element.classList.toggle("is-ok", kind === "ok");
}

// --- reading a form into the API's body ---------------------------------------------------------

function valueOf(input) {
  const kind = input.dataset.kind || "text";
  if (kind === "bool") return { value: input.checked };
  if (kind === "multi") {
    const chosen = [...input.selectedOptions].map((option) => option.value);
    return chosen.length ? { value: chosen } : null; // none chosen: the API's default
  }
  const raw = input.value.trim();
  if (raw === "") {
    const empty = input.dataset.empty || "omit";
    if (empty === "null") return { value: null };
    if (empty === "list") return { value: [] };
    return null; // left out: the API's default (or, in a channel's settings, the kind's)
  }
  if (kind === "int" || kind === "number") {
    const number = Number(raw);
    return { value: Number.isFinite(number) ? number : raw }; // the API words a non-number
  }
  if (kind === "list") return { value: raw.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean) };
  if (kind === "lines") return { value: raw.split(/\n+/).map((s) => s.trim()).filter(Boolean) };
  return { value: raw };
}

/** ``config.region`` goes to ``{config: {region: …}}``. */
function collect(form) {
  const body = {};
  for (const input of form.elements) {
    if (!input.name || input.disabled) continue;
    const found = valueOf(input);
    if (found === null) continue;
    const path = input.name.split(".");
    let target = body;
    for (const key of path.slice(0, -1)) target = target[key] ??= {};
    target[path[path.length - 1]] = found.value;
  }
  return body;
}

/** ``/api/v1/calendars/cn/days/{day}``: a field's value in the address, taken out of the body. */
function address(template, body, form) {
  let missing = null;
  const url = template.replace(/\{([a-z_]+)\}/g, (_, name) => {
    const value = body[name];
    delete body[name];
    if (value === undefined || value === null || value === "") missing = missing || name;
    return encodeURIComponent(value ?? "");
  });
  if (missing) {
    showFieldError(form, missing, WORDS.required);
    return null;
  }
  return url;
}

// --- problems beside their fields ---------------------------------------------------------------

function fieldBox(form, name) {
  return form.querySelector(`[data-field="${CSS.escape(name)}"]`);
}

function clearErrors(form) {
  for (const box of form.querySelectorAll("[data-field]")) {
    box.classList.remove("has-error");
    const slot = box.querySelector(".field-error");
    if (slot) slot.textContent = "";
    box.querySelector("input, select, textarea")?.removeAttribute("aria-invalid");
  }
}

function showFieldError(form, name, message) {
  const box = fieldBox(form, name);
  if (!box) return false;
  box.classList.add("has-error");
  box.querySelector(".field-error").textContent = message;
  const input = box.querySelector("input, select, textarea");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", box.querySelector(".field-error").id);
    input.focus();
  }
  return true;
}

/** The field a problem is about: the key the API's validation names, else the first field name
 * its words mention (``region: …``, ``capacity must be between …``, ``at `$.capacity```). */
function fieldOf(form, result) {
  const names = [...form.querySelectorAll("[data-field]")].map((box) => box.dataset.field);
  const short = (name) => name.split(".").pop();
  for (const error of result.data?.errors || []) {
    const key = String(error.key || "");
    const hit = names.find((n) => n === key || short(n) === key || key.endsWith("." + short(n)));
    if (hit) return hit;
  }
  const text = [result.data?.detail || "", ...(result.data?.errors || []).map((e) => e.message || "")].join(" ");
  let best = null;
  let bestAt = Infinity;
  for (const name of names) {
    const pattern = new RegExp(`(^|[^A-Za-z0-9_])${short(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z0-9_]|$)`);
    const match = pattern.exec(text);
    if (match && match.index < bestAt) {
      best = name;
      bestAt = match.index;
    }
  }
  return best;
}

// --- after a success -----------------------------------------------------------------------------

function pick(data, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
}

function showCreated(form, data) {
  const panel = document.getElementById(form.id + "-created") || document.getElementById("channel-created");
  if (!panel) return location.reload();
  for (const slot of panel.querySelectorAll("[data-result]")) slot.textContent = pick(data, slot.dataset.result) || "";
  for (const row of panel.querySelectorAll("[data-result-row]")) row.hidden = !pick(data, row.dataset.resultRow);
  for (const link of panel.querySelectorAll("[data-result-href]")) {
    link.href = link.dataset.resultHref.replace("{id}", encodeURIComponent(data?.id || ""));
  }
  form.hidden = true;
  panel.hidden = false;
  panel.querySelector("a, code")?.focus?.();
}

function showFindings(button, data) {
  const list = document.getElementById(button.dataset.target);
  if (!list) return;
  list.replaceChildren();
  const found = Array.isArray(data) ? data : [];
  if (!found.length) {
    const item = document.createElement("li");
    item.textContent = list.dataset.none;
    list.append(item);
  }
  for (const finding of found) {
    const item = document.createElement("li");
    item.className = "finding finding--" + finding.level;
    item.dataset.level = finding.level;
    const level = document.createElement("strong");
    level.textContent = list.dataset["level" + finding.level[0].toUpperCase() + finding.level.slice(1)] || finding.level;
    item.append(level, " ", finding.part, ": ", finding.detail);
    list.append(item);
  }
}

// --- wiring --------------------------------------------------------------------------------------

function initForm(form) {
  const status = form.querySelector(".form-status");
  const submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    say(status, "");
    const body = collect(form);
    const url = address(form.dataset.api, body, form);
    if (!url) return say(status, WORDS.required, "error");
    submit.disabled = true;
    const result = await call(url, form.dataset.method || "POST", body);
    submit.disabled = false;
    if (!result.ok) {
      const message = problemText(result);
      const field = fieldOf(form, result);
      if (field) showFieldError(form, field, message);
      say(status, message, "error");
      return;
    }
    if (form.dataset.then === "created") return showCreated(form, result.data);
    say(status, WORDS.saved, "ok");
    if (form.dataset.then === "reload") location.reload();
  });
}

function initAction(button) {
  button.addEventListener("click", async () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const status = button.parentElement.querySelector(".form-status");
    const list = button.dataset.target && document.getElementById(button.dataset.target);
    if (list) say(list, list.dataset.busy);
    say(status, "");
    button.disabled = true;
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    const result = await call(button.dataset.api, button.dataset.method || "POST", body);
    button.disabled = false;
    if (!result.ok) {
      if (list) list.replaceChildren();
      return say(status, problemText(result), "error");
    }
    if (button.dataset.then === "findings") return showFindings(button, result.data);
    if (button.dataset.then === "handover") {
      return say(status, (button.dataset.moved || "").replace("{count}", String(result.data?.moved?.length ?? 0)), "ok");
    }
    location.reload();
  });
}

/** A click on a day of the year view fills the override form's date. */
function initYearView() {
  const view = document.getElementById("year-view");
  const day = document.getElementById("day-form-day");
  if (!view || !day) return;
  view.addEventListener("click", (event) => {
    const cell = event.target.closest("[data-date]");
    if (!cell) return;
    day.value = cell.dataset.date;
    day.focus();
  });
}

for (const form of document.querySelectorAll("form.admin-form")) initForm(form);
for (const button of document.querySelectorAll("button.admin-action")) initAction(button);
initYearView();
