// The partner portal's forms (and the company's review queue): each form names the API it posts
// to in data-api (data-method: PATCH or DELETE; data-fixed: JSON fields it always sends), its
// fields become the JSON body (data-type="number" a number, data-type="list" checkboxes collected
// into a list), and the page is rendered again by the server once the API accepted the change.
// It never builds markup from data: answers are shown as text.

const LANG = document.documentElement.lang || "zh-CN";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function bodyOf(form) {
  const body = JSON.parse(form.dataset.fixed || "{}");
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    const type = field.dataset.type;
    if (type === "list") {
      body[field.name] = body[field.name] || [];
      if (field.checked) body[field.name].push(field.value);
    } else if (type === "number") {
      if (field.value !== "") body[field.name] = Number(field.value);
    } else if (field.value !== "" || field.required) {
      body[field.name] = field.value;
    }
  }
  if (form.dataset.shape === "notice") {
    // A notice from the page ships one line; the API takes a list.
    body.lines = [{ line_id: body.line_id, quantity: body.quantity }];
    delete body.line_id;
    delete body.quantity;
  }
  return body;
}

async function submit(form, event) {
  // A form with data-busy is portal_quality.js's when that script is on the page (the portal's
  // layout loads both); on a page without it (a ticket's survey) it is this script's.
  if (form.dataset.busy && document.documentElement.dataset.portalQuality) return;
  event.preventDefault();
  const status = form.querySelector(".form-status");
  const button = form.querySelector("button[type=submit]");
  const method = form.dataset.method || "POST";
  if (button) button.disabled = true;
  let response;
  let data = null;
  try {
    response = await fetch(form.dataset.api, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Accept-Language": LANG,
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: method === "DELETE" ? undefined : JSON.stringify(bodyOf(form)),
    });
    data = await response.json().catch(() => null);
  } catch {
    response = null;
  }
  if (button) button.disabled = false;
  if (!response || !response.ok) {
    if (response && response.status === 401) location.assign("/login?next=" + encodeURIComponent(location.pathname));
    if (status) {
      status.textContent = (data && (data.detail || data.title)) || "…";
      status.classList.add("is-error");
    }
    return;
  }
  if (form.dataset.keep && data && data.one_time_password) {
    // Shown once: the admin passes it on to the person invited.
    status.textContent = data.one_time_password;
    status.classList.remove("is-error");
    status.classList.add("is-ok");
    form.reset();
    return;
  }
  location.reload();
}

for (const form of document.querySelectorAll("form.portal-form")) {
  form.addEventListener("submit", (event) => submit(form, event));
}
