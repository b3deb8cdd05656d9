/** Tiny DOM helpers: the dashboard has no framework. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

export const fmt = new Intl.NumberFormat('en');

/** "segment 3" or "segment 3 (epoch 1)": a Pravega segment id is epoch << 32 | number. */
export function segmentName(id: bigint): string {
  const number = id & 0xffffffffn;
  const epoch = id >> 32n;
  return epoch === 0n ? `#${number}` : `#${number} (epoch ${epoch})`;
}
