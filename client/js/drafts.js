// Drafts: what a runner typed into a form survives a reload (a phone that dropped the tab, a
// pull-to-refresh) until it is saved. Kept in sessionStorage: this tab only, gone when it
// closes or the runner signs out.

const PREFIX = 'sg.draft.';

function read(key) {
  try { return JSON.parse(sessionStorage.getItem(PREFIX + key) || 'null'); } catch { return null; }
}

/** The form's named fields as {name: value} (radios: the checked value; checkboxes: checked). */
function fields(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; } else if (el.type === 'checkbox') {
      out[el.name] = el.checked;
    } else out[el.name] = el.value;
  }
  return out;
}

/** Put a draft's values back into the fields that exist now (later ones: call again). */
function fill(form, values) {
  for (const [name, value] of Object.entries(values || {})) {
    const found = form.elements[name];
    if (!found) continue;
    const items = found instanceof RadioNodeList ? [...found] : [found];
    for (const el of items) {
      if (el.readOnly || el.disabled) continue;
      if (el.type === 'radio') el.checked = el.value === value;
      else if (el.type === 'checkbox') el.checked = Boolean(value);
      else el.value = value;
    }
  }
}

/**
 * Keep `form`'s draft under `key`: restore it now (and with `restore()` once fields loaded
 * later exist), save it on every change, `clear()` it after a save. `extra` ({get, set}):
 * state kept outside the form's fields (the knee diagram).
 */
export function keepDraft(form, key, extra = null) {
  const restore = () => {
    const draft = read(key);
    if (!draft) return false;
    fill(form, draft.fields);
    if (extra && draft.extra) extra.set(draft.extra);
    form.dispatchEvent(new Event('draft-restored'));
    return true;
  };
  const store = () => {
    try {
      sessionStorage.setItem(PREFIX + key, JSON.stringify({ fields: fields(form), extra: extra ? extra.get() : null }));
    } catch { /* storage full or off: the form still works */ }
  };
  form.addEventListener('input', store);
  form.addEventListener('change', store);
  form.addEventListener('click', () => setTimeout(store, 0));  // the knee diagram's taps
  const restored = restore();
  return { restored, restore, clear() { sessionStorage.removeItem(PREFIX + key); } };
}

/** Forget every draft (signing out). */
export function clearDrafts() {
  try {
    Object.keys(sessionStorage).filter((k) => k.startsWith(PREFIX)).forEach((k) => sessionStorage.removeItem(k));
  } catch { /* nothing kept */ }
}
