/**
 * Entry point of the web front end. Inside the Tauri window it starts the app over the real
 * backend; in a plain browser (`npm run dev` without Tauri) it only says there is no backend.
 */

import './styles.css';
import { App } from './app';
import { insideTauri, tauriBackend } from './backend';
import { h, replaceChildren } from './components/dom';
import { bindText, onLanguageChange, setLanguage, t } from './i18n';

onLanguageChange(() => (document.title = t('app.title')));

const root = document.getElementById('app');
if (root) {
  if (insideTauri()) {
    void new App(root, tauriBackend).start();
  } else {
    setLanguage(navigator.language.slice(0, 2));
    replaceChildren(root, bindText(h('div', { class: 'no-backend', role: 'alert' }), 'app.noBackend'));
  }
}
