// The shop's own state on this device: the cart and past (fake) orders, in
// localStorage. Like localrec's event log it never leaves the browser, and
// "forget me" deletes it too.

const CART = "shop.cart.v1";
const ORDERS = "shop.orders.v1";
const listeners = new Set();

function read(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? "null");
    return value ?? fallback;
  } catch {
    return fallback; // a corrupt entry is treated as empty rather than breaking the page
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    throw new Error(`could not save ${key} on this device: ${e.message}`);
  }
  for (const fn of listeners) fn();
}

export function onChange(fn) {
  listeners.add(fn);
}

/** Cart lines [{id, qty}]. */
export function cart() {
  const lines = read(CART, []);
  return Array.isArray(lines) ? lines.filter((l) => l && typeof l.id === "string" && Number.isInteger(l.qty) && l.qty > 0) : [];
}

export function cartCount() {
  return cart().reduce((n, l) => n + l.qty, 0);
}

export function addToCart(id, qty = 1) {
  const lines = cart();
  const line = lines.find((l) => l.id === id);
  if (line) line.qty = Math.min(99, line.qty + qty);
  else lines.push({ id, qty });
  write(CART, lines);
}

export function setQty(id, qty) {
  write(CART, cart().map((l) => (l.id === id ? { ...l, qty: Math.max(1, Math.min(99, qty)) } : l)));
}

export function removeFromCart(id) {
  write(CART, cart().filter((l) => l.id !== id));
}

export function orders() {
  const list = read(ORDERS, []);
  return Array.isArray(list) ? list : [];
}

/** Records a fake order locally and empties the cart; returns the order. */
export function placeOrder(lines, total) {
  const list = orders();
  const order = { number: list.length + 1, at: Date.now(), lines, total };
  list.push(order);
  write(ORDERS, list);
  write(CART, []);
  return order;
}

/** What the shop itself keeps (for the privacy panel and the download). */
export function shopData() {
  return { cart: cart(), orders: orders() };
}

export function wipeShopData() {
  localStorage.removeItem(CART);
  localStorage.removeItem(ORDERS);
  for (const fn of listeners) fn();
}
