// Keyboard shortcuts of the inbox and the ticket page (an ES module of its own; no inline script).
//
//   j / k      next / previous ticket in the list     o or Enter   open it
//   r / n      reply / note (opens the ticket there)  a            assign to me
//   e          resolve                                /            search
//   ?          the list of shortcuts
//
// A key never acts while the person types (an input, a select, a text area, an editable element)
// nor while an input method is composing: Chinese input confirms a candidate with Enter and sends
// letters to the page until then (isComposing, keyCode 229, and between compositionstart and
// compositionend for browsers that report neither). Every shortcut is also a button: the
// toolbar's buttons carry data-key and run the same action.

let composing = false;
document.addEventListener("compositionstart", () => (composing = true), true);
document.addEventListener("compositionend", () => (composing = false), true);

function typing(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Accept-Language": LANG,
      "Content-Type": "application/json",
      "X-CSRF-Token": csrfToken(),
    },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, data };
}

function announce(message, kind) {
  const status = document.getElementById("bulk-status") || document.getElementById("inbox-announce");
  if (!status) return;
  status.textContent = message || "";
  status.classList.toggle("is-error", kind === "error");
  status.classList.toggle("is-ok", kind === "ok");
}

// --- the inbox list --------------------------------------------------------------------------

const table = document.getElementById("tickets");
const rowsOf = () => [...(document.getElementById("rows")?.querySelectorAll("tr[data-id]") || [])];
let currentId = null;

function current() {
  return rowsOf().find((row) => row.dataset.id === currentId) || null;
}

function move(step) {
  const rows = rowsOf();
  if (!rows.length) return;
  const at = rows.indexOf(current());
  const next = rows[Math.min(rows.length - 1, Math.max(0, at === -1 ? 0 : at + step))];
  for (const row of rows) {
    row.classList.toggle("is-current", row === next);
    row.removeAttribute("aria-current");
  }
  next.setAttribute("aria-current", "true");
  currentId = next.dataset.id;
  next.querySelector(".c-subject a")?.focus({ preventScroll: true });
  next.scrollIntoView({ block: "nearest" });
}

function openCurrent(hash = "") {
  const link = current()?.querySelector(".c-subject a");
  if (link) location.assign(link.getAttribute("href") + hash);
  else announce(TEXT["keys.no_row"], "error");
}

async function onCurrent(url, body) {
  const row = current();
  if (!row) return announce(TEXT["keys.no_row"], "error");
  const result = await post(`/api/v1/tickets/${row.dataset.id}/${url}`, body);
  if (!result.ok) return announce(result.data?.detail || TEXT["error.title"], "error");
  announce((TEXT["keys.done"] || "").replace("{number}", row.dataset.number), "ok");
  document.dispatchEvent(new CustomEvent("hub:inbox-refresh"));
}

// After the rows are drawn again (live update, "more"), the current row stays current.
document.addEventListener("hub:inbox-reloaded", () => {
  const row = current();
  if (row) {
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
  }
});

// --- the ticket page -------------------------------------------------------------------------

const ticket = document.getElementById("ticket");

function focusComposer(which) {
  const area =
    which === "note"
      ? document.getElementById("note-text")
      : document.getElementById("reply-text");
  area?.focus();
}

async function onTicket(url, body) {
  const result = await post(`/api/v1/tickets/${ticket.dataset.ticketId}/${url}`, body);
  if (!result.ok) announce(result.data?.detail || TEXT["error.title"], "error");
  else location.reload();
}

// --- the map ---------------------------------------------------------------------------------

const me = document.body.dataset.userId;

const ACTIONS = {
  j: () => table && move(1),
  k: () => table && move(-1),
  o: () => table && openCurrent(),
  Enter: () => table && current() && openCurrent(),
  r: () => (ticket ? focusComposer("reply") : table && openCurrent("#reply")),
  n: () => (ticket ? focusComposer("note") : table && openCurrent("#note")),
  a: () => (ticket ? onTicket("assign", { assignee_id: me }) : table && onCurrent("assign", { assignee_id: me })),
  e: () =>
    ticket ? onTicket("status", { status: "resolved" }) : table && onCurrent("status", { status: "resolved" }),
  "/": () => {
    const search = document.getElementById("f-q");
    search?.focus();
    search?.select();
  },
  "?": () => document.getElementById("keys-help")?.showModal(),
};

function run(key) {
  const action = ACTIONS[key];
  if (!action) return false;
  action();
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.isComposing || event.keyCode === 229 || composing) return; // an input method is at work
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (typing(event)) return;
  if (document.querySelector("dialog[open]")) return; // the help is open: Escape closes it
  if (event.key === "Enter" && event.target instanceof Element && event.target.closest("a, button")) return;
  if (run(event.key)) event.preventDefault();
});

document.getElementById("keybar")?.addEventListener("click", (event) => {
  const button = event.target.closest("[data-key]");
  if (button) run(button.dataset.key);
});

// The inbox's "r" and "n" open the ticket at its reply or note box.
if (ticket && (location.hash === "#reply" || location.hash === "#note")) {
  focusComposer(location.hash === "#note" ? "note" : "reply");
}
