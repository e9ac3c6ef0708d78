// The contact page: merge a duplicate into this contact (the server found the candidates; the
// API merges and audits), then show the merged contact.

const LANG = document.documentElement.lang || "zh-CN";
const page = document.getElementById("contact");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hub_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

if (page) {
  const status = document.getElementById("merge-status");
  page.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-merge-source]");
    if (!button || !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    let response = null;
    try {
      response = await fetch("/api/v1/contacts/merge", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Accept-Language": LANG,
          "Content-Type": "application/json",
          "X-CSRF-Token": csrfToken(),
        },
        body: JSON.stringify({ source_id: button.dataset.mergeSource, target_id: page.dataset.contactId }),
      });
    } catch {
      response = null;
    }
    if (response?.ok) {
      location.assign(`/contacts/${page.dataset.contactId}`);
      return;
    }
    button.disabled = false;
    let detail = "";
    try {
      detail = (await response.json()).detail;
    } catch {
      detail = "";
    }
    status.textContent = detail || status.dataset.failed || "";
    status.classList.add("is-error");
  });
}
