// hub pages: the one script (an ES module; the Content-Security-Policy allows no inline script).
//
// The server renders every piece of HTML, escaped by its templates. This module only posts JSON
// to the REST API (with the X-CSRF-Token header the session cookie requires), then swaps in
// fragments the server rendered again, and listens on the live stream to do the same when
// someone else changes something. It never builds markup from data.

const TEXT = JSON.parse(document.getElementById("ui-text")?.textContent || "{}");
const LANG = document.documentElement.lang || "zh-CN";
const LOGGED_IN = Boolean(document.body.dataset.userId);

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function goLogin() {
  const next = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(next));
}

/** POST (or PATCH) JSON to the API; errors come back as problem details in the page's language. */
async function api(url, { method = "POST", body } = {}) {
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
  } catch {
    return { ok: false, status: 0, data: { detail: TEXT["error.network"] } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401 && LOGGED_IN) goLogin(); // the session ended meanwhile
  return { ok: response.ok, status: response.status, data };
}

function problemText(result) {
  return (result.data && (result.data.detail || result.data.title)) || TEXT["error.title"];
}

/** A server-rendered fragment, or null; a page answered by the login redirect means the session ended. */
async function fetchHtml(url) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch {
    return null;
  }
  if (response.redirected && new URL(response.url).pathname === "/login") {
    goLogin();
    return null;
  }
  if (!response.ok) return null;
  return { html: await response.text(), headers: response.headers };
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // rendered and escaped by the server's templates
  return template.content;
}

function say(element, message, kind) {
  if (!element) return;
  element.textContent = message || "";
  element.classList.toggle("is-error", kind === "error");
  element.classList.toggle("is-ok", kind === "ok");
}

function typingWithIme(event) {
  return event.isComposing || event.keyCode === 229;
}

// --- chrome: language switch and logout -------------------------------------------------------

function initChrome() {
  document.getElementById("logout")?.addEventListener("click", async () => {
    await api("/api/v1/auth/logout");
    location.assign("/login");
  });
  for (const button of document.querySelectorAll(".lang-switch [data-lang]")) {
    button.addEventListener("click", async () => {
      const lang = button.dataset.lang;
      document.cookie = `hub_lang=${encodeURIComponent(lang)}; path=/; max-age=31536000; samesite=lax`;
      if (LOGGED_IN) await api("/api/v1/users/me", { method: "PATCH", body: { locale: lang } });
      location.reload();
    });
  }
}

// --- live stream: WebSocket with backoff ------------------------------------------------------

/** Calls onEvent for each hub event; onResync after a reconnect (events may have been missed). */
function connectLive(onEvent, onResync) {
  const badge = document.getElementById("live");
  let delay = 1000;
  let heartbeat = null;
  let connectedBefore = false;

  function show(on) {
    if (!badge) return;
    badge.dataset.state = on ? "on" : "off";
    badge.querySelector(".live-text").textContent = TEXT[on ? "live.on" : "live.off"];
  }

  function open() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/v1/stream");
    socket.addEventListener("open", () => {
      socket.send("ping"); // answered once the server's subscriptions are in place
      heartbeat = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send("ping"), 25000);
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.event === "pong") {
        if (badge?.dataset.state !== "on") {
          show(true);
          delay = 1000;
          if (connectedBefore) onResync();
          connectedBefore = true;
        }
        return;
      }
      onEvent(event);
      // Other scripts of the page (the bell, the composer) hear the same stream.
      document.dispatchEvent(new CustomEvent("hub:live", { detail: event }));
    });
    socket.addEventListener("close", (closed) => {
      clearInterval(heartbeat);
      show(false);
      if (closed.code === 4401) return goLogin();
      const wait = delay * (0.75 + Math.random() * 0.5);
      delay = Math.min(delay * 2, 30000);
      setTimeout(open, wait);
    });
  }
  open();
}

function debounced(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

// --- login --------------------------------------------------------------------------------------

function initLogin() {
  const form = document.getElementById("login-form");
  if (!form) return;
  const error = document.getElementById("login-error");
  const otpField = document.getElementById("otp-field");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const body = { email: fields.get("email"), password: fields.get("password") };
    if (!otpField.hidden && fields.get("otp")) body.otp = fields.get("otp");
    button.disabled = true;
    button.textContent = TEXT["login.busy"];
    say(error, "");
    const result = await api("/api/v1/auth/login", { body });
    if (result.ok) {
      location.assign(form.dataset.next || "/");
      return;
    }
    button.disabled = false;
    button.textContent = TEXT["login.submit"];
    if (result.data?.otp_required) {
      otpField.hidden = false;
      document.getElementById("login-otp").focus();
    }
    say(error, problemText(result), "error");
  });
}

// --- inbox --------------------------------------------------------------------------------------

function initInbox() {
  const table = document.getElementById("tickets");
  if (!table) return;
  const rows = document.getElementById("rows");
  const more = document.getElementById("more");
  const announce = document.getElementById("inbox-announce");

  // Filters apply on a pointer choice; keyboard users move through options and press Apply.
  for (const select of document.querySelectorAll("#filters [data-autosubmit]")) {
    let keyed = false;
    select.addEventListener("keydown", () => (keyed = true));
    select.addEventListener("change", () => {
      if (!keyed) select.form.requestSubmit();
      keyed = false;
    });
  }

  function rowsUrl(params) {
    const url = new URL(table.dataset.rowsUrl, location.href);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  }
  function setMore(cursor) {
    more.dataset.cursor = cursor || "";
    more.hidden = !cursor;
  }

  more.addEventListener("click", async () => {
    more.disabled = true;
    const answer = await fetchHtml(rowsUrl({ cursor: more.dataset.cursor }));
    more.disabled = false;
    if (!answer) return;
    rows.append(fragment(answer.html));
    setMore(answer.headers.get("X-Next-Cursor"));
    document.dispatchEvent(new CustomEvent("hub:inbox-reloaded"));
  });

  async function reload() {
    const shown = rows.querySelectorAll("tr[data-id]").length;
    const answer = await fetchHtml(rowsUrl({ limit: String(Math.min(Math.max(shown, 50), 200)) }));
    if (!answer) return;
    const before = new Set([...rows.querySelectorAll("tr[data-id]")].map((row) => row.dataset.id));
    const focused = rows.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset.id : null;
    rows.replaceChildren(fragment(answer.html));
    let fresh = 0;
    for (const row of rows.querySelectorAll("tr[data-id]")) {
      if (!before.has(row.dataset.id)) {
        row.classList.add("is-fresh");
        fresh += 1;
      }
    }
    if (focused) rows.querySelector(`tr[data-id="${CSS.escape(focused)}"] a`)?.focus();
    setMore(answer.headers.get("X-Next-Cursor"));
    if (fresh) say(announce, TEXT["inbox.updated"]);
    document.dispatchEvent(new CustomEvent("hub:inbox-reloaded")); // keys.js, inbox.js
  }

  const refresh = debounced(reload, 250);
  document.addEventListener("hub:inbox-refresh", reload); // a bulk action or a shortcut changed tickets
  const relevant = new Set(["ticket.created", "ticket.updated", "ticket.assigned", "message.created"]);
  connectLive((event) => relevant.has(event.event) && refresh(), refresh);
}

// --- ticket page --------------------------------------------------------------------------------

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () =>
      resolve({
        filename: file.name,
        content_type: file.type || null,
        data_base64: String(reader.result).split(",", 2)[1] || "",
      });
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Set ``a.b.c`` in a nested object (the playbook panel's ``done.fields.order_no``). */
function put(body, name, value) {
  const keys = name.split(".");
  let target = body;
  for (const key of keys.slice(0, -1)) target = target[key] ??= {};
  target[keys[keys.length - 1]] = value;
}

function lookup(body, name) {
  return name.split(".").reduce((target, key) => (target == null ? undefined : target[key]), body);
}

/** Named fields as JSON: ``data-list`` wraps a value in a list, ``data-int-list`` collects the
 * ticked checkboxes' numbers, dotted names nest, files become base64 attachments. */
async function formJson(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    if (element.type === "file") {
      put(body, element.name, await Promise.all([...element.files].map(readFile)));
    } else if ("number" in element.dataset) {
      put(body, element.name, element.value === "" ? null : Number(element.value));
    } else if ("scale" in element.dataset) {
      // A number the API takes in another unit (minutes typed, seconds sent).
      put(body, element.name, Math.round(Number(element.value || 0) * Number(element.dataset.scale)));
    } else if ("localTime" in element.dataset) {
      // A datetime-local value is the viewer's wall clock: sent as an instant, with its zone.
      put(body, element.name, element.value ? new Date(element.value).toISOString() : null);
    } else if ("intList" in element.dataset) {
      const list = lookup(body, element.name) ?? [];
      if (element.checked) list.push(Number(element.value));
      put(body, element.name, list);
    } else if ("list" in element.dataset) {
      put(body, element.name, element.value.trim() ? [element.value.trim()] : []);
    } else {
      put(body, element.name, element.value);
    }
  }
  return body;
}

function initTicket() {
  const root = document.getElementById("ticket");
  if (!root) return;
  const ticketId = root.dataset.ticketId;
  const apiBase = `/api/v1/tickets/${ticketId}/`;
  const side = document.getElementById("part-side");
  let sideWaiting = false;

  /** The side panel holds controls: never swap it under a user who is in a field or changed one. */
  function sideBusy() {
    if (side.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) {
      return true;
    }
    for (const select of side.querySelectorAll("select[data-initial]")) {
      if (select.value !== select.dataset.initial) return true;
    }
    if ([...side.querySelectorAll("input[type=checkbox]")].some((box) => box.checked)) return true;
    return [...side.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea")].some((input) =>
      input.value.trim(),
    );
  }

  let latest = 0;
  /** Re-render the parts from the server, swapped together; a newer refresh wins over an older one. */
  async function refresh() {
    const mine = ++latest;
    const answer = await fetchHtml(root.dataset.partsUrl);
    if (!answer || mine !== latest) return;
    sideWaiting = false;
    for (const part of fragment(answer.html).querySelectorAll("template[data-part]")) {
      const element = document.getElementById("part-" + part.dataset.part);
      if (!element) continue;
      if (element === side && sideBusy()) {
        sideWaiting = true;
        continue;
      }
      const focusedId = element.contains(document.activeElement) ? document.activeElement.id : "";
      const unfolded = [...element.querySelectorAll(".is-expanded[id]")].map((body) => body.id);
      // What a form just said ("Saved.") stays said in its new copy: a live refresh right after a
      // save must not swallow the confirmation.
      const said = [...element.querySelectorAll("form[id] .form-status")]
        .filter((status) => status.textContent)
        .map((status) => [status.closest("form").id, status.textContent, status.className]);
      element.replaceChildren(part.content);
      for (const [formId, text, className] of said) {
        const status = document.querySelector(`#${CSS.escape(formId)} .form-status`);
        if (status && !status.textContent) {
          status.textContent = text;
          status.className = className;
        }
      }
      for (const id of unfolded) unfold(document.getElementById(id), true);
      if (focusedId) document.getElementById(focusedId)?.focus();
    }
    followReply();
    applyWindow();
    root.dispatchEvent(new CustomEvent("hub:refreshed"));
  }

  /** The reply form said "queued"; once the worker has a verdict on that reply, say it instead. */
  function followReply() {
    const form = document.getElementById("reply-form");
    const sent = form?.dataset.sentId;
    if (!sent) return;
    const verdict = document.querySelector(`#m-${CSS.escape(sent)} [data-delivery]`)?.dataset.delivery;
    if (verdict !== "failed" && verdict !== "sent") return;
    delete form.dataset.sentId;
    const failed = verdict === "failed";
    say(statusOf(form), TEXT[failed ? "compose.reply_failed" : "compose.reply_sent"], failed ? "error" : "ok");
  }

  /** Past a closed reply window the ticket's own channel refuses replies: the composer offers the
   * other ways (template, other channels) or, with none, is disabled and says why. The header is
   * refreshed live, so the composer follows it (the window closes while the agent types). */
  function applyWindow() {
    const form = document.getElementById("reply-form");
    const window_ = document.querySelector("#part-header [data-window]");
    if (!form || !window_) return;
    const closed = window_.dataset.window === "closed";
    const blocked = closed && window_.dataset.windowWays !== "yes";
    const via = form.querySelector("select[name=via]");
    const own = via?.querySelector('option[value=""]');
    if (own) {
      own.disabled = closed;
      if (closed && via.value === "") via.value = via.querySelector("option:not(:disabled)")?.value ?? "";
      else if (!closed && via.dataset.moved) via.value = "";
      via.dataset.moved = closed ? "1" : "";
    }
    form.querySelector("textarea").disabled = blocked;
    form.querySelector("button[type=submit]").disabled = blocked;
    const note = form.querySelector("[data-window-note]");
    note.hidden = !blocked;
    note.textContent = blocked ? window_.dataset.windowBlocked || "" : "";
  }
  side.addEventListener("focusout", (event) => {
    if (sideWaiting && !side.contains(event.relatedTarget) && !sideBusy()) refresh();
  });

  function statusOf(form) {
    return form.querySelector(".form-status");
  }

  /** After a submission the form is done with: clear it (or put its selects back on failure). */
  function settle(form, ok) {
    if (form.matches(".compose")) {
      if (ok) form.reset(); // a failed reply keeps its draft
      return;
    }
    for (const select of form.querySelectorAll("select[data-initial]")) {
      if (ok) select.dataset.initial = select.value;
      else select.value = select.dataset.initial;
    }
    for (const input of form.querySelectorAll("input:not([type=hidden]), textarea")) {
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
    }
  }

  /** Run the API calls in order, stop at the first refusal, then show the server's new state. */
  async function submit(form, calls) {
    if (form.dataset.busy) return; // Ctrl+Enter pressed twice must not send a reply twice
    form.dataset.busy = "1";
    const composer = form.matches(".compose");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    if (composer) say(statusOf(form), TEXT["compose.busy"]);
    let failure = null;
    let answer = null;
    for (const [url, body] of calls) {
      answer = await api(url, { body });
      if (!answer.ok) {
        failure = problemText(answer);
        break;
      }
    }
    if (button) button.disabled = false;
    delete form.dataset.busy;
    settle(form, failure === null);
    if (composer) say(statusOf(form), failure ?? form.dataset.done, failure ? "error" : "ok");
    if (form.id === "reply-form" && !failure && answer?.data?.id) form.dataset.sentId = answer.data.id;
    const filled = !failure && "insertReply" in form.dataset ? answer?.data?.reply : null;
    await refresh();
    form.dispatchEvent(new CustomEvent("hub:answer", { bubbles: true, detail: answer ?? { ok: true } }));
    if (filled) {
      // A playbook reply, filled in by the server: into the composer to read, adapt and send;
      // a phone script is read aloud, never sent, so it is only shown.
      const again = document.querySelector(`#${form.dataset.statusIn} .form-status`);
      if (filled.script_only) {
        say(again, TEXT["pb.script"].replace("{text}", filled.text), "ok");
      } else {
        const area = document.getElementById("reply-text");
        area.value = filled.text;
        area.focus();
        say(again, TEXT["pb.filled"], "ok");
      }
      return;
    }
    // Side forms were just re-rendered: say how it went in the new copy of the form.
    const again = !composer && document.querySelector(`#${form.dataset.statusIn} .form-status`);
    if (again && (failure || form.dataset.done)) say(again, failure ?? form.dataset.done, failure ? "error" : "ok");
  }

  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.matches(".api-form")) {
      event.preventDefault();
      await submit(form, [[form.dataset.url, await formJson(form)]]);
    } else if (form.id === "details-form") {
      event.preventDefault();
      const calls = [];
      for (const select of form.querySelectorAll("select[data-endpoint]")) {
        if (select.value === select.dataset.initial) continue;
        const value = select.name === "assignee_id" && select.value === "" ? null : select.value;
        calls.push([apiBase + select.dataset.endpoint, { [select.name]: value }]);
      }
      if (calls.length) await submit(form, calls);
      else say(statusOf(form), TEXT["ticket.unchanged"]);
    }
  });

  /** A long message's body, folded (the page loads short) or shown whole. */
  function unfold(body, open) {
    if (!body) return;
    body.classList.toggle("is-expanded", open);
    const toggle = document.querySelector(`[data-show-all][aria-controls="${CSS.escape(body.id)}"]`);
    if (!toggle) return;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = TEXT[open ? "msg.show_less" : "msg.show_all"];
  }

  root.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-show-all]");
    if (!toggle) return;
    const body = document.getElementById(toggle.getAttribute("aria-controls"));
    unfold(body, !body?.classList.contains("is-expanded"));
  });

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-assign-me]");
    if (button) await submit(button.form, [[apiBase + "assign", { assignee_id: button.dataset.assignMe }]]);
  });

  root.addEventListener("input", (event) => {
    if (event.target.matches(".compose textarea")) say(statusOf(event.target.form), ""); // old news
  });
  root.addEventListener("change", (event) => {
    if (event.target.type !== "file") return;
    const names = event.target.closest(".compose-bar")?.querySelector(".file-names");
    if (names) names.textContent = [...event.target.files].map((file) => file.name).join(", ");
  });
  root.addEventListener("reset", (event) => {
    for (const names of event.target.querySelectorAll(".file-names")) names.textContent = "";
  });

  /** ``::shortcut`` then Tab in the reply box: the snippet, filled in for this ticket by the server. */
  let snippets = null;
  async function expandSnippet(area) {
    const before = area.value.slice(0, area.selectionStart);
    const typed = before.match(/::([a-z0-9][a-z0-9_-]*)$/i);
    if (!typed) return false;
    if (snippets === null) {
      const locale = document.getElementById("composer")?.dataset.ticketLocale || LANG;
      const answer = await api(`${apiBase}snippets?locale=${encodeURIComponent(locale)}`, { method: "GET" });
      snippets = answer.ok ? answer.data : [];
    }
    const found = snippets.find((snippet) => snippet.shortcut === typed[1].toLowerCase());
    if (!found) return false;
    if (found.text === null) {
      say(statusOf(area.form), found.problem, "error");
      return true;
    }
    const start = before.length - typed[0].length;
    area.setRangeText(found.text, start, area.selectionStart, "end");
    return true;
  }

  root.addEventListener("keydown", async (event) => {
    if (event.key === "Tab" && !event.shiftKey && event.target.id === "reply-text") {
      const area = event.target;
      if (/::[a-z0-9][a-z0-9_-]*$/i.test(area.value.slice(0, area.selectionStart))) {
        event.preventDefault();
        await expandSnippet(area);
      }
      return;
    }
    if (typingWithIme(event)) return; // Enter confirms a Chinese input method's candidate
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches(".compose textarea")) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  // Web chat: the visitor's typing shows under the thread (and clears itself if the "stopped"
  // never comes); the agent's typing goes to the visitor, at most every two seconds.
  const typingNote = document.getElementById("visitor-typing");
  let typingClear = null;
  const showTyping = (on) => {
    if (!typingNote) return;
    typingNote.hidden = !on;
    clearTimeout(typingClear);
    if (on) typingClear = setTimeout(() => (typingNote.hidden = true), 6000);
  };
  let typingSent = 0;
  let typingStop = null;
  root.addEventListener("input", (event) => {
    // Only the reply: a private note is never shown to the client as typing.
    if (!typingNote || event.target.id !== "reply-text") return;
    const now = Date.now();
    if (now - typingSent > 2000) {
      typingSent = now;
      api(apiBase + "typing", { body: { typing: true } });
    }
    clearTimeout(typingStop);
    typingStop = setTimeout(() => {
      typingSent = 0;
      api(apiBase + "typing", { body: { typing: false } });
    }, 3000);
  });

  const later = debounced(refresh, 200);
  connectLive((event) => {
    // Who else is here changes nothing on the ticket (composer.js shows it).
    if (event.ticket_id !== ticketId || event.event === "ticket.presence") return;
    if (event.event === "ticket.typing") showTyping(event.typing);
    else {
      if (event.event === "message.created") showTyping(false);
      later();
    }
  }, later);
  applyWindow();
}

initChrome();
initLogin();
initInbox();
initTicket();
