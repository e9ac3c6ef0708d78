// Typeahead for a filter field that names one of many (the inbox's organisation): the page does
// not list them all; as the agent types, the names holding the text are asked of the API and
// offered in the field's <datalist>. The form sends the name; the server resolves it, so the field
// also works by typing a name and pressing Enter. Picking a suggestion applies the filter at once.
//
// <input data-typeahead="/api/v1/organizations" list="..."> (the API answers [{name}, ...]).

const LANG = document.documentElement.lang || "zh-CN";
const WAIT_MS = 150;
const SHOWN = 20;

function attach(input) {
  const list = input.list;
  if (!list) return;
  let timer = 0;
  let asked = 0;
  let offered = new Set();

  async function suggest() {
    const text = input.value.trim();
    const mine = ++asked;
    if (!text) {
      list.replaceChildren();
      offered = new Set();
      return;
    }
    const url = new URL(input.dataset.typeahead, location.href);
    url.searchParams.set("q", text);
    url.searchParams.set("limit", String(SHOWN));
    let found = [];
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json", "Accept-Language": LANG },
      });
      if (!response.ok) return;
      found = await response.json();
    } catch {
      return; // offline: the field still works by name and Enter
    }
    if (mine !== asked) return; // a later keystroke asked again
    offered = new Set(found.map((row) => row.name));
    list.replaceChildren(
      ...found.map((row) => {
        const option = document.createElement("option");
        option.value = row.name;
        return option;
      }),
    );
  }

  input.addEventListener("input", (event) => {
    // A suggestion picked from the list arrives without typing: apply it. So does the search
    // field's clear button: the filter is dropped at once, as choosing "any" would.
    const typed = event.inputType && event.inputType !== "insertReplacementText";
    if (!typed && (offered.has(input.value) || (!input.value && input.defaultValue))) {
      input.form?.requestSubmit();
      return;
    }
    if (event.isComposing) return; // an input method is still composing: ask at its end
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, WAIT_MS);
  });
  input.addEventListener("compositionend", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, WAIT_MS);
  });
}

for (const input of document.querySelectorAll("input[data-typeahead]")) attach(input);
