// The notifications bell, on every staff page: the unread count, the list the server renders in
// the viewer's language (/notifications/menu), live through the page's stream, and mark read.

const LANG = document.documentElement.lang || "zh-CN";
const bell = document.getElementById("bell");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function markRead(id, keepalive = false) {
  return fetch(`/api/v1/notifications/${id}/read`, {
    method: "POST",
    credentials: "same-origin",
    keepalive,
    headers: { Accept: "application/json", "Accept-Language": LANG, "X-CSRF-Token": csrfToken() },
  }).catch(() => null);
}

if (bell) {
  const button = document.getElementById("bell-button");
  const panel = document.getElementById("bell-panel");
  const count = document.getElementById("bell-count");

  async function load() {
    let response;
    try {
      response = await fetch("/notifications/menu", { credentials: "same-origin", headers: { Accept: "text/html" } });
    } catch {
      return;
    }
    if (!response.ok || response.redirected) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text(); // rendered and escaped by the server's template
    panel.replaceChildren(template.content);
    const unread = Number(panel.querySelector("[data-unread]")?.dataset.unread || 0);
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    bell.dataset.unread = String(unread);
  }

  function toggle(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  }

  button.addEventListener("click", () => toggle(panel.hidden));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      toggle(false);
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !bell.contains(event.target)) toggle(false);
  });
  panel.addEventListener("click", async (event) => {
    const mark = event.target.closest("[data-mark-read]");
    if (mark) {
      mark.disabled = true;
      await markRead(mark.dataset.markRead);
      await load();
      return;
    }
    const open = event.target.closest("[data-read-on-open]");
    if (open?.dataset.readOnOpen) markRead(open.dataset.readOnOpen, true);
  });
  document.addEventListener("hub:live", (event) => {
    if (event.detail?.event === "notification.created") load();
  });
  load();
}
