/* hub web chat: the widget a company's site embeds with one line,
 *   <script src="HUB/widget.js" data-channel="CHANNEL_ID" async></script>
 *
 * ES5 plus Promise, no framework and no build step, so that it runs unchanged in current
 * browsers and in WeChat's in-app browser; what an older engine may lack (shadow DOM, constructed
 * style sheets, crypto.randomUUID, localStorage, WebSocket) has a fallback beside its use.
 * Everything lives in this closure; the only global is
 * window.HubChat. The UI sits in an open shadow root (the host page's CSS cannot reach it), and
 * every piece of text is set with textContent: visitor and agent text is never parsed as HTML.
 *
 * Never losing a word: each message gets a client id and stays in localStorage (the outbox)
 * until the hub acknowledges it; writes go over REST with retries (the hub dedupes by client id),
 * the WebSocket only pushes. On reconnect the socket resumes after the last message seen.
 * The hub fills in TEXT (its catalogue's widget.* entries) when it serves this file.
 */
(function () {
  "use strict";
  if (window.HubChat && window.HubChat.version) return; // the embed pasted twice

  var TEXT = /*@text*/ {};
  var VERSION = "1";

  var script =
    document.currentScript ||
    document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script || !script.getAttribute("data-channel")) return;
  var CHANNEL = script.getAttribute("data-channel");
  // An <a> parses the script's address in every browser (URL() is missing from some in-app ones).
  var SRC = document.createElement("a");
  SRC.href = script.src;
  var ORIGIN = SRC.protocol + "//" + SRC.host;
  var BASE = ORIGIN + ("/" + SRC.pathname.replace(/^\//, "")).replace(/\/widget\.js$/, "");
  var API = BASE + "/widget/v1/" + encodeURIComponent(CHANNEL);
  var KEY = "hubchat:" + CHANNEL + ":";

  var PING_MS = 25000;
  var TYPING_IDLE_MS = 4000;
  var TYPING_EVERY_MS = 3000;
  var AGENT_TYPING_MS = 30000;
  var MAX_BACKOFF_MS = 30000;

  // ---------------------------------------------------------------- small helpers

  /** localStorage, or memory where it is refused (Safari private mode, storage disabled). */
  var store = (function () {
    var memory = {};
    var local = null;
    try {
      local = window.localStorage;
      local.setItem(KEY + "probe", "1");
      local.removeItem(KEY + "probe");
    } catch (e) {
      local = null;
    }
    return {
      get: function (name) {
        try {
          var raw = local ? local.getItem(KEY + name) : memory[name];
          return raw == null ? null : JSON.parse(raw);
        } catch (e) {
          return null;
        }
      },
      set: function (name, value) {
        var raw = JSON.stringify(value);
        memory[name] = raw;
        try {
          if (local) local.setItem(KEY + name, raw);
        } catch (e) {
          /* full: the memory copy keeps the page's words */
        }
      },
      remove: function (name) {
        delete memory[name];
        try {
          if (local) local.removeItem(KEY + name);
        } catch (e) {
          /* nothing to do */
        }
      },
    };
  })();

  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      try {
        return c.randomUUID();
      } catch (e) {
        /* not a secure context: fall through */
      }
    }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = "";
    for (var j = 0; j < 16; j++) hex += (bytes[j] + 0x100).toString(16).slice(1);
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /** Exponential back-off with full jitter: attempt 0 waits up to 1 s, then 2, 4 … 30 s. */
  function backoff(attempt) {
    var cap = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt));
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  function later(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  /** One HTTP call. Resolves {status, data, retryAfter}; status 0 = the network failed. XHR rather than
   * fetch: it exists in every browser the widget must run in, and it reads Retry-After the same way. */
  function request(method, path, body, isForm) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, API + path, true);
      xhr.timeout = 20000;
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Accept-Language", state.lang);
      if (state.token) xhr.setRequestHeader("Authorization", "Bearer " + state.token);
      if (body != null && !isForm) xhr.setRequestHeader("Content-Type", "application/json");
      function done() {
        var data = null;
        try {
          data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch (e) {
          data = null;
        }
        var wait = parseInt(xhr.getResponseHeader("Retry-After") || "", 10);
        resolve({ status: xhr.status, data: data, retryAfter: isNaN(wait) ? 0 : wait });
      }
      xhr.onload = done;
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        resolve({ status: 0, data: null, retryAfter: 0 });
      };
      xhr.send(body == null ? null : isForm ? body : JSON.stringify(body));
    });
  }

  function retryable(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500;
  }

  function problem(result) {
    var d = result.data;
    return (d && (d.detail || d.title)) || "";
  }

  function pickLanguage(wanted) {
    if (wanted === "zh-CN" || wanted === "en") return wanted;
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < langs.length; i++) {
      var l = String(langs[i]).toLowerCase();
      if (l.indexOf("zh") === 0) return "zh-CN";
      if (l.indexOf("en") === 0) return "en";
    }
    return "en";
  }

  function t(key, params) {
    var table = TEXT[state.lang] || TEXT.en || {};
    var text = table[key] || (TEXT.en && TEXT.en[key]) || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return params && params[name] != null ? String(params[name]) : whole;
    });
  }

  /** Milliseconds of an ISO 8601 instant; the hub's microseconds cut to the three digits every
   * engine reads (older Safari answers NaN to more). */
  function parseTime(iso) {
    return Date.parse(String(iso || "").replace(/(\.\d{3})\d+/, "$1"));
  }

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1048576) return Math.round(bytes / 102.4) / 10 + " KB";
    return Math.round(bytes / 104857.6) / 10 + " MB";
  }

  /** Only http(s) links and pictures, resolved against the hub: never javascript: or data:. */
  function safeUrl(raw) {
    var text = String(raw || "");
    if (/^\/(?!\/)/.test(text)) return ORIGIN + text; // the hub's own path
    return /^https?:\/\/[^\s]+$/i.test(text) ? text : null;
  }

  /** The colour from the config if it is a hex colour, and black or white text that reads on it. */
  function colours(raw) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(raw || "") ? raw : "#1d4ed8";
    var full = hex.length === 4 ? "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3] : hex;
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(full.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return { accent: full, text: luminance > 0.4 ? "#111" : "#fff" };
  }

  // ---------------------------------------------------------------- state

  var state = {
    lang: pickLanguage(script.getAttribute("data-language")),
    langFixed: !!script.getAttribute("data-language"),
    config: null,
    token: store.get("token"),
    online: true,
    agent: null,
    open: false,
    unread: 0,
    lastId: null,
    seen: {}, // message id -> element
    pending: {}, // client id -> element
    socket: null,
    socketTries: 0,
    socketTimer: null,
    pingTimer: null,
    sessionPromise: null,
    prechat: null,
    prechatShown: false,
    wantOpen: false,
    flushing: false,
    identify: null,
    typingSent: 0,
    typingStop: null,
    agentTypingTimer: null,
  };

  // ---------------------------------------------------------------- the UI

  var CSS =
    ":host{all:initial}" +
    ".hc{--hc-accent:#1d4ed8;--hc-on-accent:#fff;font:15px/1.45 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2933}" +
    ".hc *{box-sizing:border-box}" +
    ".hc-launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;background:var(--hc-accent);color:var(--hc-on-accent);box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".hc-left .hc-launcher{right:auto;left:20px}" +
    ".hc-launcher svg{width:28px;height:28px;fill:currentColor}" +
    ".hc-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#b42318;color:#fff;font-size:12px;line-height:20px;text-align:center}" +
    ".hc-badge[hidden],.hc [hidden]{display:none!important}" +
    ".hc-panel{position:fixed;bottom:88px;right:20px;z-index:2147483001;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}" +
    ".hc-left .hc-panel{right:auto;left:20px}" +
    ".hc-head{background:var(--hc-accent);color:var(--hc-on-accent);padding:12px 14px;display:flex;align-items:center;gap:10px}" +
    ".hc-head-text{flex:1;min-width:0}" +
    ".hc-title{margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}" +
    ".hc-sub{font-size:13px;opacity:.9}" +
    ".hc-close{background:transparent;border:0;color:inherit;font-size:24px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px}" +
    ".hc-notice{padding:10px 14px;background:#fff1dc;color:#6b3d05;font-size:14px;border-bottom:1px solid #f0d9b5}" +
    ".hc-notice-text{margin:0}" +
    ".hc-notice form{display:flex;gap:6px;margin-top:6px}" +
    ".hc-notice input{flex:1;min-width:0}" +
    ".hc-log{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9;display:flex;flex-direction:column;gap:8px}" +
    ".hc-greeting{align-self:flex-start;background:#fff;border:1px solid #e1e5ea;border-radius:10px;padding:8px 10px;max-width:85%;white-space:pre-wrap}" +
    ".hc-msg{max-width:85%;display:flex;flex-direction:column}" +
    ".hc-msg[data-direction=in]{align-self:flex-end;align-items:flex-end}" +
    ".hc-msg[data-direction=out]{align-self:flex-start;align-items:flex-start}" +
    ".hc-bubble{padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #e1e5ea}" +
    ".hc-msg[data-direction=in] .hc-bubble{background:var(--hc-accent);color:var(--hc-on-accent);border-color:transparent}" +
    ".hc-meta{font-size:12px;color:#616e7c;margin-top:2px}" +
    ".hc-author{font-size:12px;color:#616e7c;margin-bottom:2px}" +
    ".hc-msg[data-state=failed] .hc-meta{color:#b42318}" +
    ".hc-msg[data-state=pending] .hc-bubble{opacity:.7}" +
    ".hc-files{list-style:none;margin:4px 0 0;padding:0}" +
    ".hc-files a{color:inherit}" +
    ".hc-files img{display:block;max-width:200px;max-height:160px;border-radius:6px;margin-top:4px}" +
    ".hc-typing{min-height:20px;padding:0 14px;font-size:13px;color:#616e7c;background:#f6f7f9}" +
    ".hc-compose{display:flex;align-items:flex-end;gap:6px;padding:8px;border-top:1px solid #e1e5ea;background:#fff}" +
    ".hc-input{flex:1;resize:none;min-height:40px;max-height:120px;font:inherit;padding:8px;border:1px solid #c5ccd6;border-radius:8px;color:#1f2933;background:#fff}" +
    ".hc-btn{font:inherit;border:0;border-radius:8px;padding:8px 12px;cursor:pointer;background:var(--hc-accent);color:var(--hc-on-accent)}" +
    ".hc-attach{font:inherit;background:transparent;border:1px solid #c5ccd6;border-radius:8px;width:40px;height:40px;cursor:pointer;color:#616e7c;font-size:20px}" +
    ".hc-prechat{padding:14px;display:flex;flex-direction:column;gap:10px;overflow-y:auto;flex:1}" +
    ".hc-field{display:flex;flex-direction:column;gap:3px;font-size:14px}" +
    ".hc input{font:inherit;padding:7px 8px;border:1px solid #c5ccd6;border-radius:8px;color:#1f2933;background:#fff}" +
    ".hc-error{color:#b42318;font-size:13px;min-height:1em;margin:0}" +
    ".hc-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".hc button:focus-visible,.hc input:focus-visible,.hc textarea:focus-visible,.hc a:focus-visible,.hc-log:focus-visible{outline:2px solid var(--hc-accent);outline-offset:2px}" +
    ".hc-head .hc-close:focus-visible{outline-color:var(--hc-on-accent)}" +
    ".hc-csat{display:flex;flex-direction:column;gap:6px;margin-top:6px;padding:8px;background:#fff;border:1px solid #e1e5ea;border-radius:10px}" +
    ".hc-csat-faces{display:flex;gap:4px}" +
    ".hc-csat-face{font-size:24px;line-height:1;background:transparent;border:2px solid transparent;border-radius:8px;padding:4px;cursor:pointer}" +
    ".hc-csat-face[aria-checked=true]{border-color:var(--hc-accent);background:#eef3ff}" +
    ".hc-csat-comment{font:inherit;resize:vertical;padding:6px;border:1px solid #c5ccd6;border-radius:8px}" +
    ".hc-csat-send[disabled]{opacity:.5;cursor:default}" +
    ".hc-csat-done{margin:0}" +
    "@media (max-width:480px){.hc-panel{inset:0;top:0;left:0;right:0;bottom:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}" +
    ".hc-left .hc-panel{left:0}.hc-input,.hc input{font-size:16px}}" +
    "@media (prefers-reduced-motion:no-preference){.hc-panel{transition:opacity .15s}}";

  var ICON_CHAT =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6h2v2H7zm4 0h2v2h-2zm4 0h2v2h-2z";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, name)) node.setAttribute(name, attrs[name]);
      }
    }
    if (text != null) node.textContent = text;
    return node;
  }

  var ui = {};

  function build() {
    var host = el("div", { "data-hub-chat": "root" });
    var root = host;
    if (host.attachShadow) root = host.attachShadow({ mode: "open" });
    // Constructed style sheets pass a host page's strict style-src; a <style> element where they are missing.
    var sheetDone = false;
    if (root !== host && "adoptedStyleSheets" in root && window.CSSStyleSheet) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        sheetDone = true;
      } catch (e) {
        sheetDone = false;
      }
    }
    if (!sheetDone) root.appendChild(el("style", null, root === host ? CSS.replace(":host{all:initial}", "") : CSS));

    var wrap = el("div", { class: "hc", lang: state.lang });
    ui.host = host;
    ui.wrap = wrap;

    ui.launcher = el("button", {
      type: "button",
      class: "hc-launcher",
      "data-hub-chat": "launcher",
      "aria-expanded": "false",
      "aria-controls": "hc-panel",
    });
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICON_CHAT);
    svg.appendChild(path);
    ui.launcher.appendChild(svg);
    ui.badge = el("span", { class: "hc-badge", "aria-hidden": "true", hidden: "" });
    ui.launcher.appendChild(ui.badge);
    ui.launcher.addEventListener("click", function () {
      if (state.open) close();
      else open();
    });

    ui.panel = el("div", {
      class: "hc-panel",
      id: "hc-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "hc-title",
      "data-hub-chat": "panel",
      hidden: "",
    });
    var head = el("div", { class: "hc-head" });
    var headText = el("div", { class: "hc-head-text" });
    ui.title = el("h2", { class: "hc-title", id: "hc-title" });
    ui.sub = el("div", { class: "hc-sub", "data-hub-chat": "agent" });
    headText.appendChild(ui.title);
    headText.appendChild(ui.sub);
    ui.close = el("button", { type: "button", class: "hc-close", "data-hub-chat": "close" }, "\u00d7");
    ui.close.addEventListener("click", function () {
      close();
    });
    head.appendChild(headText);
    head.appendChild(ui.close);

    ui.notice = el("div", { class: "hc-notice", "data-hub-chat": "offline", hidden: "" });
    ui.noticeText = el("p", { class: "hc-notice-text" });
    ui.emailForm = el("form", { novalidate: "" });
    ui.emailLabel = el("label", { class: "hc-sr", for: "hc-email" });
    ui.email = el("input", { type: "email", id: "hc-email", autocomplete: "email", "data-hub-chat": "email" });
    ui.emailSend = el("button", { type: "submit", class: "hc-btn" });
    ui.emailForm.appendChild(ui.emailLabel);
    ui.emailForm.appendChild(ui.email);
    ui.emailForm.appendChild(ui.emailSend);
    ui.emailStatus = el("p", { class: "hc-error", role: "status" });
    ui.notice.appendChild(ui.noticeText);
    ui.notice.appendChild(ui.emailForm);
    ui.notice.appendChild(ui.emailStatus);
    ui.emailForm.addEventListener("submit", function (event) {
      event.preventDefault();
      leaveEmail();
    });

    ui.log = el("div", {
      class: "hc-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "data-hub-chat": "transcript",
      tabindex: "0",
    });
    ui.greeting = el("div", { class: "hc-greeting", "data-hub-chat": "greeting", hidden: "" });
    ui.log.appendChild(ui.greeting);

    ui.typing = el("div", { class: "hc-typing", "aria-live": "polite", "data-hub-chat": "typing" });

    ui.prechat = el("form", { class: "hc-prechat", "data-hub-chat": "prechat", novalidate: "", hidden: "" });
    ui.prechat.addEventListener("submit", function (event) {
      event.preventDefault();
      submitPrechat();
    });

    ui.compose = el("div", { class: "hc-compose" });
    ui.file = el("input", { type: "file", hidden: "", tabindex: "-1", "aria-hidden": "true" });
    ui.attach = el("button", { type: "button", class: "hc-attach", "data-hub-chat": "attach" }, "+");
    ui.attach.addEventListener("click", function () {
      ui.file.click();
    });
    ui.file.addEventListener("change", function () {
      var files = ui.file.files;
      for (var i = 0; files && i < files.length; i++) sendFile(files[i]);
      ui.file.value = "";
    });
    ui.inputLabel = el("label", { class: "hc-sr", for: "hc-input" });
    ui.input = el("textarea", {
      id: "hc-input",
      class: "hc-input",
      rows: "1",
      "aria-describedby": "hc-input-hint",
      "data-hub-chat": "input",
    });
    ui.inputHint = el("span", { class: "hc-sr", id: "hc-input-hint" });
    ui.send = el("button", { type: "button", class: "hc-btn", "data-hub-chat": "send" });
    ui.send.addEventListener("click", function () {
      sendTyped();
      ui.input.focus();
    });
    wireInput();
    ui.compose.appendChild(ui.file);
    ui.compose.appendChild(ui.attach);
    ui.compose.appendChild(ui.inputLabel);
    ui.compose.appendChild(ui.input);
    ui.compose.appendChild(ui.inputHint);
    ui.compose.appendChild(ui.send);

    ui.panel.appendChild(head);
    ui.panel.appendChild(ui.notice);
    ui.panel.appendChild(ui.log);
    ui.panel.appendChild(ui.typing);
    ui.panel.appendChild(ui.prechat);
    ui.panel.appendChild(ui.compose);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.stopPropagation();
        close();
      }
    });

    wrap.appendChild(ui.panel);
    wrap.appendChild(ui.launcher);
    root.appendChild(wrap);
    (document.body || document.documentElement).appendChild(host);
  }

  /** Enter sends, Shift+Enter is a new line, and Enter that ends an IME composition (Chinese
   * pinyin: Enter picks the Latin letters) never sends: isComposing in most browsers, keyCode 229
   * in Safari, whose compositionend comes before the keydown. */
  function wireInput() {
    var composing = false;
    ui.input.addEventListener("compositionstart", function () {
      composing = true;
    });
    ui.input.addEventListener("compositionend", function () {
      composing = false;
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey) return;
      if (composing || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      sendTyped();
    });
    ui.input.addEventListener("input", function () {
      grow();
      typing(ui.input.value.length > 0);
    });
  }

  function grow() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + "px";
  }

  /** Every label in the visitor's language; called again when the language changes. */
  function applyText() {
    var cfg = state.config || {};
    ui.wrap.setAttribute("lang", state.lang);
    ui.title.textContent = cfg.name || t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.close.setAttribute("title", t("close"));
    ui.attach.setAttribute("aria-label", t("attach"));
    ui.attach.setAttribute("title", t("attach"));
    ui.inputLabel.textContent = t("input_label");
    ui.input.setAttribute("placeholder", t("input_placeholder"));
    ui.inputHint.textContent = t("input_hint");
    ui.send.textContent = t("send");
    ui.noticeText.textContent = t("offline_notice");
    ui.emailLabel.textContent = t("email_label");
    ui.email.setAttribute("placeholder", t("email_label"));
    ui.emailSend.textContent = t("email_submit");
    var greeting = cfg.greeting && (cfg.greeting[state.lang] || cfg.greeting.en || cfg.greeting["zh-CN"]);
    ui.greeting.textContent = greeting || "";
    ui.greeting.hidden = !greeting;
    renderLauncher();
    renderHeader();
    renderEmail();
    renderPrechat(true);
    var nodes = ui.log.querySelectorAll("[data-hub-chat=message]");
    for (var i = 0; i < nodes.length; i++) renderMeta(nodes[i]);
  }

  function renderLauncher() {
    var label = state.unread ? t("launcher_unread", { count: state.unread }) : t("launcher");
    ui.launcher.setAttribute("aria-label", state.open ? t("close") : label);
    ui.launcher.setAttribute("title", state.open ? t("close") : label);
    ui.badge.textContent = state.unread ? String(state.unread) : "";
    ui.badge.hidden = !state.unread;
  }

  function renderHeader() {
    var parts = [];
    if (state.agent && state.agent.name) parts.push(state.agent.name);
    parts.push(state.online ? t("online") : t("offline"));
    ui.sub.textContent = parts.join(" \u00b7 ");
    ui.notice.hidden = state.online;
  }

  // ---------------------------------------------------------------- transcript

  function renderMeta(node) {
    var meta = node.querySelector(".hc-meta");
    var at = node.getAttribute("data-at");
    var parts = [];
    if (at) {
      var d = new Date(parseTime(at));
      if (!isNaN(d.getTime())) parts.push(d.toLocaleTimeString(state.lang, { hour: "2-digit", minute: "2-digit" }));
    }
    if (node.getAttribute("data-direction") === "in") {
      var st = node.getAttribute("data-state") || node.getAttribute("data-status");
      if (st === "failed") parts.push(t("status_failed") + (node.getAttribute("data-error") ? ": " + node.getAttribute("data-error") : ""));
      else if (st === "retrying") parts.push(t("status_retrying"));
      else if (st === "pending") parts.push(t("status_sending"));
      else if (st) parts.push(t("status_" + st));
    }
    meta.textContent = parts.join(" \u00b7 ");
  }

  function messageNode(direction) {
    var node = el("div", { class: "hc-msg", "data-hub-chat": "message", "data-direction": direction });
    node.appendChild(el("div", { class: "hc-author" }));
    node.appendChild(el("div", { class: "hc-bubble" }));
    node.appendChild(el("div", { class: "hc-meta" }));
    return node;
  }

  function fillNode(node, m) {
    var direction = m.direction === "out" ? "out" : "in";
    node.setAttribute("data-direction", direction);
    if (m.id != null) node.setAttribute("data-id", String(m.id));
    if (m.client_message_id) node.setAttribute("data-client-id", m.client_message_id);
    if (m.created_at) node.setAttribute("data-at", m.created_at);
    if (m.status) node.setAttribute("data-status", m.status);
    var author = node.querySelector(".hc-author");
    author.textContent = direction === "out" && m.author && m.author.name ? m.author.name : "";
    author.hidden = !author.textContent;
    var bubble = node.querySelector(".hc-bubble");
    bubble.textContent = m.text || "";
    bubble.hidden = !m.text && m.attachments && m.attachments.length > 0;
    var old = node.querySelector(".hc-files");
    if (old) node.removeChild(old);
    if (m.attachments && m.attachments.length) {
      var list = el("ul", { class: "hc-files" });
      for (var i = 0; i < m.attachments.length; i++) {
        var a = m.attachments[i];
        var item = el("li");
        var url = a.url ? safeUrl(a.url) : null;
        var label = (a.filename || t("attachment")) + (a.size ? " (" + humanSize(a.size) + ")" : "");
        if (url) {
          var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label);
          if (/^image\//.test(a.content_type || "")) {
            var img = el("img", { src: url, alt: a.filename || t("attachment"), loading: "lazy" });
            link.appendChild(img);
          }
          item.appendChild(link);
        } else {
          item.textContent = label;
        }
        list.appendChild(item);
      }
      node.insertBefore(list, node.querySelector(".hc-meta"));
    }
    var oldSurvey = node.querySelector(".hc-csat");
    if (oldSurvey) node.removeChild(oldSurvey);
    if (m.csat && m.id != null) node.insertBefore(surveyBlock(String(m.id), m.csat), node.querySelector(".hc-meta"));
    renderMeta(node);
  }

  var FACES = ["\ud83d\ude1e", "\ud83d\ude41", "\ud83d\ude10", "\ud83d\ude42", "\ud83d\ude04"];

  /** A satisfaction survey under its question: five faces, an optional comment, one answer. */
  function surveyBlock(id, survey) {
    var box = el("div", { class: "hc-csat", "data-hub-chat": "csat" });
    if (survey.rating) {
      box.setAttribute("data-rating", String(survey.rating));
      box.appendChild(el("p", { class: "hc-csat-done" }, FACES[survey.rating - 1] + " " + t("csat_thanks")));
      return box;
    }
    var chosen = 0;
    var faces = el("div", { class: "hc-csat-faces", role: "radiogroup", "aria-label": t("csat_rate") });
    var buttons = [];
    for (var i = 1; i <= 5; i++) {
      var face = el("button", {
        type: "button",
        class: "hc-csat-face",
        role: "radio",
        "aria-checked": "false",
        "aria-label": t("csat_" + i),
        title: t("csat_" + i),
        "data-rating": String(i),
      }, FACES[i - 1]);
      face.addEventListener("click", function (event) {
        chosen = parseInt(event.currentTarget.getAttribute("data-rating"), 10);
        for (var j = 0; j < buttons.length; j++) buttons[j].setAttribute("aria-checked", j + 1 === chosen ? "true" : "false");
        send.disabled = false;
      });
      buttons.push(face);
      faces.appendChild(face);
    }
    var comment = el("textarea", { class: "hc-csat-comment", rows: "2", maxlength: "4000", placeholder: t("csat_comment"), "aria-label": t("csat_comment") });
    var send = el("button", { type: "button", class: "hc-btn hc-csat-send" }, t("csat_send"));
    send.disabled = true;
    var status = el("p", { class: "hc-error", role: "status" });
    send.addEventListener("click", function () {
      if (!chosen) return;
      send.disabled = true;
      request("POST", "/csat", { message_id: id, rating: chosen, comment: comment.value || null }).then(function (result) {
        if (result.status === 200 && result.data && result.data.csat) {
          box.parentNode.replaceChild(surveyBlock(id, result.data.csat), box);
        } else if (result.status === 409) {
          status.textContent = t("csat_closed");
        } else {
          status.textContent = problem(result) || t("csat_closed");
          send.disabled = false;
        }
      });
    });
    box.appendChild(faces);
    box.appendChild(comment);
    box.appendChild(send);
    box.appendChild(status);
    return box;
  }

  function nearBottom() {
    return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
  }

  function scrollDown(force) {
    if (force || nearBottom()) ui.log.scrollTop = ui.log.scrollHeight;
  }

  /** Show a message from the hub once: by its id, or in place of the pending bubble of its client id.
   * ``live``: it came over the socket or from a poll (the visitor has not seen it yet); ``ack``: the
   * answer to our own POST, which must not move the resume point past pushes still on their way. */
  function showMessage(m, live, ack) {
    if (!m || m.id == null) return false;
    var id = String(m.id);
    var stick = nearBottom();
    if (!ack) state.lastId = id;
    if (state.seen[id]) {
      fillNode(state.seen[id], m);
      return false;
    }
    var node = m.client_message_id ? state.pending[m.client_message_id] : null;
    if (node) {
      delete state.pending[m.client_message_id];
      node.removeAttribute("data-state");
      node.removeAttribute("data-error");
      dropFromOutbox(m.client_message_id);
    } else {
      node = messageNode(m.direction);
      insertInOrder(node, m.created_at);
    }
    state.seen[id] = node;
    fillNode(node, m);
    if (m.direction === "out") {
      typingShown(false);
      if (m.author && m.author.name) {
        state.agent = { name: m.author.name };
        renderHeader();
      }
      if (live) {
        if (visible()) markRead(id);
        else {
          state.unread += 1;
          renderLauncher();
        }
      }
    }
    scrollDown(stick);
    return true;
  }

  /** Confirmed messages in time order, pending ones after them. */
  function insertInOrder(node, at) {
    var nodes = ui.log.querySelectorAll("[data-hub-chat=message]");
    var firstPending = null;
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-state")) {
        firstPending = nodes[i];
        break;
      }
    }
    var before = firstPending;
    var when = parseTime(at);
    if (!isNaN(when)) {
      for (var j = nodes.length - 1; j >= 0; j--) {
        var other = parseTime(nodes[j].getAttribute("data-at"));
        if (!nodes[j].getAttribute("data-state") && other > when) before = nodes[j];
      }
    }
    ui.log.insertBefore(node, before);
  }

  function showPending(item) {
    if (state.pending[item.cid]) return state.pending[item.cid];
    var node = messageNode("in");
    node.setAttribute("data-state", "pending");
    node.setAttribute("data-client-id", item.cid);
    fillNode(node, { direction: "in", text: item.text, attachments: item.file ? [{ filename: item.file, size: item.size }] : [] });
    ui.log.appendChild(node);
    state.pending[item.cid] = node;
    scrollDown(true);
    return node;
  }

  function setPendingState(cid, st, error) {
    var node = state.pending[cid];
    if (!node) return;
    node.setAttribute("data-state", st);
    if (error) node.setAttribute("data-error", error);
    else node.removeAttribute("data-error");
    renderMeta(node);
  }

  // ---------------------------------------------------------------- sending (the outbox)

  function outbox() {
    var items = store.get("outbox");
    return Array.isArray(items) ? items : [];
  }

  function dropFromOutbox(cid) {
    var items = outbox().filter(function (item) {
      return item.cid !== cid;
    });
    if (items.length) store.set("outbox", items);
    else store.remove("outbox");
  }

  function sendTyped() {
    var text = ui.input.value.replace(/^\s+|\s+$/g, "");
    if (!text) return;
    ui.input.value = "";
    grow();
    typing(false);
    var item = { cid: uuid(), text: text, at: Date.now() };
    var items = outbox();
    items.push(item);
    store.set("outbox", items);
    showPending(item);
    flush();
  }

  /** Send the outbox in order, one message at a time, until it is empty. A refused message (too long,
   * not allowed) is shown as not sent and leaves the outbox; anything else waits and tries again. */
  function flush() {
    if (state.flushing) return;
    state.flushing = true;
    var attempt = 0;
    function next() {
      var items = outbox();
      if (!items.length) {
        state.flushing = false;
        return;
      }
      var item = items[0];
      showPending(item);
      session()
        .then(function (ok) {
          if (!ok) return { status: 0, data: null, retryAfter: 0 };
          return request("POST", "/messages", { client_message_id: item.cid, text: item.text });
        })
        .then(function (result) {
          if (result.status >= 200 && result.status < 300) {
            attempt = 0;
            dropFromOutbox(item.cid);
            var m = result.data && result.data.message;
            if (m) {
              if (!m.client_message_id) m.client_message_id = item.cid;
              showMessage(m, false, true);
            }
            return next();
          }
          if (result.status === 401 || result.status === 403) {
            state.token = null;
            store.remove("token");
            state.sessionPromise = null;
          } else if (!retryable(result.status)) {
            dropFromOutbox(item.cid);
            setPendingState(item.cid, "failed", problem(result));
            delete state.pending[item.cid];
            return next();
          }
          setPendingState(item.cid, "retrying");
          var wait = result.retryAfter ? result.retryAfter * 1000 : backoff(attempt);
          attempt += 1;
          return later(wait).then(next);
        });
    }
    next();
  }

  function sendFile(file) {
    var limits = (state.config && state.config.attachments) || {};
    var item = { cid: uuid(), text: "", file: file.name, size: file.size };
    if (limits.max_bytes && file.size > limits.max_bytes) {
      showPending(item);
      setPendingState(item.cid, "failed", t("file_too_large", { limit: humanSize(limits.max_bytes) }));
      return;
    }
    if (limits.types && limits.types.length && !typeAllowed(file, limits.types)) {
      showPending(item);
      setPendingState(item.cid, "failed", t("file_type"));
      return;
    }
    showPending(item);
    var attempt = 0;
    function tryOnce() {
      session()
        .then(function (ok) {
          if (!ok) return { status: 0, data: null, retryAfter: 0 };
          var form = new FormData();
          form.append("client_message_id", item.cid);
          form.append("file", file, file.name);
          return request("POST", "/attachments", form, true);
        })
        .then(function (result) {
          if (result.status >= 200 && result.status < 300) {
            var m = result.data && result.data.message;
            if (m) {
              if (!m.client_message_id) m.client_message_id = item.cid;
              showMessage(m, false, true);
            }
            return;
          }
          if (!retryable(result.status)) {
            setPendingState(item.cid, "failed", problem(result));
            delete state.pending[item.cid];
            return;
          }
          setPendingState(item.cid, "retrying");
          var wait = result.retryAfter ? result.retryAfter * 1000 : backoff(attempt);
          attempt += 1;
          later(wait).then(tryOnce);
        });
    }
    tryOnce();
  }

  function typeAllowed(file, types) {
    var name = (file.name || "").toLowerCase();
    for (var i = 0; i < types.length; i++) {
      var rule = String(types[i]).toLowerCase();
      if (rule.charAt(0) === "." && name.slice(-rule.length) === rule) return true;
      if (rule.slice(-2) === "/*" && (file.type || "").indexOf(rule.slice(0, -1)) === 0) return true;
      if (rule === (file.type || "").toLowerCase()) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- the session and the socket

  /** The visitor's session, made once per page (and again if the hub refuses the token). Resolves
   * false while the hub cannot be reached; callers retry. */
  function session() {
    if (state.sessionPromise) return state.sessionPromise;
    var body = {
      page: { url: location.href, referrer: document.referrer || null, language: navigator.language || null, title: document.title || null },
    };
    if (state.token) body.token = state.token;
    if (state.prechat) body.prechat = state.prechat;
    state.sessionPromise = request("POST", "/sessions", body).then(function (result) {
      if (result.status < 200 || result.status >= 300 || !result.data || !result.data.token) {
        state.sessionPromise = null;
        return false;
      }
      var data = result.data;
      state.token = data.token;
      store.set("token", data.token);
      store.set("started", true);
      if (typeof data.online === "boolean") state.online = data.online;
      if (data.agent) state.agent = data.agent;
      renderHeader();
      renderPrechat();
      var messages = data.messages || [];
      for (var i = 0; i < messages.length; i++) {
        showMessage(messages[i], false);
        if (messages[i].client_message_id) dropFromOutbox(messages[i].client_message_id);
      }
      scrollDown(true);
      connect();
      if (state.identify) identify(state.identify);
      return true;
    });
    return state.sessionPromise;
  }

  function socketUrl() {
    return API.replace(/^http/, "ws") + "/socket";
  }

  function connect() {
    if (!state.token || !window.WebSocket) {
      if (!window.WebSocket) poll();
      return;
    }
    if (state.socket && state.socket.readyState <= 1) return;
    clearTimeout(state.socketTimer);
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      reconnectLater();
      return;
    }
    state.socket = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "auth", token: state.token, after: state.lastId }));
    };
    ws.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onFrame(frame);
    };
    ws.onclose = function (event) {
      if (state.socket !== ws) return;
      state.socket = null;
      clearInterval(state.pingTimer);
      if (event.code === 4403) return; // this page's origin is refused: trying again cannot help
      if (event.code === 4401) {
        // The hub no longer takes the token (another channel's, expired): a fresh session decides.
        state.sessionPromise = null;
      }
      reconnectLater();
    };
    ws.onerror = function () {
      /* onclose follows */
    };
  }

  function onFrame(frame) {
    switch (frame.event) {
      case "ready":
        state.socketTries = 0;
        clearInterval(state.pingTimer);
        state.pingTimer = setInterval(function () {
          sendFrame({ type: "ping" });
        }, PING_MS);
        (frame.messages || []).forEach(function (m) {
          showMessage(m, true);
        });
        flush(); // what was typed while the connection was down goes now, once
        break;
      case "message":
        showMessage(frame.message, true);
        break;
      case "typing":
        typingShown(!!frame.typing, frame.name);
        break;
      case "status": {
        var node = state.seen[String(frame.id)];
        if (node) {
          node.setAttribute("data-status", frame.status);
          renderMeta(node);
        }
        break;
      }
      case "online":
        state.online = !!frame.online;
        renderHeader();
        break;
      default:
        break;
    }
  }

  function sendFrame(frame) {
    var ws = state.socket;
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function reconnectLater() {
    clearTimeout(state.socketTimer);
    var wait = backoff(state.socketTries);
    state.socketTries += 1;
    state.socketTimer = setTimeout(function () {
      session().then(function (ok) {
        if (ok) connect();
        else reconnectLater();
      });
    }, wait);
  }

  /** Without WebSocket (an old in-app browser): ask for new messages every few seconds instead. */
  function poll() {
    clearTimeout(state.socketTimer);
    state.socketTimer = setTimeout(function () {
      var after = state.lastId ? "?after=" + encodeURIComponent(state.lastId) : "";
      request("GET", "/messages" + after).then(function (result) {
        var messages = (result.data && result.data.messages) || [];
        messages.forEach(function (m) {
          showMessage(m, true);
        });
        if (outbox().length) flush();
        poll();
      });
    }, 5000);
  }

  function wakeUp() {
    if (!state.token) return;
    if (!state.socket && window.WebSocket) {
      state.socketTries = 0;
      clearTimeout(state.socketTimer);
      session().then(function (ok) {
        if (ok) connect();
      });
    }
    if (outbox().length) flush();
  }

  // ---------------------------------------------------------------- typing, read marks, offline

  function typing(on) {
    clearTimeout(state.typingStop);
    var now = Date.now();
    if (on) {
      if (now - state.typingSent > TYPING_EVERY_MS) {
        if (sendFrame({ type: "typing", typing: true })) state.typingSent = now;
      }
      state.typingStop = setTimeout(function () {
        typing(false);
      }, TYPING_IDLE_MS);
    } else if (state.typingSent) {
      state.typingSent = 0;
      sendFrame({ type: "typing", typing: false });
    }
  }

  function typingShown(on, name) {
    clearTimeout(state.agentTypingTimer);
    ui.typing.textContent = on ? (name ? t("agent_typing", { name: name }) : t("someone_typing")) : "";
    if (on) {
      state.agentTypingTimer = setTimeout(function () {
        typingShown(false);
      }, AGENT_TYPING_MS);
    }
  }

  function visible() {
    return state.open && (!document.visibilityState || document.visibilityState === "visible");
  }

  function markRead(id) {
    if (!sendFrame({ type: "read", message_id: id })) {
      request("POST", "/read", { message_id: id });
    }
  }

  function readLatest() {
    var nodes = ui.log.querySelectorAll("[data-hub-chat=message][data-direction=out][data-id]");
    if (nodes.length) markRead(nodes[nodes.length - 1].getAttribute("data-id"));
  }

  function leaveEmail() {
    var email = ui.email.value.replace(/^\s+|\s+$/g, "");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      ui.emailStatus.textContent = t("email_invalid");
      ui.email.setAttribute("aria-invalid", "true");
      ui.email.focus();
      return;
    }
    ui.email.removeAttribute("aria-invalid");
    ui.emailStatus.textContent = t("status_sending");
    session()
      .then(function (ok) {
        return ok ? request("POST", "/email", { email: email }) : { status: 0 };
      })
      .then(function (result) {
        if (result.status >= 200 && result.status < 300) {
          store.set("email", email);
          renderEmail();
        } else {
          ui.emailStatus.textContent = problem(result) || t("unreachable");
        }
      });
  }

  /** Once the visitor left an address, the notice thanks them instead of asking again. */
  function renderEmail() {
    var email = store.get("email");
    ui.emailForm.hidden = !!email;
    ui.emailStatus.textContent = email ? t("email_thanks", { email: email }) : "";
  }

  // ---------------------------------------------------------------- pre-chat form

  function prechatFields() {
    var pre = (state.config && state.config.prechat) || {};
    return ["name", "email", "phone"].filter(function (f) {
      return pre[f] === "optional" || pre[f] === "required";
    });
  }

  function needsPrechat() {
    return !state.token && !store.get("started") && prechatFields().length > 0;
  }

  /** The form replaces the transcript until the visitor's first session; built again only when the
   * language changes (``rebuild``), so that reopening the panel keeps what was typed. */
  function renderPrechat(rebuild) {
    var show = needsPrechat();
    ui.prechat.hidden = !show;
    ui.compose.hidden = show;
    ui.log.hidden = show;
    ui.typing.hidden = show;
    if (!show || (state.prechatShown && !rebuild)) return;
    state.prechatShown = true;
    var pre = state.config.prechat;
    while (ui.prechat.firstChild) ui.prechat.removeChild(ui.prechat.firstChild);
    ui.prechat.appendChild(el("p", { class: "hc-intro" }, t("prechat_intro")));
    prechatFields().forEach(function (f) {
      var id = "hc-pre-" + f;
      var row = el("div", { class: "hc-field" });
      var label = el("label", { for: id }, t("prechat_" + f) + (pre[f] === "required" ? "" : " " + t("optional")));
      var input = el("input", {
        id: id,
        name: f,
        type: f === "email" ? "email" : f === "phone" ? "tel" : "text",
        autocomplete: f === "phone" ? "tel" : f,
        "data-hub-chat": "prechat-" + f,
      });
      if (pre[f] === "required") {
        input.setAttribute("required", "");
        input.setAttribute("aria-required", "true");
      }
      row.appendChild(label);
      row.appendChild(input);
      ui.prechat.appendChild(row);
    });
    ui.prechatError = el("p", { class: "hc-error", role: "alert" });
    ui.prechat.appendChild(ui.prechatError);
    ui.prechat.appendChild(el("button", { type: "submit", class: "hc-btn" }, t("prechat_start")));
  }

  function submitPrechat() {
    var pre = state.config.prechat;
    var values = {};
    var fields = prechatFields();
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var input = ui.prechat.querySelector("[name=" + f + "]");
      var value = input.value.replace(/^\s+|\s+$/g, "");
      var bad = (pre[f] === "required" && !value) || (f === "email" && value && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value));
      if (bad) {
        input.setAttribute("aria-invalid", "true");
        ui.prechatError.textContent = t(value ? "email_invalid" : "prechat_missing", { field: t("prechat_" + f) });
        input.focus();
        return;
      }
      input.removeAttribute("aria-invalid");
      if (value) values[f] = value;
    }
    state.prechat = values;
    ui.prechatError.textContent = t("status_sending");
    session().then(function (ok) {
      if (!ok) {
        ui.prechatError.textContent = t("unreachable");
        return;
      }
      renderPrechat();
      ui.input.focus();
    });
  }

  // ---------------------------------------------------------------- open, close, identity

  function open() {
    if (!ui.panel) {
      state.wantOpen = true;
      return;
    }
    state.open = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    renderLauncher();
    renderPrechat();
    if (!needsPrechat()) session();
    scrollDown(true);
    var first = needsPrechat() ? ui.prechat.querySelector("input") : ui.input;
    if (first) first.focus();
    readLatest();
  }

  function close() {
    if (!ui.panel) {
      state.wantOpen = false;
      return;
    }
    var hadFocus = ui.panel.contains(ui.host.shadowRoot ? ui.host.shadowRoot.activeElement : document.activeElement);
    state.open = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    renderLauncher();
    typing(false);
    if (hadFocus) ui.launcher.focus();
  }

  function identify(user) {
    state.identify = user;
    if (!state.token) return;
    request("POST", "/identify", {
      id: String(user.id),
      name: user.name || undefined,
      email: user.email || undefined,
      hash: user.hash || "",
    }).then(function (result) {
      if (result.status >= 200 && result.status < 300) state.identify = null;
    });
  }

  // ---------------------------------------------------------------- start

  function loadConfig(attempt) {
    request("GET", "/config").then(function (result) {
      if (result.status === 200 && result.data) {
        start(result.data);
      } else if (retryable(result.status) && attempt < 6) {
        later(backoff(attempt)).then(function () {
          loadConfig(attempt + 1);
        });
      } else if (window.console) {
        // 403: this page's origin is not on the channel's list; 404: no such channel.
        console.warn("hub chat: not available on this page (" + result.status + ")");
      }
    });
  }

  function start(config) {
    state.config = config;
    if (!state.langFixed) state.lang = pickLanguage(config.language);
    if (typeof config.online === "boolean") state.online = config.online;
    build();
    var c = colours(config.colour);
    ui.wrap.style.setProperty("--hc-accent", c.accent);
    ui.wrap.style.setProperty("--hc-on-accent", c.text);
    if (config.position === "left") ui.wrap.className += " hc-left";
    var limits = config.attachments || {};
    ui.attach.hidden = !(limits.max_bytes > 0);
    if (limits.types && limits.types.length) ui.file.setAttribute("accept", limits.types.join(","));
    applyText();
    var items = outbox();
    items.forEach(showPending);
    // A returning visitor (or words still waiting to be sent) reconnects at once; a new one when they open the chat.
    if (state.token || items.length) {
      session().then(function (ok) {
        if (!ok) reconnectLater();
        else if (items.length) flush();
      });
    }
    if (state.wantOpen) open();
    window.addEventListener("online", wakeUp);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        wakeUp();
        if (state.open) readLatest();
      }
    });
  }

  var api = {
    version: VERSION,
    open: open,
    close: close,
    /** Join this visitor to a signed-in customer: hash = hex HMAC-SHA256 of id under the channel secret. */
    setUser: function (user) {
      if (user && user.id != null) identify(user);
    },
    setLanguage: function (lang) {
      state.lang = pickLanguage(lang);
      state.langFixed = true;
      if (ui.wrap) applyText();
    },
  };

  // Calls made before the script loaded (window.HubChat = {q: [["open"], ["setUser", {...}]]}).
  var queued = window.HubChat && Array.isArray(window.HubChat.q) ? window.HubChat.q : [];
  window.HubChat = api;
  queued.forEach(function (call) {
    if (call && typeof api[call[0]] === "function") api[call[0]].apply(null, call.slice(1));
  });

  loadConfig(0);
})();
