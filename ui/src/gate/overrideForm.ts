/**
 * The supervisor's override of an ALREADY_SCANNED verdict: a reason is required; the backend
 * re-decides the same scan as MANUAL_OVERRIDE and records who/why.
 */

import type { ScanResult } from '../backend';
import { h } from '../components/dom';
import { bindText } from '../i18n';

export function overrideForm(
  result: ScanResult,
  onSubmit: (reason: string) => void,
  onCancel: () => void,
): HTMLFormElement {
  const input = h('input', {
    type: 'text',
    class: 'field-input',
    id: 'override-reason',
    autocomplete: 'off',
    required: true,
  });
  const problem = h('div', { class: 'field-problem', role: 'alert' });
  const form = h(
    'form',
    { class: 'override-form', 'data-scan-id': result.scan_id },
    h('div', { class: 'override-name' }, result.participant?.name ?? ''),
    bindText(h('label', { class: 'field-label', for: 'override-reason' }), 'gate.overrideReason'),
    input,
    problem,
    h(
      'div',
      { class: 'button-row' },
      bindText(h('button', { type: 'submit', class: 'button button-primary' }), 'gate.overrideSubmit'),
      bindText(h('button', { type: 'button', class: 'button', onclick: onCancel }), 'common.cancel'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = input.value.trim();
    if (!reason) {
      bindText(problem, 'gate.overrideNeedReason');
      input.focus();
      return;
    }
    onSubmit(reason);
  });
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') onCancel();
  });
  queueMicrotask(() => input.focus());
  return form;
}
