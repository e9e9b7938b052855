/**
 * Small, self-dismissing messages at the edge of the screen: how a slow or failed backend call is
 * reported without freezing or covering the screen a gate works with.
 */

import { h } from './dom';

const TOAST_MS = 4000;
const MAX_TOASTS = 3;

function container(): HTMLElement {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  return box;
}

export type ToastTone = 'error' | 'info';

export function showToast(message: string, tone: ToastTone = 'error'): HTMLElement {
  const box = container();
  while (box.childElementCount >= MAX_TOASTS) box.firstElementChild?.remove();
  const toast = h('div', { class: `toast toast-${tone}` }, message);
  toast.addEventListener('click', () => toast.remove());
  box.appendChild(toast);
  setTimeout(() => toast.remove(), TOAST_MS);
  return toast;
}

/** Removes every toast (the kiosk does this when it wipes the screen for the next attendee). */
export function clearToasts(): void {
  document.getElementById('toasts')?.replaceChildren();
}
