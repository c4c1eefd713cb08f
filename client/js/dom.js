// Tiny DOM helpers. Text is always set with textContent: user data never becomes markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && !(el instanceof SVGElement) && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h('p', {class: 'x'}, 'text', child) builds an HTML element. */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** s('rect', {...}) builds an SVG element. */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace the main area with a screen: a heading (focused for screen readers) and content. */
export function mount(title, ...content) {
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1' }, title);
  // A section that has nothing to show is null: never let it become the text "null".
  main.replaceChildren(heading, ...content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} · StrideGuard`;
  heading.focus({ preventScroll: true });
  return main;
}

let toastTimer = 0;
/** Show a short status message that screen readers announce. */
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

/** A labelled form field: returns the wrapper; the input is wrapper.input. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const kids = [h('label', { for: id }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    kids.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  const wrap = h('div', { class: 'field' }, kids, input);
  wrap.input = input;
  return wrap;
}

/** A form-level error line (role=alert), empty until set. */
export function errorLine() {
  return h('p', { class: 'error', role: 'alert' });
}

/** A yes/no switch as a real checkbox with its visible label. */
export function toggle(label, name, checked = false) {
  const input = h('input', { type: 'checkbox', name, checked });
  return h('label', { class: 'toggle' }, input, h('span', {}, label));
}

/** A group of radio buttons styled as a segmented control. */
export function segmented(legend, name, options, value) {
  return h('fieldset', { class: 'segmented' },
    h('legend', {}, legend),
    h('div', { class: 'seg-row' }, options.map(([val, text]) => h('label', {},
      h('input', { type: 'radio', name, value: val, checked: val === value }),
      h('span', {}, text)))));
}
