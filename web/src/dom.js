// A tiny element builder: h('button', {class: 'x', onclick: f}, 'text', child, ...).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

export function show(root, ...children) {
  root.replaceChildren(...children);
}

export function setStatus(text) {
  document.getElementById('status').textContent = text;
}
