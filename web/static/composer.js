// The ticket page's composer for staff, beside hub.js (which posts the forms and refreshes the
// parts): drafts kept by the server, who else is on the ticket, the reply stopped when someone
// else answered meanwhile, sending a failed reply again, e-mail frames and their remote images,
// and the "::" menu of canned answers. Like hub.js it builds no markup from data: the server
// renders every element; this script shows, hides, fills text and posts JSON.

const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";
const ME = document.body.dataset.userId;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function send(url, method, body, { keepalive = false } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": LANG, "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { ok: false, status: 0, data: { detail: TEXT["error.network"] } };
  }
}

function composing(event) {
  return event.isComposing || event.keyCode === 229;
}

const root = document.getElementById("ticket");
const composer = document.getElementById("composer");
if (root && composer) {
  const ticketId = root.dataset.ticketId;
  const replyArea = document.getElementById("reply-text");
  const noteArea = document.getElementById("note-text");
  const seen = document.querySelector("#reply-form input[name=seen_event]");

  function latestEvent() {
    return document.querySelector("#part-header [data-latest-event]")?.dataset.latestEvent || "";
  }

  // --- drafts: saved as the agent types, one request at a time per box -------------------------
  // The server put the saved draft in the box; a sent form resets to empty, not back to it.
  for (const area of composer.querySelectorAll("[data-draft]")) {
    const restored = area.value;
    area.defaultValue = "";
    area.value = restored;
  }
  const pending = new Map();
  const chains = new Map();
  function saveDraft(area) {
    clearTimeout(pending.get(area));
    pending.delete(area);
    const previous = chains.get(area) || Promise.resolve();
    const next = previous.then(async () => {
      const result = await send(`${composer.dataset.draftsUrl}/${area.dataset.draft}`, "PUT", { text: area.value });
      const note = composer.querySelector(`[data-draft-note="${area.dataset.draft}"]`);
      if (note && result.ok) note.textContent = result.data.saved_at ? TEXT["compose.draft_saved"] : "";
    });
    chains.set(area, next);
    return next;
  }
  composer.addEventListener("input", (event) => {
    const area = event.target;
    if (!area.dataset?.draft) return;
    clearTimeout(pending.get(area));
    pending.set(area, setTimeout(() => saveDraft(area), 600));
  });
  // A send makes the draft a message: a save still waiting must not bring it back.
  composer.addEventListener(
    "submit",
    (event) => {
      for (const area of event.target.querySelectorAll("[data-draft]")) {
        clearTimeout(pending.get(area));
        pending.delete(area);
      }
    },
    true,
  );

  // --- the reply stopped when someone else answered meanwhile ----------------------------------
  // What the agent had seen when they started writing goes with the reply.
  if (seen && replyArea?.value.trim()) seen.value = latestEvent();
  replyArea?.addEventListener("input", () => {
    if (seen && !seen.value) seen.value = latestEvent();
  });
  // The other answer stays marked until this agent's reply goes out: a live refresh of the
  // thread (theirs arriving, anyone's event) redraws the messages and would drop the mark.
  const collided = new Set();
  function markCollisions() {
    let first = null;
    for (const id of collided) {
      const message = document.getElementById(`m-${id}`);
      if (!message) continue;
      message.classList.add("is-collision");
      first ??= message;
    }
    return first;
  }
  document.addEventListener("hub:refreshed", markCollisions, true);
  composer.addEventListener("hub:answer", (event) => {
    const form = event.target;
    const answer = event.detail || {};
    if (answer.ok) {
      if (form.id === "reply-form") collided.clear();
      if (form.id === "reply-form" && seen) seen.value = "";
      for (const area of form.querySelectorAll("[data-draft]")) if (!area.value.trim()) saveDraft(area);
      return;
    }
    if (form.id === "reply-form" && answer.status === 409 && answer.data?.code === "reply_collision") {
      // Their answer is on the page, now or at the next refresh (marked then); the text stays,
      // and sending again, having seen it, goes through.
      if (seen) seen.value = String(answer.data.latest_event);
      for (const id of answer.data.message_ids || []) collided.add(id);
      markCollisions()?.scrollIntoView({ block: "center" });
    }
  });

  // --- presence: viewing, replying, writing a note --------------------------------------------
  const presence = document.getElementById("presence");
  let state = "viewing";
  function showPresence(people) {
    if (!presence) return;
    const others = (people || []).filter((person) => person.user_id !== ME);
    const lines = [];
    for (const kind of ["replying", "noting", "viewing"]) {
      const names = others.filter((person) => person.state === kind).map((person) => person.name);
      if (names.length) lines.push(TEXT[`presence.${kind}`].replace("{names}", names.join(LANG === "en" ? ", " : "、")));
    }
    presence.textContent = lines.join(" · ");
    presence.hidden = lines.length === 0;
  }
  async function announce(next) {
    state = next;
    const result = await send(composer.dataset.presenceUrl, "POST", { state });
    if (result.ok) showPresence(result.data);
  }
  function writingState() {
    if (replyArea?.value.trim()) return "replying";
    if (noteArea?.value.trim()) return "noting";
    return "viewing";
  }
  composer.addEventListener("input", () => {
    const next = writingState();
    if (next !== state) announce(next);
  });
  announce(writingState());
  setInterval(() => document.visibilityState === "visible" && announce(state), 15000);
  window.addEventListener("pagehide", () => {
    send(composer.dataset.presenceUrl, "POST", { state: "gone" }, { keepalive: true });
  });
  document.addEventListener("hub:live", (event) => {
    const live = event.detail;
    if (live.event === "ticket.presence" && live.ticket_id === ticketId) showPresence(live.people);
  });

  // --- a failed reply, sent again ---------------------------------------------------------------
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-retry]");
    if (!button) return;
    button.disabled = true;
    const result = await send(`/api/v1/tickets/${ticketId}/messages/${button.dataset.retry}/retry`, "POST");
    const status = button.parentElement.querySelector(".form-status");
    if (result.ok) {
      status.textContent = TEXT["msg.retried"];
    } else {
      button.disabled = false;
      status.textContent = result.data?.detail || TEXT["error.title"];
      status.classList.add("is-error");
    }
  });

  // --- e-mail frames: sized to their content, remote images on request -------------------------
  const allowed = new Set();
  function fit(frame) {
    try {
      const height = frame.contentDocument?.documentElement?.scrollHeight || 0;
      frame.style.height = `${Math.min(Math.max(height + 8, 60), 900)}px`;
    } catch {
      // another origin: keep the stylesheet's height
    }
  }
  root.addEventListener("load", (event) => event.target.matches?.("[data-mail-frame]") && fit(event.target), true);
  for (const frame of root.querySelectorAll("[data-mail-frame]")) if (frame.contentDocument?.readyState === "complete") fit(frame);
  function showRemote(id) {
    const frame = root.querySelector(`[data-mail-frame="${CSS.escape(id)}"]`);
    if (frame && !frame.src.includes("images=remote")) frame.src = `/messages/${id}/html?images=remote`;
    const notice = root.querySelector(`[data-remote-images="${CSS.escape(id)}"]`);
    if (notice) notice.hidden = true;
  }
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-allow-images]");
    if (!button) return;
    allowed.add(button.dataset.allowImages);
    showRemote(button.dataset.allowImages);
  });
  root.addEventListener("hub:refreshed", () => {
    for (const id of allowed) showRemote(id);
  });

  // --- "::" canned answers ----------------------------------------------------------------------
  const menu = document.getElementById("snippet-menu");
  let imeActive = false;
  let active = null;
  const TRIGGER = /(?:::|：：)([a-z0-9_-]*)$/i;

  function typedShortcut() {
    if (!replyArea) return null;
    return replyArea.value.slice(0, replyArea.selectionStart).match(TRIGGER);
  }
  function options() {
    return [...menu.querySelectorAll("[role=option]")].filter((option) => !option.hidden);
  }
  function choose(option) {
    for (const other of menu.querySelectorAll("[role=option]")) other.setAttribute("aria-selected", String(other === option));
    active = option;
    if (option) replyArea.setAttribute("aria-activedescendant", option.id);
    else replyArea.removeAttribute("aria-activedescendant");
  }
  function closeMenu() {
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    replyArea.setAttribute("aria-expanded", "false");
    choose(null);
  }
  function updateMenu() {
    if (!menu || imeActive) return;
    const typed = typedShortcut();
    if (!typed) return closeMenu();
    const query = typed[1].toLowerCase();
    for (const option of menu.querySelectorAll("[role=option]")) option.hidden = !option.dataset.shortcut.startsWith(query);
    const shown = options();
    if (!shown.length) return closeMenu();
    menu.hidden = false;
    replyArea.setAttribute("aria-expanded", "true");
    choose(shown.includes(active) ? active : shown[0]);
  }
  function insert(option) {
    const typed = typedShortcut();
    if (!typed || !option) return;
    const status = document.querySelector("#reply-form .form-status");
    if (option.getAttribute("aria-disabled") === "true") {
      status.textContent = option.title;
      status.classList.add("is-error");
      return;
    }
    const end = replyArea.selectionStart;
    replyArea.setRangeText(option.dataset.text, end - typed[0].length, end, "end");
    closeMenu();
    replyArea.dispatchEvent(new Event("input", { bubbles: true })); // saved as a draft like typing
  }
  if (menu && replyArea) {
    replyArea.addEventListener("compositionstart", () => {
      imeActive = true;
    });
    replyArea.addEventListener("compositionend", () => {
      imeActive = false;
      updateMenu();
    });
    replyArea.addEventListener("input", updateMenu);
    replyArea.addEventListener("blur", () => setTimeout(closeMenu, 150));
    replyArea.addEventListener("keydown", (event) => {
      // Enter confirms an input method's candidate: never a snippet, never a send.
      if (menu.hidden || imeActive || composing(event)) return;
      const shown = options();
      const at = shown.indexOf(active);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        choose(shown[(at + step + shown.length) % shown.length]);
      } else if ((event.key === "Enter" && !event.ctrlKey && !event.metaKey) || event.key === "Tab") {
        event.preventDefault();
        event.stopPropagation(); // hub.js would expand "::word" on Tab too
        insert(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        closeMenu();
      }
    });
    menu.addEventListener("mousedown", (event) => event.preventDefault()); // keep the caret
    menu.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) insert(option);
    });
  }
}
