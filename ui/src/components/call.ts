/**
 * Runs one backend call without ever blocking a screen: a failure or a call that takes too long
 * shows a toast and resolves to `undefined`, so callers only handle the happy path and the
 * "nothing came back" case.
 */

import { toCommandError } from '../backend';
import { t } from '../i18n';
import { showToast } from './toast';

/** After this long a call is reported as slow; the screen stays usable either way. */
export const SLOW_CALL_MS = 5000;

export async function attempt<T>(work: Promise<T>, timeoutMs = SLOW_CALL_MS): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([work.then((value) => ({ value })), timeout]);
    if (outcome === 'timeout') {
      showToast(t('error.timeout'));
      return undefined;
    }
    return outcome.value;
  } catch (e) {
    showToast(t('error.call', { message: toCommandError(e).message }));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
