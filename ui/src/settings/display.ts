/**
 * Display preferences that live on <html>: high contrast with large text, and the theme.
 */

export function setHighContrast(on: boolean): void {
  document.documentElement.classList.toggle('high-contrast', on);
}

export function isHighContrast(): boolean {
  return document.documentElement.classList.contains('high-contrast');
}

const THEMES = ['default', 'dark'];

export function setTheme(theme: string): void {
  document.documentElement.dataset.theme = THEMES.includes(theme) ? theme : 'default';
}
