// Starting a ticket: the fields follow the channel's kind (a subject for e-mail, the call for a
// phone line), and the form posts to POST /api/v1/tickets with one Idempotency-Key per page, so
// a double click or a retry after a lost answer opens the ticket once.

const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";
const form = document.getElementById("new-ticket-form");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function put(body, name, value) {
  const keys = name.split(".");
  let target = body;
  for (const key of keys.slice(0, -1)) target = target[key] ??= {};
  target[keys[keys.length - 1]] = value;
}

if (form) {
  const key = crypto.randomUUID();
  const channel = form.elements.channel_id;
  const status = form.querySelector(".form-status");
  const button = form.querySelector("button[type=submit]");
  const kind = () => channel.selectedOptions[0]?.dataset.kind || "email";

  function follow() {
    const now = kind();
    for (const part of form.querySelectorAll("[data-for-kinds]")) {
      const shown = part.dataset.forKinds.split(" ").includes(now);
      part.hidden = !shown;
      for (const field of part.querySelectorAll("input, select, textarea")) field.disabled = !shown;
    }
    const hint = document.getElementById("new-to-hint");
    hint.textContent = hint.dataset[`hint${now[0].toUpperCase()}${now.slice(1)}`] || "";
    const label = form.querySelector("[data-text-label]");
    label.textContent = now === "phone" ? label.dataset.labelPhone : label.dataset.labelWritten;
    const started = form.elements["call.started_at"];
    if (now === "phone" && !started.value) {
      const local = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
      started.value = local.toISOString().slice(0, 16);
    }
  }
  channel.addEventListener("change", follow);
  follow();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.busy) return;
    const body = {};
    for (const element of form.elements) {
      if (!element.name || element.disabled) continue;
      if ("scale" in element.dataset) {
        put(body, element.name, Math.round(Number(element.value || 0) * Number(element.dataset.scale)));
      } else if ("localTime" in element.dataset) {
        put(body, element.name, element.value ? new Date(element.value).toISOString() : null);
      } else if (element.value.trim() || element.name === "text") {
        put(body, element.name, element.value);
      }
    }
    form.dataset.busy = "1";
    button.disabled = true;
    status.textContent = TEXT["compose.busy"] || "";
    status.classList.remove("is-error");
    let response = null;
    let data = null;
    try {
      response = await fetch("/api/v1/tickets", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Accept-Language": LANG,
          "Content-Type": "application/json",
          "X-CSRF-Token": csrfToken(),
          "Idempotency-Key": key,
        },
        body: JSON.stringify(body),
      });
      data = await response.json();
    } catch {
      data = { detail: TEXT["error.network"] };
    }
    if (response?.ok && data?.id) {
      location.assign(`/tickets/${data.id}`);
      return;
    }
    delete form.dataset.busy;
    button.disabled = false;
    status.textContent = data?.detail || data?.title || TEXT["error.title"];
    status.classList.add("is-error");
  });
}
