// Decisions to the front line: the banner every staff page shows while a decision waits for the
// reader's confirmation, and the decision pages' forms (publish, confirm, answer).
//
// Like hub.js, this module only posts JSON to the REST API with the X-CSRF-Token header and
// reloads what the server renders; every word comes from the page's ui-text block, and text from
// the API is set with textContent, never parsed as HTML.

const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function call(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": LANG };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { ok: response.ok, data };
  } catch {
    return { ok: false, data: { detail: TEXT["error.network"] } };
  }
}

function showError(form, result) {
  const box = form.querySelector("[data-form-error]");
  if (!box) return;
  box.textContent = (result.data && (result.data.detail || result.data.title)) || TEXT["error.title"] || "Error";
  box.hidden = false;
}

/** On every page: how many decisions wait for this reader's confirmation, with a link to them. */
async function banner() {
  if (document.body.dataset.page === "decisions") return;
  const result = await call("/api/v1/decisions/mine?unread=true");
  if (!result.ok || !Array.isArray(result.data) || result.data.length === 0) return;
  const main = document.getElementById("main");
  if (!main) return;
  const bar = document.createElement("div");
  bar.className = "decision-banner";
  bar.setAttribute("role", "status");
  bar.dataset.decisionBanner = String(result.data.length);
  const words = document.createElement("span");
  words.textContent = (TEXT["dec.banner"] || "{count}").replace("{count}", String(result.data.length));
  const link = document.createElement("a");
  link.href = result.data.length === 1 ? "/decisions/" + result.data[0].decision.id : "/decisions";
  link.textContent = TEXT["dec.banner_link"] || "→";
  bar.append(words, " ", link);
  main.prepend(bar);
}

function wirePublish(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      title: String(data.get("title") || ""),
      body: String(data.get("body") || ""),
      kind: String(data.get("kind") || "decision"),
      team_ids: data.getAll("team_ids").map(String),
    };
    if (data.get("series_id")) body.series_id = String(data.get("series_id"));
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const result = await call("/api/v1/decisions/", { method: "POST", body });
    if (button) button.disabled = false;
    if (result.ok) location.assign("/decisions/" + result.data.id);
    else showError(form, result);
  });
}

function wireRead(button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    const result = await call("/api/v1/decisions/" + button.dataset.decisionRead + "/read", { method: "POST" });
    if (result.ok) location.reload();
    else button.disabled = false;
  });
}

function wireFeedback(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const feedback = String(new FormData(form).get("feedback") || "");
    const result = await call("/api/v1/decisions/" + form.dataset.decisionFeedback + "/feedback", {
      method: "POST",
      body: { feedback },
    });
    if (result.ok) location.reload();
    else showError(form, result);
  });
}

document.querySelectorAll("form[data-decision-publish]").forEach(wirePublish);
document.querySelectorAll("[data-decision-read]").forEach(wireRead);
document.querySelectorAll("form[data-decision-feedback]").forEach(wireFeedback);
banner();
